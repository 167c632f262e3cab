import Foundation
import Synchronization

/// Reads a pipe line by line on a thread of its own (a blocking `read` must not sit on the
/// cooperative pool) and hands each line to `onLine`; `onEnd` runs once at end of file.
enum LineReader {
    static func start(
        _ handle: FileHandle,
        name: String,
        onLine: @escaping @Sendable (String) -> Void,
        onEnd: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            let fd = handle.fileDescriptor
            var pending: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                pending.append(contentsOf: chunk[0..<count])
                var start = 0
                while let newline = pending[start...].firstIndex(of: 0x0A) {
                    var end = newline
                    if end > start && pending[end - 1] == 0x0D { end -= 1 }
                    onLine(String(decoding: pending[start..<end], as: UTF8.self))
                    start = newline + 1
                }
                pending.removeFirst(start)
            }
            if !pending.isEmpty { onLine(String(decoding: pending, as: UTF8.self)) }
            onEnd()
        }
        thread.name = name
        thread.start()
    }
}

/// The last lines a handler wrote to stderr, for error messages; every line is also logged.
final class OutputTail: Sendable {
    private let lines = Mutex<[String]>([])
    private let limit: Int

    init(limit: Int = 10) { self.limit = limit }

    func append(_ line: String) {
        lines.withLock { lines in
            lines.append(line.count > 500 ? String(line.prefix(500)) + "…" : line)
            if lines.count > limit { lines.removeFirst(lines.count - limit) }
        }
    }

    private let ended = Mutex(false)

    /// The pipe reached its end (every line is in).
    func markEnded() {
        ended.withLock { $0 = true }
    }

    /// Waits (briefly) for the pipe's end, so that a process' last stderr lines, still on their
    /// way through the reader thread when its exit is seen, make it into the error message. A
    /// pipe held open by a grandchild that lives on is not waited for past `limit`.
    func waitForEnd(limit: Duration = .seconds(1)) async {
        let deadline = ContinuousClock.now + limit
        while !ended.withLock({ $0 }) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// The tail as one string, or nil when nothing was written.
    var text: String? {
        let current = lines.withLock { $0 }
        return current.isEmpty ? nil : current.joined(separator: "\n")
    }
}
