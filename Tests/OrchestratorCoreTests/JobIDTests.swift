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
    }

    @Test func hexMatchesFormatting() {
        let bytes: [UInt8] = [0, 1, 0x0f, 0x10, 0xab, 0xff]
        #expect(Hex.encode(bytes) == bytes.map { String(format: "%02x", $0) }.joined())
    }
}
