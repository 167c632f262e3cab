import Redis
import Synchronization

/// The set of endpoints in use (`orch:{@global}:endpoints`): the notifier reads their events
/// streams and the reaper their keys. The API adds an endpoint when it first takes a job for it
/// and again every `refresh` (so a Redis that lost its data learns it again); worker managers
/// add theirs with every heartbeat.
public final class EndpointDirectory: Sendable {
    private let redis: RedisClient
    private let keys: KeySpace
    private let refresh: Duration
    private let registered = Mutex<[String: ContinuousClock.Instant]>([:])

    public init(redis: RedisClient, keys: KeySpace, refresh: Duration = .seconds(10)) {
        self.redis = redis
        self.keys = keys
        self.refresh = refresh
    }

    /// Makes sure `endpoint` is listed (a Redis write at most once per `refresh`).
    public func register(_ endpoint: String) async throws {
        let now = ContinuousClock.now
        let due = registered.withLock { registered in
            guard let last = registered[endpoint], now - last < refresh else { return true }
            return false
        }
        guard due else { return }
        try await redis.send("SADD", keys.global.endpoints, endpoint)
        registered.withLock { $0[endpoint] = now }
    }

    /// Every endpoint in use, sorted.
    public func all() async throws -> [String] {
        try await redis.send("SMEMBERS", keys.global.endpoints).array?.compactMap(\.string).sorted() ?? []
    }
}
