import Foundation

/// Writes to a pipe from one long-lived thread of its own: a handler that stops reading blocks
/// this thread, never the cooperative pool, and a job costs no thread creation.
final class LineWriter: @unchecked Sendable {
    // Sendable proof: `queue` and `closed` are only read or written while holding `condition`;
    // the file handle is only written from the writer thread.
    private let condition = NSCondition()
    private var queue: [(data: Data, done: CheckedContinuation<Void, any Error>)] = []
    private var closed = false

    struct Closed: Error, CustomStringConvertible {
        var description: String { "the handler's stdin is closed" }
    }

    init(_ handle: FileHandle, name: String) {
        let thread = Thread { [self] in self.run(handle) }
        thread.name = name
        thread.start()
    }

    /// Writes `line`; returns once it is in the pipe.
    func write(_ line: String) async throws {
        let data = Data(line.utf8)
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            condition.lock()
            if closed {
                condition.unlock()
                continuation.resume(throwing: Closed())
                return
            }
            queue.append((data, continuation))
            condition.signal()
            condition.unlock()
        }
    }

    /// Ends the thread; writes not yet made fail.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    private func run(_ handle: FileHandle) {
        while true {
            condition.lock()
            while queue.isEmpty && !closed { condition.wait() }
            if closed {
                let left = queue
                queue.removeAll()
                condition.unlock()
                for item in left { item.done.resume(throwing: Closed()) }
                return
            }
            let item = queue.removeFirst()
            condition.unlock()
            item.done.resume(with: Result { try handle.write(contentsOf: item.data) })
        }
    }
}
