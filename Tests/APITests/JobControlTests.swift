import API
import Foundation
import Hummingbird
import HummingbirdTesting
import OrchestratorCore
import Testing

@Suite("API: cancel, retry, purge, health, stream, runsync, keys")
struct JobControlTests {
    @Test func cancelRetryAndTheirRefusals() async throws {
        try await withAPI { client, store, redis in
            let id = try #require(json(try await client.post("/run", #"{"input": {}}"#))["id"] as? String)
            #expect(try await client.post("/retry/\(id)", "").status == .conflict)
            let cancelled = json(try await client.post("/cancel/\(id)", ""))
            #expect(cancelled["status"] as? String == "CANCELLED")
            // A tombstone stays in the queue (O(1) cancel) and no longer counts as queued.
            #expect(json(try await client.get("/health"))["jobs"].flatMap { ($0 as? [String: Int])?["inQueue"] } == 0)
            let again = json(try await client.post("/cancel/\(id)", ""))
            #expect(again["status"] as? String == "CANCELLED")
            #expect((again["message"] as? String ?? "").contains("already ended"))
            let retried = json(try await client.post("/retry/\(id)", ""))
            #expect(retried["status"] as? String == "IN_QUEUE" && retried["id"] as? String == id)
        }
    }

    @Test func purgeAndHealth() async throws {
        try await withAPI { client, _, _ in
            for _ in 0..<3 { _ = try await client.post("/v2/p/run", #"{"input": {}}"#) }
            #expect(json(try await client.get("/v2/p/health"))["jobs"] as? [String: Int] == [
                "completed": 0, "failed": 0, "inProgress": 0, "inQueue": 3, "retried": 0,
            ])
            let purge = json(try await client.post("/v2/p/purge-queue", ""))
            #expect(purge["removed"] as? Int == 3 && purge["status"] as? String == "completed")
            let health = json(try await client.get("/v2/p/health"))
            #expect((health["jobs"] as? [String: Int])?["inQueue"] == 0)
            #expect(health["workers"] as? [String: Int] == ["idle": 0, "running": 0])
        }
    }

    @Test func streamHandsOutEachChunkOnce() async throws {
        try await withAPI { client, store, redis in
            let id = try #require(json(try await client.post("/run", #"{"input": {}}"#))["id"] as? String)
            try await store.appendStream(endpoint: "default", id: id, chunk: #"{"token":"a"}"#)
            try await store.appendStream(endpoint: "default", id: id, chunk: "[1,2]")
            let first = json(try await client.get("/stream/\(id)"))
            #expect(first["status"] as? String == "IN_QUEUE")
            let items = first["stream"] as? [[String: Any]] ?? []
            #expect(items.count == 2)
            #expect((items.first?["output"] as? [String: String]) == ["token": "a"])
            #expect(((json(try await client.get("/stream/\(id)"))["stream"]) as? [Any])?.isEmpty == true)
            // Asked on another endpoint: no such job, and the chunks are left alone.
            try await store.appendStream(endpoint: "default", id: id, chunk: "3")
            #expect(try await client.get("/v2/elsewhere/stream/\(id)").status == .notFound)
            #expect(((json(try await client.get("/stream/\(id)"))["stream"]) as? [Any])?.count == 1)
        }
    }

    @Test func runsyncReturnsTheResultAsSoonAsTheJobEnds() async throws {
        try await withAPI { client, store, redis in
            let worker = Task {
                while true {
                    let jobs = try await store.claimNext(workerID: "w", endpoint: "default", max: 1)
                    if let job = jobs.first {
                        try await Task.sleep(for: .milliseconds(300))
                        _ = try await store.finish(job, workerID: "w", outcome: .completed(output: #"{"answer":42}"#), elapsed: .milliseconds(300))
                        return
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
            }
            let started = ContinuousClock.now
            let response = json(try await client.post("/runsync?wait=20000", #"{"input": {}}"#))
            #expect(response["status"] as? String == "COMPLETED")
            #expect((response["output"] as? [String: Int]) == ["answer": 42])
            // Answered when the job ended, well before the 20 s wait (bounds allow a loaded machine).
            #expect(ContinuousClock.now - started < .seconds(10))
            try await worker.value
        }
    }

    @Test func runsyncTimesOutWithTheCurrentStatus() async throws {
        try await withAPI { client, _, _ in
            let started = ContinuousClock.now
            let response = json(try await client.post("/runsync?wait=1000", #"{"input": {}}"#))
            #expect(response["status"] as? String == "IN_QUEUE")
            #expect(response["id"] is String)
            #expect(ContinuousClock.now - started < .seconds(15))
        }
    }

    @Test func apiKeysAreRequiredExceptForPing() async throws {
        try await withAPI(configuration: APIConfiguration(port: 0, apiKeys: ["k1", "second-key"])) { client, _, _ in
            #expect(try await client.get("/ping").status == .ok)
            let missing = try await client.post("/run", #"{"input": {}}"#)
            #expect(missing.status == .unauthorized)
            #expect((json(missing)["error"] as? String ?? "").contains("missing Authorization"))
            #expect(try await client.post("/run", #"{"input": {}}"#, headers: [.authorization: "Bearer wrong"]).status == .unauthorized)
            #expect(try await client.post("/run", #"{"input": {}}"#, headers: [.authorization: "Bearer k"]).status == .unauthorized)
            #expect(try await client.post("/run", #"{"input": {}}"#, headers: [.authorization: "Bearer second-key"]).status == .ok)
            #expect(try await client.get("/v2/x/health", headers: [.authorization: "Bearer k1"]).status == .ok)
        }
    }
}
