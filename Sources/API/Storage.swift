import Hummingbird
import Logging
import Redis

/// Runs a Redis operation, answering 503 (not 500) when Redis is unreachable.
@discardableResult
func withStorage<T>(logger: Logger, _ operation: () async throws -> T) async throws -> T {
    do {
        return try await operation()
    } catch let error as RedisError where error.isConnectionError {
        logger.error("Redis unavailable", metadata: ["error": "\(error)"])
        throw APIError(.serviceUnavailable, "storage unavailable, try again: \(error)")
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
