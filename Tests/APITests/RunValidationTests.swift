import API
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Testing

@Suite("API: submitting and validation")
struct RunValidationTests {
    @Test func runQueuesAJobAndStatusReportsIt() async throws {
        try await withAPI { client, store, redis in
            let response = try await client.post("/v2/sdxl/run", #"{"input": {"prompt": "a cat", "steps": 1.50}, "webhook": "https://example.com/hook"}"#)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let body = json(response)
            let id = try #require(body["id"] as? String)
            #expect(body["status"] as? String == "IN_QUEUE")
            let record = try #require(try await store.record(endpoint: "sdxl", id: id))
            let entry = try await redis.send("LINDEX", store.keys.endpoint("sdxl").queue, 0).string.flatMap(QueueEntry.init)
            #expect(entry == QueueEntry(id: id, input: #"{"prompt": "a cat", "steps": 1.50}"#))
            #expect(record.webhook == "https://example.com/hook")
            let status = try await client.get("/v2/sdxl/status/\(id)")
            #expect(json(status)["status"] as? String == "IN_QUEUE")
            // The same id on another endpoint is not there.
            #expect(try await client.get("/v2/other/status/\(id)").status == .notFound)
        }
    }

    @Test func defaultEndpointAnswersAtShortPaths() async throws {
        try await withAPI { client, _, _ in
            let id = try #require(json(try await client.post("/run", #"{"input": {}}"#))["id"] as? String)
            #expect(json(try await client.get("/v2/default/status/\(id)"))["id"] as? String == id)
            #expect(json(try await client.post("/status/\(id)", ""))["status"] as? String == "IN_QUEUE")
        }
    }

    @Test(arguments: [
        ("not json", "not a JSON object"),
        (#"[1, 2]"#, "not a JSON object"),
        (#"{"inpt": {}}"#, "missing 'input'"),
        (#"{"input": "text"}"#, "'input' must be a JSON object"),
        (#"{"input": {}, "webhook": "/relative"}"#, "absolute http"),
        (#"{"input": {}, "webhook": "javascript:alert(1)"}"#, "absolute http"),
        (#"{"input": {}, "webhookv2": 5}"#, "'webhookv2' must be a string"),
        (#"{"input": {}, "policy": {"executionTimeout": -1}}"#, "must be positive"),
        (#"{"input": {}, "policy": {"ttl": "10s"}}"#, "whole number of milliseconds"),
        (#"{"input": {}, "policy": {"lowPriority": "yes"}}"#, "true or false"),
        (#"{"input": {}, "policy": []}"#, "'policy' must be a JSON object"),
    ])
    func badBodiesGet400WithAReason(body: String, reason: String) async throws {
        try await withAPI { client, store, redis in
            let response = try await client.post("/v2/ep/run", body)
            #expect(response.status == .badRequest)
            let message = json(response)["error"] as? String ?? ""
            #expect(message.contains(reason), "got: \(message)")
            // Nothing half-written.
            #expect(try await redis.send("DBSIZE") == .integer(0))
        }
    }

    @Test func badEndpointNameIsRefused() async throws {
        try await withAPI { client, _, _ in
            let response = try await client.post("/v2/bad%20name/run", #"{"input": {}}"#)
            #expect(response.status == .badRequest)
            #expect((json(response)["error"] as? String ?? "").contains("invalid endpoint name"))
        }
    }

    @Test func oversizedBodyGets413() async throws {
        try await withAPI(configuration: APIConfiguration(port: 0, maxBodyBytes: 1024)) { client, store, redis in
            let big = #"{"input": {"blob": ""# + String(repeating: "x", count: 4096) + #""}}"#
            let response = try await client.post("/run", big)
            #expect(response.status == .contentTooLarge)
            #expect((json(response)["error"] as? String ?? "").contains("larger than 1024 bytes"))
            #expect(try await redis.send("DBSIZE") == .integer(0))
        }
    }

    @Test func unknownJobIs404() async throws {
        try await withAPI { client, _, _ in
            for uri in ["/status/nope", "/v2/x/status/nope"] {
                let response = try await client.get(uri)
                #expect(response.status == .notFound)
                #expect((json(response)["error"] as? String ?? "").contains("no job nope"))
            }
            #expect(try await client.post("/cancel/nope", "").status == .notFound)
            #expect(try await client.post("/retry/nope", "").status == .notFound)
        }
    }
}
