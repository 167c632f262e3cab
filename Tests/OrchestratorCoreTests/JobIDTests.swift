import Foundation
import OrchestratorCore
import Testing

@Suite("Job ids and hex")
struct JobIDTests {
    @Test func idsAreLowercaseVersion4UUIDs() {
        let ids = (0..<1000).map { _ in JobID.make() }
        #expect(Set(ids).count == ids.count)
        for id in ids.prefix(50) {
            #expect(UUID(uuidString: id)?.uuidString.lowercased() == id)
            let characters = Array(id)
            #expect(characters[14] == "4" && "89ab".contains(characters[19]))
        }
        // Every other digit is random: over 1000 ids each position takes many values.
        for position in 0..<36 where ![8, 13, 14, 18, 19, 23].contains(position) {
            #expect(Set(ids.map { Array($0)[position] }).count >= 8, "position \(position)")
        }
    }

    @Test func hexMatchesFormatting() {
        let bytes: [UInt8] = [0, 1, 0x0f, 0x10, 0xab, 0xff]
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
    }
}
