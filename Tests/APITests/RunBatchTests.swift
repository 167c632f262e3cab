import API
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Testing

@Suite("API: batch submit")
struct RunBatchTests {
    @Test func aBatchQueuesEveryJobInOrderWithItsEvents() async throws {
        try await withAPI { client, store, redis in
            let body = #"{"jobs": [{"input": {"n": 0}}, {"input": {"n": 1}, "webhook": "https://example.com/h"}, {"input": {"n": 2}, "policy": {"lowPriority": true}}]}"#
            let response = try await client.post("/v2/bulk/run-batch", body)
            #expect(response.status == .ok)
            let ids = try #require(json(response)["ids"] as? [String])
            #expect(ids.count == 3)
            let ep = store.keys.endpoint("bulk")
            // Oldest first at the queue's tail, as single submits would leave them.
            let queued = try await redis.send("LRANGE", ep.queue, 0, -1).array?.compactMap { $0.string.flatMap(QueueEntry.init) } ?? []
            #expect(queued.reversed().map(\.id) == [ids[0], ids[1]])
            #expect(queued.last?.input == #"{"n": 0}"#)
            let low = try await redis.send("LRANGE", ep.lowQueue, 0, -1).array?.compactMap { $0.string.flatMap(QueueEntry.init) } ?? []
            #expect(low.map(\.id) == [ids[2]])
            #expect(try await store.record(endpoint: "bulk", id: ids[1])?.webhook == "https://example.com/h")
            #expect(try await redis.send("XLEN", ep.events) == .integer(3))
            #expect(json(try await client.get("/v2/bulk/status/\(ids[2])"))["status"] as? String == "IN_QUEUE")
        }
    }

    @Test(arguments: [
        (#"{"jobs": []}"#, "'jobs' is empty"),
        (#"{"job": [{"input": {}}]}"#, "missing 'jobs'"),
        (#"{"jobs": {"input": {}}}"#, "missing 'jobs'"),
        (#"{"jobs": [{"input": {}}, 5]}"#, "jobs[1]: each job must be a JSON object"),
        (#"{"jobs": [{"input": {}}, {"input": {}}, {"input": {}, "webhook": "ftp://x"}]}"#, "jobs[2]: "),
        (#"{"jobs": [{"input": {}}, {"inpt": {}}]}"#, "jobs[1]: missing 'input'"),
        ("[]", "not a JSON object"),
    ])
    func oneBadJobRefusesTheWholeBatch(body: String, reason: String) async throws {
        try await withAPI { client, _, redis in
            let response = try await client.post("/v2/bulk/run-batch", body)
            #expect(response.status == .badRequest)
            let message = json(response)["error"] as? String ?? ""
            #expect(message.contains(reason), "got: \(message)")
            #expect(try await redis.send("DBSIZE") == .integer(0))
        }
    }

    @Test func aBatchOverTheLimitGets413AndQueuesNothing() async throws {
        try await withAPI(configuration: APIConfiguration(port: 0, maxBatchJobs: 2)) { client, _, redis in
            let response = try await client.post("/v2/bulk/run-batch", #"{"jobs": [{"input": {}}, {"input": {}}, {"input": {}}]}"#)
            #expect(response.status == .contentTooLarge)
            #expect((json(response)["error"] as? String ?? "").contains("at most 2"))
            #expect(try await redis.send("DBSIZE") == .integer(0))
            #expect(try await client.post("/v2/bulk/run-batch", #"{"jobs": [{"input": {}}, {"input": {}}]}"#).status == .ok)
        }
    }

    @Test func jobsBeyondOneLPushChunkKeepTheirOrder() async throws {
        try await withAPI(configuration: APIConfiguration(port: 0, maxBatchJobs: 2000)) { client, store, redis in
            let jobs = (0..<1500).map { #"{"input": {"n": \#($0)}}"# }.joined(separator: ",")
            let ids = try #require(json(try await client.post("/v2/bulk/run-batch", #"{"jobs": [\#(jobs)]}"#))["ids"] as? [String])
            #expect(Set(ids).count == 1500)
            let queue = store.keys.endpoint("bulk").queue
            let order = try await redis.send("LRANGE", queue, 0, -1).array?.compactMap { $0.string.flatMap(QueueEntry.init)?.id } ?? []
            #expect(order == ids.reversed())
            #expect(try await redis.send("LINDEX", queue, -1).string.flatMap(QueueEntry.init) == QueueEntry(id: ids[0], input: #"{"n": 0}"#))
        }
    }
}
