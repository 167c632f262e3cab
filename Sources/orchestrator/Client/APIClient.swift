import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// A failed CLI request: the API's error message, or why the API could not be reached.
struct ClientError: Error, CustomStringConvertible {
    let description: String
}

/// The API's answer: status code, raw body and the body parsed as a JSON object.
struct APIAnswer {
    let status: Int
    let body: String
    let object: [String: Any]
}

/// The HTTP side of the CLI: one request per call.
struct APIClient {
    let baseURL: String
    let apiKey: String?

    /// Sends a request; throws ``ClientError`` for non-2xx answers (with the API's message).
    func send(_ method: HTTPMethod, _ path: String, body: String? = nil, timeout: Duration = .seconds(120)) async throws -> APIAnswer {
        let base = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let apiKey { request.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .seconds(10)))
        // A refused connection is an answer for a person at a terminal: no retrying until the deadline.
        configuration.connectionPool.retryConnectionEstablishment = false
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let response: HTTPClientResponse
        let data: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .milliseconds(Int64(timeout.components.seconds * 1000)))
            data = try await response.body.collect(upTo: 64 * 1024 * 1024)
            try? await http.shutdown()
        } catch {
            try? await http.shutdown()
            throw ClientError(description: "cannot reach the API at \(base): \(Self.describe(error))")
        }
        let text = String(buffer: data)
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let status = Int(response.status.code)
        guard (200..<300).contains(status) else {
            let message = object["error"] as? String ?? (text.isEmpty ? response.status.reasonPhrase : text)
            throw ClientError(description: "HTTP \(status): \(message)")
        }
        return APIAnswer(status: status, body: text, object: object)
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        if let client = error as? HTTPClientError, client == .deadlineExceeded { return "timed out" }
        return text
    }
}
