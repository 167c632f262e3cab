import Hummingbird

/// An error answered as `{"error": "..."}` with its HTTP status; never a crash, never HTML.
public struct APIError: Error, HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    public let message: String

    public init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    public var headers: HTTPFields { [.contentType: "application/json"] }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status: status, OrchestratorJSON.object([("error", .string(message))]))
    }
}
