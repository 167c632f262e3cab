import Hummingbird
import Logging
import Redis

/// Runs a Redis operation, turning Redis' failures into answers a client can act on:
///
/// - Redis unreachable, or in a state that passes (`LOADING` after a restart, `BUSY` script,
///   `READONLY` replica during a failover, `OOM`, `MISCONF`, ...), or the client shutting down:
///   503, try again.
/// - `WRONGTYPE`: 404. The only way a request reaches a key of another type is an id that, put
///   into a key name, names some other key (`<id>:stream`, a job's list of partial outputs, or a
///   key planted by hand), so what the client asked for does not exist. Not 409: no change on
///   the client's side would make the request succeed.
/// - Any other error reply: 500 with Redis' message (a bug or a broken script; logged).
@discardableResult
func withStorage<T>(logger: Logger, _ operation: () async throws -> T) async throws -> T {
    do {
        return try await operation()
    } catch let error as RedisError {
        throw StorageFailure.answer(for: error, logger: logger)
    }
}

enum StorageFailure {
    /// Error replies that mean "not now": the same command succeeds later.
    private static let transient: Set<String> = [
        "LOADING", "BUSY", "READONLY", "MASTERDOWN", "TRYAGAIN", "NOREPLICAS", "CLUSTERDOWN", "OOM", "MISCONF",
    ]

    static func answer(for error: RedisError, logger: Logger) -> APIError {
        switch error {
        case .server(_, let message):
            let code = message.prefix { $0 != " " }
            if code == "WRONGTYPE" {
                logger.notice("id names a Redis key of another type", metadata: ["error": "\(error)"])
                return APIError(.notFound, "not found: the id names a Redis key that holds something else (WRONGTYPE)")
            }
            if transient.contains(String(code)) {
                logger.warning("Redis cannot serve the request now", metadata: ["error": "\(error)"])
                return APIError(.serviceUnavailable, "storage unavailable, try again: \(error)")
            }
            logger.error("Redis refused a command", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "storage error: \(error)")
        case .connectFailed, .connectionLost, .timeout, .closed:
            logger.error("Redis unavailable", metadata: ["error": "\(error)"])
            return APIError(.serviceUnavailable, "storage unavailable, try again: \(error)")
        case .invalidURL, .other:
            logger.error("Redis client error", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "storage error: \(error)")
        }
    }
}

/// The request body, refused with 413 past `limit` bytes.
func readBody(_ request: Request, limit: Int) async throws -> [UInt8] {
    var request = request
    do {
        return Array(try await request.collectBody(upTo: limit).readableBytesView)
    } catch let error as HTTPResponseError where error.status == .contentTooLarge {
        throw APIError(.contentTooLarge, "request body is larger than \(limit) bytes")
    }
}
