import Hummingbird

/// An error answered as `{"error": "..."}` with its HTTP status; never a crash, never HTML.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String
    /// Seconds the client should wait before asking again (429, 503).
    public var retryAfter: Int?

    public init(_ status: HTTPResponse.Status, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.message = message
        self.retryAfter = retryAfter
    }

    /// 429 with `Retry-After`: a degraded API asks clients to back off.
    public static func busy(_ message: String) -> APIError {
        APIError(.tooManyRequests, message, retryAfter: 5)
    }

    public var headers: HTTPFields {
        var fields: HTTPFields = [.contentType: "application/json"]
        if let retryAfter { fields[.retryAfter] = String(retryAfter) }
        return fields
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONResponse.make(status: status, OrchestratorJSON.object([("error", .string(message))]))
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }
}
