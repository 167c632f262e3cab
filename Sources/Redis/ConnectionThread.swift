import Foundation

/// An OS thread that owns one ``RedisConnection`` and runs the work given to it, in order.
///
/// This is how blocking hiredis calls stay off Swift's cooperative pool: async callers
/// suspend on a continuation while the work runs here. Single commands queued while the
/// thread was busy are sent together (auto-pipelining): one write and one read for all of
/// them, which is most of what a busy API or notifier sends. Before each batch (and each
/// `execute` body) a connection the server closed while idle is replaced, so a Redis restart
/// costs no caller an error once Redis is back.
final class ConnectionThread: @unchecked Sendable {
    // Sendable proof: `pending` and `closed` are only read or written while holding `condition`;
    // the RedisConnection is created on the thread itself and never leaves it.
    private let condition = NSCondition()
    private var pending: [Work] = []
    private var closed = false
    let interruptor = ConnectionInterruptor()

    private enum Work {
        /// Arbitrary work with the connection (transactions, blocking reads, a sequence that
        /// must share a connection).
        case body(@Sendable (RedisConnection) -> Void)
        /// One command that may share a pipeline.
        case command(PipelinedCommand)
    }

    /// A command waiting for its reply: a script's `EVALSHA` when `script` is set.
    private struct PipelinedCommand {
        let command: RedisCommand
        let script: RedisScript?
        let resume: @Sendable (Result<RedisValue, any Error>) -> Void
    }

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
            let accepted = enqueue(.body { connection in
                continuation.resume(with: Result { try body(connection) })
            })
            if !accepted { continuation.resume(throwing: RedisError.closed) }
        }
    }

    /// Sends one command, pipelined with any others waiting; error replies throw
    /// ``RedisError/server(command:message:)``. With `script`, the command is that script's
    /// `EVALSHA` and a `NOSCRIPT` reply loads the script and runs it again.
    func send(_ command: RedisCommand, script: RedisScript? = nil) async throws -> RedisValue {
        try await withCheckedThrowingContinuation { continuation in
            let accepted = enqueue(.command(PipelinedCommand(command: command, script: script, resume: { continuation.resume(with: $0) })))
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

    private func enqueue(_ work: Work) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        pending.append(work)
        condition.signal()
        return true
    }

    private func run(_ connection: RedisConnection) {
        var commands: [PipelinedCommand] = []
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
            for work in batch {
                switch work {
                case .command(let command):
                    commands.append(command)
                case .body(let body):
                    // Keeps the order: commands queued before this work run before it.
                    Self.sendPipelined(&commands, on: connection)
                    connection.dropIfClosedByServer()
                    body(connection)
                }
            }
            Self.sendPipelined(&commands, on: connection)
        }
        connection.close()
    }

    private static func sendPipelined(_ commands: inout [PipelinedCommand], on connection: RedisConnection) {
        guard !commands.isEmpty else { return }
        defer { commands.removeAll(keepingCapacity: true) }
        // Checked before each unit of work, not before each command inside one: a sequence
        // that relies on its connection (MULTI, WATCH) must fail, not go on on a new one.
        connection.dropIfClosedByServer()
        let replies: [RedisValue]
        do {
            replies = try connection.pipeline(commands.map(\.command))
        } catch {
            for item in commands { item.resume(.failure(error)) }
            return
        }
        for (item, reply) in zip(commands, replies) {
            item.resume(Result {
                if let script = item.script { return try script.checked(reply, of: item.command, on: connection) }
                if case .error(let message) = reply { throw RedisError.server(command: item.command.name, message: message) }
                return reply
            })
        }
    }
}
