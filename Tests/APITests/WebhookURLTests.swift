import API
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Testing

/// Webhook URLs with spaces or control characters (a "\r\n" escaped inside the JSON string, say)
/// are refused for jobs and subscriptions alike: Foundation's URL parser percent-encodes them
/// silently, and a URL that is not what the client wrote is a URL we should not call.
@Suite("API: webhook URLs")
struct WebhookURLTests {
    /// As they appear inside a JSON string literal.
    static let refused = [
        #"http://example.com/a\r\nX-Injected: 1"#, #"http://example.com/a b"#, #"http://example.com/\t"#,
        #"http://example.com/x\u007f"#, #"http://example.com/x\u0000"#, #"http://example.com/x\u0085"#,
        #"http://example.com/x\u00a0"#, #"http://example.com/x\u2028"#, #" http://example.com/"#,
        #"http://example.com/ "#,
    ]

    @Test(arguments: refused)
    func runRefusesThem(_ url: String) async throws {
        try await withAPI { client, store, redis in
            for field in ["webhook", "webhookv2"] {
                let response = try await client.post("/run", #"{"input": {}, "\#(field)": "\#(url)"}"#)
                #expect(response.status == .badRequest)
                #expect((json(response)["error"] as? String ?? "").contains("spaces or control characters"), "\(json(response))")
            }
            #expect(try await redis.send("DBSIZE") == .integer(0))
        }
    }

    @Test(arguments: refused)
    func subscriptionsRefuseThem(_ url: String) async throws {
        try await withAPI { client, store, redis in
            let created = try await client.post("/api/webhooks", #"{"url": "\#(url)", "events": ["*"]}"#)
            #expect(created.status == .badRequest)
            #expect((json(created)["error"] as? String ?? "").contains("spaces or control characters"), "\(json(created))")
            #expect(try await redis.send("DBSIZE") == .integer(0))

            let good = try await client.post("/api/webhooks", #"{"url": "https://example.com/hook", "events": ["*"]}"#)
            let id = try #require(json(good)["id"] as? String)
            let updated = try await client.execute(uri: "/api/webhooks/\(id)", method: .put, body: ByteBuffer(string: #"{"url": "\#(url)"}"#))
            #expect(updated.status == .badRequest)
            #expect(json(try await client.get("/api/webhooks/\(id)"))["url"] as? String == "https://example.com/hook")

            let test = try await client.post("/api/webhooks/test", #"{"url": "\#(url)"}"#)
            #expect(test.status == .badRequest)
        }
    }

    @Test func encodedAndNonASCIIURLsAreStillAccepted() async throws {
        try await withAPI { client, store, redis in
            for url in ["https://example.com/hook?a=%20b&c=%0D%0A", "https://example.com/p%C3%A4th", "https://bücher.example/hook"] {
                let response = try await client.post("/run", #"{"input": {}, "webhook": "\#(url)"}"#)
                #expect(response.status == .ok, "\(url): \(json(response))")
                let id = try #require(json(response)["id"] as? String)
                #expect(try await store.record(endpoint: "default", id: id)?.webhook == url)
            }
        }
    }
}
