import Foundation
import OrchestratorCore
import Redis
import Testing

/// Costs that must not grow with the queue: at 100,000 queued jobs, cancel (oldest and newest),
/// claim and every slice of a purge stay far under Redis' 50 ms stall bound (SLOWLOG records any
/// command slower than that), and the purge gets through the whole queue. (`make bench` measures
/// the same at 1,000,000.)
@Suite("Deep queues")
struct DeepQueueTests {
    @Test func cancelClaimAndPurgeStayShortAtDepth() async throws {
        try await JobFixture.run { fixture in
            let depth = 100_000
            var ids: [String] = []
            ids.reserveCapacity(depth)
            for _ in 0..<(depth / 1000) {
                let batch = (0..<1000).map { _ in JobSubmission(id: UUID().uuidString.lowercased(), endpoint: "deep", input: #"{"n":1}"#) }
                try await fixture.store.submit(batch: batch, endpoint: "deep")
                ids += batch.map(\.id)
            }
            try await fixture.redis.send("CONFIG", "SET", "slowlog-log-slower-than", 50_000)
            try await fixture.redis.send("SLOWLOG", "RESET")
            #expect(try await fixture.store.cancel(endpoint: "deep", id: ids[0]) == .applied(from: .inQueue))
            #expect(try await fixture.store.cancel(endpoint: "deep", id: ids[depth - 1]) == .applied(from: .inQueue))
            // The oldest was cancelled: the claim skips its tombstone and takes the next one.
            #expect(try await fixture.claim(endpoint: "deep").map(\.id) == [ids[1]])
            #expect(try await fixture.store.health(endpoint: "deep").inQueue == depth - 3)
            #expect(try await fixture.store.purgeQueue(endpoint: "deep") == depth - 3)
            let slow = try await fixture.redis.send("SLOWLOG", "GET", 10).array ?? []
            #expect(slow.isEmpty, "commands slower than 50 ms: \(slow)")
            #expect(try await fixture.store.health(endpoint: "deep").inQueue == 0)
        }
    }
}
