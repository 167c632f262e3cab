import Foundation
import OrchestratorCore
import Redis
import RedisTestSupport
import Synchronization

/// A JobStore on a throwaway Redis plus helpers that put jobs into any state the real way. It
/// remembers what each claim returned, as a worker does, to record results with it.
final class JobFixture: Sendable {
    let store: JobStore
    let redis: RedisClient
    let keys = KeySpace()
    static let worker = "worker-a"
    private let claims = Mutex<[String: ClaimedJob]>([:])

    init(redis: RedisClient) {
        self.redis = redis
        self.store = JobStore(redis: redis)
    }

    static func run(_ body: (JobFixture) async throws -> Void) async throws {
        try await withRedisClient { redis, _ in try await body(JobFixture(redis: redis)) }
    }

    func ep(_ endpoint: String) -> EndpointKeys { keys.endpoint(endpoint) }

    func submit(endpoint: String = "ep", input: String = #"{"n":1}"#, webhook: String? = nil, policy: JobPolicy = JobPolicy(),
                waitsForEnd: Bool = false) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await store.submit(JobSubmission(id: id, endpoint: endpoint, input: input, webhook: webhook, policy: policy, waitsForEnd: waitsForEnd))
        return id
    }

    @discardableResult
    func claim(endpoint: String, worker: String = JobFixture.worker, max: Int = 1) async throws -> [ClaimedJob] {
        // A worker heartbeats before it claims (a worker no one heard of holds no job).
        try await store.heartbeat(WorkerInfo(id: worker, host: "h", pid: 1, endpoints: [endpoint], concurrency: max, startedAt: 0),
                                  running: 0, lease: .seconds(60), registrationTTL: .seconds(60))
        let claimed = try await store.claimNext(workerID: worker, endpoint: endpoint, max: max)
        claims.withLock { claims in for job in claimed { claims[job.id] = job } }
        return claimed
    }

    /// What the last claim of `id` returned.
    func claimed(_ id: String) -> ClaimedJob? { claims.withLock { $0[id] } }

    /// Records a result as the worker would, with what its claim returned (a job it never
    /// claimed gets a made-up claim, as a confused worker would send).
    func finish(_ id: String, endpoint: String? = nil, worker: String = JobFixture.worker, _ outcome: JobOutcome,
                elapsed: Duration = .milliseconds(5)) async throws -> TransitionResult {
        let job = claimed(id) ?? ClaimedJob(id: id, endpoint: endpoint ?? "ep", input: "{}", executionTimeout: 1000)
        return try await store.finish(job, workerID: worker, outcome: outcome, elapsed: elapsed)
    }

    /// A job in `state` (nil: an id that was never submitted), alone on its own endpoint.
    func job(in state: JobStatus?) async throws -> (id: String, endpoint: String) {
        let endpoint = "ep-\(UUID().uuidString.prefix(8))"
        guard let state else { return (UUID().uuidString.lowercased(), endpoint) }
        let id = try await submit(endpoint: endpoint)
        switch state {
        case .inQueue: break
        case .cancelled: _ = try await store.cancel(endpoint: endpoint, id: id)
        default:
            let claimed = try await claim(endpoint: endpoint)
            precondition(claimed.map(\.id) == [id])
            switch state {
            case .completed: _ = try await finish(id, .completed(output: #"{"ok":true}"#))
            case .failed: _ = try await finish(id, .failed(error: "boom"))
            case .timedOut: _ = try await finish(id, .timedOut(error: "too slow"))
            default: break
            }
        }
        return (id, endpoint)
    }

    func record(_ id: String, endpoint: String = "ep") async throws -> JobRecord? {
        try await store.record(endpoint: endpoint, id: id)
    }

    func status(_ id: String, endpoint: String = "ep") async throws -> JobStatus? {
        try await record(id, endpoint: endpoint)?.status
    }

    /// The endpoint's stream entries about `id`, decoded as the notifier decodes them.
    func events(for id: String, endpoint: String = "ep") async throws -> [JobTransition] {
        let entries = try await redis.send("XRANGE", ep(endpoint).events, "-", "+").array ?? []
        return entries.compactMap { entry -> JobTransition? in
            guard let parts = entry.array, parts.count == 2, let entryID = parts[0].string,
                  case .transition(let transition) = StreamEntry(id: entryID, fields: parts[1].stringDictionary ?? [:]).event,
                  transition.job == id else { return nil }
            return transition
        }
    }

    /// Makes `worker` look lost (its heartbeat long ago) and runs a reaper pass.
    func reapLost(_ worker: String = JobFixture.worker, maxRequeues: Int = 1) async throws -> ReapSummary {
        try await redis.send("ZADD", keys.global.workers, 0, worker)
        return try await Reaper(store: store).pass(maxRequeues: maxRequeues).summary
    }

    func reap(maxRequeues: Int = 1) async throws -> ReapSummary {
        try await Reaper(store: store).pass(maxRequeues: maxRequeues).summary
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
