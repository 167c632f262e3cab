import API
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Testing

/// Every error is JSON with a message: the router's own 404 and 405 included, and Redis'
/// error replies too (never an empty-bodied 500).
@Suite("API: error responses")
struct ErrorResponseTests {
    private func expectJSONError(_ response: TestResponse, _ status: HTTPResponse.Status, containing text: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        #expect(response.headers[.contentType] == "application/json", sourceLocation: sourceLocation)
        let message = json(response)["error"] as? String ?? ""
        #expect(message.contains(text), "got \(String(buffer: response.body))", sourceLocation: sourceLocation)
    }

    @Test func unknownPathsAre404JSON() async throws {
        try await withAPI { client, _, _ in
            for uri in ["/nope", "/v2/ep/nope", "/api/webhooks/x/y/z", "/v2"] {
                expectJSONError(try await client.get(uri), .notFound, containing: "no route")
            }
        }
    }

    @Test func wrongMethodsAre405WithAllow() async throws {
        try await withAPI { client, _, _ in
            let run = try await client.get("/v2/ep/run")
            expectJSONError(run, .methodNotAllowed, containing: "GET")
            #expect(run.headers[.allow] == "POST")
            let status = try await client.execute(uri: "/status/abc", method: .delete)
            expectJSONError(status, .methodNotAllowed, containing: "DELETE")
            #expect(status.headers[.allow] == "GET, POST")
            let webhook = try await client.execute(uri: "/api/webhooks/abc", method: .patch)
            expectJSONError(webhook, .methodNotAllowed, containing: "PATCH")
            #expect(webhook.headers[.allow] == "DELETE, GET, PUT")
            let ping = try await client.post("/ping", "")
            expectJSONError(ping, .methodNotAllowed, containing: "POST")
        }
    }

    @Test func apiKeyStillComesFirst() async throws {
        try await withAPI(configuration: APIConfiguration(port: 0, apiKeys: ["k"])) { client, _, _ in
            expectJSONError(try await client.get("/nope"), .unauthorized, containing: "Authorization")
            expectJSONError(try await client.get("/nope", headers: [.authorization: "Bearer k"]), .notFound, containing: "no route")
        }
    }

    @Test func anIDNamingAKeyOfAnotherTypeIs404() async throws {
        try await withAPI { client, store, redis in
            // `<id>:stream` is a job's list of unread partial outputs; a string planted by hand too.
            try await redis.send("RPUSH", store.keys.endpoint("default").jobStream("abc"), #"{"n":1}"#)
            try await redis.send("SET", store.keys.endpoint("default").job("planted"), "x")
            // An id with ':' can be no job of ours: refused before Redis is asked.
            for uri in ["/status/abc:stream", "/v2/default/status/abc:stream"] {
                expectJSONError(try await client.get(uri), .notFound, containing: "no job abc:stream")
            }
            expectJSONError(try await client.post("/retry/abc:stream", ""), .notFound, containing: "no job abc:stream")
            // A plausible id naming a key of another type: Redis' WRONGTYPE becomes a 404.
            expectJSONError(try await client.get("/status/planted"), .notFound, containing: "not found")
            expectJSONError(try await client.post("/cancel/planted", ""), .notFound, containing: "not found")
            // Read inside MULTI/EXEC, where the error reply comes back in place: already "no job".
            expectJSONError(try await client.get("/stream/planted"), .notFound, containing: "no job planted")
            #expect(try await redis.send("GET", store.keys.endpoint("default").job("planted")).string == "x")
        }
    }
}
