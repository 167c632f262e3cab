import OrchestratorCore
import Redis

/// A job's delivery log (`orch:{<endpoint>}:job:<id>:deliveries`): every webhook attempt, as
/// ``AttemptResult`` JSON, for per-job URLs and subscriptions alike.
public struct DeliveryLogStore: Sendable {
    let redis: RedisClient
    let keys: KeySpace

    public init(redis: RedisClient, keys: KeySpace) {
        self.redis = redis
        self.keys = keys
    }

    /// The attempts (JSON objects), or nil when the job is unknown and has no log.
    public func attempts(endpoint: String, job id: String) async throws -> [String]? {
        guard JobID.isPlausible(id) else { return nil }
        let ep = keys.endpoint(endpoint)
        let replies = try await redis.pipeline([
            RedisCommand("EXISTS", ep.job(id)), RedisCommand("LRANGE", ep.deliveries(id), 0, -1),
        ])
        let entries = replies[1].array?.compactMap(\.string) ?? []
        guard replies[0].int == 1 || !entries.isEmpty else { return nil }
        return entries
    }
}
