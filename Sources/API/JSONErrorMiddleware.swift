import Hummingbird
import Logging

/// Every error becomes `{"error": "..."}` with `Content-Type: application/json`: the router's
/// own 404 (unknown path) and what would be a 404 for a known path under another method (405,
/// with `Allow`), Hummingbird's other errors, and anything unexpected (500, logged). Hummingbird
/// answers those with an empty body, which RunPod's SDK and our CLI cannot show.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let routes: RouteTable
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            if error.status == .notFound {
                return routerNotFound(request)
            }
            var response = JSONResponse.make(status: error.status, OrchestratorJSON.object([("error", .string(Self.message(error)))]))
            for field in (error as? HTTPError)?.headers ?? [:] where field.name != .contentType && field.name != .contentLength {
                response.headers.append(field)
            }
            return response
        } catch {
            logger.error("request failed", metadata: ["method": "\(request.method)", "path": "\(request.uri.path)", "error": "\(error)"])
            return JSONResponse.make(status: .internalServerError, OrchestratorJSON.object([("error", .string("internal error: \(error)"))]))
        }
    }

    /// Our handlers answer their own 404s with ``APIError``; a plain one comes from the router.
    private func routerNotFound(_ request: Request) -> Response {
        let path = request.uri.path
        let allowed = routes.methods(at: path)
        guard !allowed.isEmpty else {
            return JSONResponse.make(status: .notFound, OrchestratorJSON.object([("error", .string("no route \(path)"))]))
        }
        let names = allowed.map(\.rawValue).joined(separator: ", ")
        var response = JSONResponse.make(status: .methodNotAllowed, OrchestratorJSON.object([
            ("error", .string("\(request.method.rawValue) is not allowed on \(path); use \(names)")),
        ]))
        response.headers[.allow] = names
        return response
    }

    private static func message(_ error: any HTTPResponseError) -> String {
        if let error = error as? HTTPError, let body = error.body, !body.isEmpty { return body }
        return error.status.reasonPhrase
    }
}
