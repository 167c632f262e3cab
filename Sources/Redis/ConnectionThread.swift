import Foundation

/// An OS thread that owns one ``RedisConnection`` and runs the work given to it, in order.
///
/// This is how blocking hiredis calls stay off Swift's cooperative pool: async callers
/// suspend on a continuation while the work runs here.
final class ConnectionThread: @unchecked Sendable {
    // Sendable proof: `pending` and `closed` are only read or written while holding `condition`;
    // the RedisConnection is created on the thread itself and never leaves it.
    private let condition = NSCondition()
    private var pending: [@Sendable (RedisConnection) -> Void] = []
    private var closed = false
    let interruptor = ConnectionInterruptor()

    init(configuration: RedisConfiguration, name: String) {
        let interruptor = self.interruptor
        let thread = Thread { [self] in
            self.run(RedisConnection(configuration: configuration, interruptor: interruptor))
        }
        thread.name = name
        thread.start()
    }

    /// Runs `body` on this thread with its connection and returns its result.
    func execute<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = enqueue { connection in
                continuation.resume(with: Result { try body(connection) })
            }
            if !accepted { continuation.resume(throwing: RedisError.closed) }
        }
    }

    /// Stops the thread once queued work is done; the connection is closed on its way out.
    func close() {
        condition.lock()
        closed = true
        condition.signal()
        condition.unlock()
    }

    private func enqueue(_ work: @escaping @Sendable (RedisConnection) -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        pending.append(work)
        condition.signal()
        return true
    }

    private func run(_ connection: RedisConnection) {
        while true {
            condition.lock()
            while pending.isEmpty && !closed { condition.wait() }
            if pending.isEmpty {
                condition.unlock()
                break
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            for work in batch { work(connection) }
        }
        connection.close()
    }
}
