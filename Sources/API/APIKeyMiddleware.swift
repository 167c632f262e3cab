import Crypto
import Hummingbird

/// Requires `Authorization: Bearer <key>` on every route but the liveness probe when keys are
/// configured. Keys are compared as SHA-256 digests in constant time, so neither the key's
/// content nor its length leaks through timing.
struct APIKeyMiddleware<Context: RequestContext>: RouterMiddleware {
    private let digests: [[UInt8]]
    private let openPaths: Set<String>

    init(keys: [String], openPaths: Set<String>) {
        self.digests = keys.map { Array(SHA256.hash(data: Array($0.utf8))) }
        self.openPaths = openPaths
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !digests.isEmpty, !openPaths.contains(request.uri.path) else {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization] else {
            throw APIError(.unauthorized, "missing Authorization header (expected 'Bearer <api key>')")
        }
        // RunPod's worker protocol sends the raw key without "Bearer"; accept both.
        let presented = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
        let digest = Array(SHA256.hash(data: Array(presented.utf8)))
        var matched = false
        for candidate in digests {
            var difference: UInt8 = 0
            for index in 0..<candidate.count { difference |= candidate[index] ^ digest[index] }
            matched = matched || difference == 0
        }
        guard matched else { throw APIError(.unauthorized, "invalid API key") }
        return try await next(request, context)
    }
}
