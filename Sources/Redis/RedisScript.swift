import Crypto

/// A Lua script run with `EVALSHA`. When Redis does not know the script (`NOSCRIPT`: after a
/// restart, a failover or `SCRIPT FLUSH`) it is loaded with `SCRIPT LOAD` and run again, so
/// callers never see the difference.
public struct RedisScript: Sendable {
    /// A name for logs and errors (`submit`, `transition`, ...).
    public let name: String
    public let source: String
    /// Lower-case hex SHA-1 of the source, as Redis names scripts.
    public let sha1: String

    public init(name: String, source: String) {
        self.name = name
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The `EVALSHA` command for these keys and arguments (for use inside a pipeline).
    public func command(keys: [any RedisArgumentConvertible], arguments: [any RedisArgumentConvertible]) -> RedisCommand {
        RedisCommand("EVALSHA", [sha1, keys.count] + keys + arguments)
    }

    /// Runs the script on a pooled connection (one thread hop, even when it has to be loaded;
    /// pipelined with other commands waiting for the same connection).
    public func run(
        on client: RedisClient,
        keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) async throws -> RedisValue {
        try await client.send(command(keys: keys, arguments: arguments), script: self)
    }

    /// Runs the script synchronously on a connection (from inside `withConnection`).
    public func run(
        on connection: RedisConnection,
        keys: [any RedisArgumentConvertible] = [],
        arguments: [any RedisArgumentConvertible] = []
    ) throws -> RedisValue {
        try run(command(keys: keys, arguments: arguments), on: connection)
    }

    private func run(_ command: RedisCommand, on connection: RedisConnection) throws -> RedisValue {
        try checked(connection.sendAllowingErrorReply(command), of: command, on: connection)
    }

    /// The script's result from the reply to its `EVALSHA`: on `NOSCRIPT` the script is loaded
    /// and run again on `connection`; an error reply throws, naming the script.
    func checked(_ reply: RedisValue, of command: RedisCommand, on connection: RedisConnection) throws -> RedisValue {
        var reply = reply
        if let message = reply.errorMessage, message.hasPrefix("NOSCRIPT") {
            _ = try connection.send(RedisCommand("SCRIPT", "LOAD", source))
            reply = try connection.sendAllowingErrorReply(command)
        }
        if let message = reply.errorMessage {
            throw RedisError.server(command: "script '\(name)'", message: message)
        }
        return reply
    }
}
