/// Everything the Redis client can fail with. Each case says whether the command may have run.
///
/// The client never sends a command twice on its own: once any byte of a command may have
/// reached the server, a broken connection is ``connectionLost`` or ``timeout`` and the caller
/// decides (a `/run` retried blindly could queue a job twice). What it does instead is make sure
/// a command is not written to a connection that is already known to be dead: a pooled or
/// dedicated connection the server closed while it sat idle (a restart, `CLIENT KILL`, an idle
/// timeout) is noticed before the next write (its end-of-file is already in the socket) and
/// replaced, so that command goes out on a new connection and cannot have run on the old one.
public enum RedisError: Error, Sendable, Equatable {
    /// No connection could be made (refused, unreachable, DNS, AUTH/SELECT rejected).
    /// The command was not sent.
    case connectFailed(endpoint: String, reason: String)
    /// The connection broke while the command was in flight (server gone, reset, EOF).
    /// The command may or may not have run; the caller decides whether to retry.
    case connectionLost(endpoint: String, reason: String)
    /// No reply within the command timeout. The connection is dropped and remade on next use;
    /// the command may or may not have run.
    case timeout(endpoint: String, command: String)
    /// Redis answered with an error reply (`ERR`, `WRONGTYPE`, a Lua `error_reply`, ...).
    case server(command: String, message: String)
    /// The URL given for the server could not be understood.
    case invalidURL(String, reason: String)
    /// The client was shut down.
    case closed
    /// Something hiredis reported that fits none of the above (protocol error, out of memory).
    case other(String)

    /// True when the failure came from the connection rather than from Redis' answer,
    /// so the same command may succeed once the server is back.
    public var isConnectionError: Bool {
        switch self {
        case .connectFailed, .connectionLost, .timeout: true
        default: false
        }
    }
}

extension RedisError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connectFailed(let endpoint, let reason): "cannot connect to Redis at \(endpoint): \(reason)"
        case .connectionLost(let endpoint, let reason): "connection to Redis at \(endpoint) lost: \(reason)"
        case .timeout(let endpoint, let command): "Redis at \(endpoint) did not answer \(command) in time"
        case .server(let command, let message): "Redis refused \(command): \(message)"
        case .invalidURL(let url, let reason): "invalid Redis URL '\(url)': \(reason)"
        case .closed: "Redis client is closed"
        case .other(let message): "Redis client error: \(message)"
        }
    }
}
