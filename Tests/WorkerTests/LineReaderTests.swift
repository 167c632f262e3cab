import Foundation
import Synchronization
import Testing
@testable import Worker

@Suite("Reading handler output lines")
struct LineReaderTests {
    /// Everything `LineReader` reports for `data` written to a pipe (in `writes` pieces).
    private func read(_ writes: [Data], limit: Int = OutputLimit.defaultBytes) async -> (lines: [OutputLine], elapsed: Duration) {
        var fds: [Int32] = [-1, -1]
        _ = pipe(&fds)
        let reader = FileHandle(fileDescriptor: fds[0], closeOnDealloc: true)
        let writer = FileHandle(fileDescriptor: fds[1], closeOnDealloc: true)
        let lines = Mutex<[OutputLine]>([])
        let started = ContinuousClock.now
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            LineReader.start(reader, name: "test-reader", maxLineBytes: limit, onLine: { line in
                lines.withLock { $0.append(line) }
            }, onEnd: { done.resume() })
            Thread.detachNewThread {
                for piece in writes { try? writer.write(contentsOf: piece) }
                try? writer.close()
            }
        }
        return (lines.withLock { $0 }, ContinuousClock.now - started)
    }

    @Test func splitsLinesAcrossReadsAndStripsCRLF() async {
        let pieces = ["one\ntw", "o\r", "\nthree\r\n", "", "\n", "last"].map { Data($0.utf8) }
        let (lines, _) = await read(pieces)
        #expect(lines == [.line("one"), .line("two"), .line("three"), .line(""), .line("last")])
    }

    @Test func aTwentyMegabyteLineIsReadWhole() async {
        let size = 20_000_000
        let (lines, elapsed) = await read([Data(repeating: 0x61, count: size) + Data("\nnext\n".utf8)])
        guard case .line(let text) = lines.first else { Issue.record("got \(lines.count) lines"); return }
        #expect(text.utf8.count == size && text.utf8.allSatisfy { $0 == 0x61 })
        #expect(lines.dropFirst() == [.line("next")])
        print("LineReader: a \(size)-byte line in \(elapsed)")
    }

    @Test func aLineOverTheLimitIsReportedOnceAndSkipped() async {
        let long = Data(repeating: 0x78, count: 10_000)
        let (lines, _) = await read([Data("short\n".utf8), long.prefix(3000), long.dropFirst(3000), Data("\nafter\n".utf8)], limit: 4096)
        #expect(lines == [.line("short"), .tooLong(limit: 4096), .line("after")])
        let exact = await read([Data(repeating: 0x79, count: 4096) + Data("\n".utf8)], limit: 4096)
        #expect(exact.lines == [.line(String(repeating: "y", count: 4096))])
        let unterminated = await read([Data(repeating: 0x79, count: 5000)], limit: 4096)
        #expect(unterminated.lines == [.tooLong(limit: 4096)])
    }
}
