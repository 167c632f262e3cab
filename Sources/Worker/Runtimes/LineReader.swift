import Foundation
import Synchronization

/// What a handler printed, line by line.
enum OutputLine: Sendable, Equatable {
    case line(String)
    /// A line longer than the limit (bytes): it is not kept, and the reader skips the rest of it.
    case tooLong(limit: Int)
}

extension OutputLine {
    /// For logs and the stderr tail: a line past the limit is mentioned, not kept.
    var loggedText: String {
        switch self {
        case .line(let text): text
        case .tooLong(let limit): "[a line longer than \(limit) bytes, not kept]"
        }
    }
}

/// Reads a pipe line by line on a thread of its own (a blocking `read` must not sit on the
/// cooperative pool) and hands each line to `onLine`; `onEnd` runs once at end of file.
///
/// Each byte is looked at once: only the newly read chunk is searched for newlines, and a line's
/// bytes are appended to one buffer (a 20 MB line used to take 1.7 s in a release build, and
/// minutes in a debug one, rescanning and shifting everything pending on every 64 KB read).
/// A line is never held beyond `maxLineBytes`: past it the reader reports ``OutputLine/tooLong``
/// once and drops bytes until the next newline, so a handler cannot grow our memory without bound.
enum LineReader {
    static func start(
        _ handle: FileHandle,
        name: String,
        maxLineBytes: Int,
        onLine: @escaping @Sendable (OutputLine) -> Void,
        onEnd: @escaping @Sendable () -> Void
    ) {
        let thread = Thread {
            var splitter = LineSplitter(maxLineBytes: maxLineBytes)
            let fd = handle.fileDescriptor
            var chunk = [UInt8](repeating: 0, count: 64 * 1024)
            while true {
                let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 && errno == EINTR { continue }
                if count <= 0 { break }
                splitter.feed(chunk[0..<count], onLine)
            }
            splitter.finish(onLine)
            onEnd()
        }
        thread.name = name
        thread.start()
    }
}

/// Cuts a byte stream into lines (`\n`, or `\r\n`), at most `maxLineBytes` each.
struct LineSplitter {
    let maxLineBytes: Int
    /// The line being read: the bytes after the last newline.
    private var pending: [UInt8] = []
    /// The current line went past the limit: skip to its end.
    private var skipping = false

    init(maxLineBytes: Int) { self.maxLineBytes = maxLineBytes }

    mutating func feed(_ chunk: ArraySlice<UInt8>, _ onLine: (OutputLine) -> Void) {
        var start = chunk.startIndex
        while let newline = chunk[start...].firstIndex(of: 0x0A) {
            var end = newline
            if end > start && chunk[end - 1] == 0x0D {
                end -= 1
            } else if end == start && pending.last == 0x0D {
                pending.removeLast()
            }
            if skipping {
                skipping = false
            } else if pending.count + (end - start) > maxLineBytes {
                onLine(.tooLong(limit: maxLineBytes))
            } else {
                pending.append(contentsOf: chunk[start..<end])
                onLine(.line(String(decoding: pending, as: UTF8.self)))
            }
            clear()
            start = newline + 1
        }
        guard !skipping, start < chunk.endIndex else { return }
        if pending.count + (chunk.endIndex - start) > maxLineBytes {
            onLine(.tooLong(limit: maxLineBytes))
            skipping = true
            clear()
        } else {
            pending.append(contentsOf: chunk[start...])
        }
    }

    /// End of file: a last line without a newline still counts.
    mutating func finish(_ onLine: (OutputLine) -> Void) {
        if !skipping && !pending.isEmpty { onLine(.line(String(decoding: pending, as: UTF8.self))) }
        clear()
    }

    /// Keeps the buffer for the next line, unless one huge line made it huge.
    private mutating func clear() {
        if pending.capacity > 1 << 20 { pending = [] } else { pending.removeAll(keepingCapacity: true) }
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
