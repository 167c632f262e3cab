import Foundation
import OrchestratorCore
import Redis
import RedisTestSupport

/// A JobStore on a throwaway Redis plus helpers that put jobs into any state the real way.
struct JobFixture {
    let store: JobStore
    let redis: RedisClient
    let keys = KeySpace()
    static let worker = "worker-a"
    static let lease = Duration.seconds(30)

    init(redis: RedisClient) {
        self.redis = redis
        self.store = JobStore(redis: redis)
    }

    static func run(_ body: (JobFixture) async throws -> Void) async throws {
        try await withRedisClient { redis, _ in try await body(JobFixture(redis: redis)) }
    }

    func submit(endpoint: String = "ep", input: String = #"{"n":1}"#, webhook: String? = nil, policy: JobPolicy = JobPolicy()) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await store.submit(JobSubmission(id: id, endpoint: endpoint, input: input, webhook: webhook, policy: policy))
        return id
    }

    /// A job in `state` (nil: an id that was never submitted), alone on its own endpoint.
    func job(in state: JobStatus?) async throws -> (id: String, endpoint: String) {
        let endpoint = "ep-\(UUID().uuidString.prefix(8))"
        guard let state else { return (UUID().uuidString.lowercased(), endpoint) }
        let id = try await submit(endpoint: endpoint)
        switch state {
        case .inQueue: break
        case .cancelled: _ = try await store.cancel(id)
        default:
            let claimed = try await store.claimNext(workerID: Self.worker, endpoints: [endpoint], max: 1, lease: Self.lease)
            precondition(claimed.map(\.id) == [id])
            switch state {
            case .completed: _ = try await store.finish(id, workerID: Self.worker, outcome: .completed(output: #"{"ok":true}"#))
            case .failed: _ = try await store.finish(id, workerID: Self.worker, outcome: .failed(error: "boom"))
            case .timedOut: _ = try await store.finish(id, workerID: Self.worker, outcome: .timedOut(error: "too slow"))
            default: break
            }
        }
        return (id, endpoint)
    }

    func status(_ id: String) async throws -> JobStatus? {
        try await store.record(id)?.status
    }

    func events(for id: String) async throws -> [[String: String]] {
        let entries = try await redis.send("XRANGE", keys.events, "-", "+").array ?? []
        return entries.compactMap { $0.array?.last?.stringDictionary }.filter { $0["job"] == id }
    }
}
