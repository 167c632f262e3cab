import Logging
import Synchronization

/// An async Redis client: a fixed pool of connections, each on its own thread.
///
/// Ordinary commands go round-robin over the pool. Blocking commands (`BLMOVE`,
/// `XREADGROUP ... BLOCK`) must use a ``RedisDedicatedConnection`` from
/// ``makeDedicatedConnection(name:)`` so that one blocked reader never starves the others.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    private let pool: [ConnectionThread]
    private let nextIndex = Atomic<Int>(0)

    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
        self.pool = (0..<max(1, configuration.poolSize)).map {
            ConnectionThread(configuration: configuration, name: "redis-pool-\($0)")
        }
    }

    public convenience init(url: String, poolSize: Int = 2) throws {
        var configuration = try RedisConfiguration(url: url)
        configuration.poolSize = poolSize
        self.init(configuration: configuration)
    }

    deinit { close() }

    /// Sends one command; error replies throw ``RedisError/server(command:message:)``.
    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgumentConvertible...) async throws -> RedisValue {
        try await send(RedisCommand(name, arguments))
    }

    /// Sends one command; commands waiting for the same connection go out together in one
    /// pipeline (one write, one read), each still getting its own reply or error.
    @discardableResult
    public func send(_ command: RedisCommand) async throws -> RedisValue {
        try await nextThread().send(command)
    }

    /// A script's `EVALSHA`, pipelined like ``send(_:)``; see ``RedisScript/run(on:keys:arguments:)``.
    func send(_ command: RedisCommand, script: RedisScript) async throws -> RedisValue {
        try await nextThread().send(command, script: script)
    }

    /// Sends the commands in one round trip; error replies come back in place.
    public func pipeline(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        try await withConnection { try $0.pipeline(commands) }
    }

    /// `MULTI` + commands + `EXEC` in one round trip; returns the replies of the commands.
    public func transaction(_ commands: [RedisCommand]) async throws -> [RedisValue] {
        try await withConnection { try $0.transaction(commands) }
    }

    /// Runs `body` on one pooled connection's thread. Use for a short sequence that must share
    /// a connection; never for blocking commands.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await nextThread().execute(body)
    }

    private func nextThread() -> ConnectionThread {
        pool[nextIndex.wrappingAdd(1, ordering: .relaxed).oldValue % pool.count]
    }

    /// A connection of its own, on a thread of its own, for blocking commands.
    public func makeDedicatedConnection(name: String = "redis-dedicated") -> RedisDedicatedConnection {
        RedisDedicatedConnection(configuration: configuration, name: name)
    }

    /// Stops the pool's threads and closes their connections. Later calls throw ``RedisError/closed``.
    public func close() {
        for thread in pool { thread.close() }
    }
}

/// A single connection with its own thread, for blocking reads.
///
/// Cancelling the task that waits on a blocking command aborts the read (the socket is shut
/// down; the next command reconnects) so shutdown never waits for a `BLOCK` timeout.
public final class RedisDedicatedConnection: Sendable {
    private let thread: ConnectionThread

    init(configuration: RedisConfiguration, name: String) {
        self.thread = ConnectionThread(configuration: configuration, name: name)
    }

    deinit { thread.close() }

    /// Sends one command. `blockingFor` is how long the server may hold the reply
    /// (the block time of `BLMOVE`/`XREADGROUP`), added to the command timeout.
    @discardableResult
    public func send(_ command: RedisCommand, blockingFor: Duration? = nil) async throws -> RedisValue {
        try await withTaskCancellationHandler {
            try await thread.execute { try $0.send(command, blockingFor: blockingFor) }
        } onCancel: {
            thread.interruptor.interrupt()
        }
    }

    @discardableResult
    public func send(_ name: String, _ arguments: any RedisArgumentConvertible...) async throws -> RedisValue {
        try await send(RedisCommand(name, arguments))
    }

    /// Runs `body` with the connection on its thread.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (RedisConnection) throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await thread.execute(body)
        } onCancel: {
            thread.interruptor.interrupt()
        }
    }

    public func close() { thread.close() }
}
