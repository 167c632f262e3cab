import OrchestratorCore
import Redis

/// Dead letters in Redis: `orch:webhooks:dead` (sorted set of ids by time of death) and one
/// hash `orch:webhooks:dead:<id>` each.
public struct DeadLetterStore: Sendable {
    public enum ReplayResult: Sendable {
        case replaying(DeadLetter)
        case notFound
        case alreadyReplaying
        /// Its subscription was deleted: nothing to deliver to.
        case subscriptionGone(String)
    }

    let redis: RedisClient
    let keys: KeySpace

    public init(redis: RedisClient, keys: KeySpace) {
        self.redis = redis
        self.keys = keys
    }

    public func get(_ id: String) async throws -> DeadLetter? {
        guard Self.isPlausibleID(id) else { return nil }
        return try await redis.send("HGETALL", keys.deadLetter(id)).stringDictionary.flatMap(DeadLetter.init(hash:))
    }

    /// Newest first; `states` nil means every state.
    public func list(states: Set<DeadLetter.State>?, limit: Int) async throws -> [DeadLetter] {
        var found: [DeadLetter] = []
        var start = 0
        let page = 500
        while found.count < limit {
            let ids = try await redis.send("ZREVRANGE", keys.webhookDead, start, start + page - 1).array?.compactMap(\.string) ?? []
            if ids.isEmpty { break }
            let replies = try await redis.pipeline(ids.map { RedisCommand("HGETALL", keys.deadLetter($0)) })
            for reply in replies {
                guard let letter = reply.stringDictionary.flatMap(DeadLetter.init(hash:)) else { continue }
                if states?.contains(letter.state) ?? true { found.append(letter) }
                if found.count == limit { break }
            }
            start += page
        }
        return found
    }

    public func replay(_ id: String, subscriptions: SubscriptionStore) async throws -> ReplayResult {
        guard let letter = try await get(id) else { return .notFound }
        if let subscription = letter.subscription, try await subscriptions.get(subscription) == nil {
            return .subscriptionGone(subscription)
        }
        let delivery = letter.replayDelivery
        let reply = try await DeadLetterScripts.replay.run(on: redis, arguments: [keys.prefix, id, delivery.lane, delivery.json])
        switch reply.string {
        case "OK": return .replaying(try await get(id) ?? letter)
        case "BUSY": return .alreadyReplaying
        default: return .notFound
        }
    }

    /// Marks it resolved or ignored; nil when there is no such dead letter.
    public func setState(_ id: String, _ state: DeadLetter.State, reason: String) async throws -> DeadLetter? {
        guard Self.isPlausibleID(id) else { return nil }
        let reply = try await DeadLetterScripts.setState.run(on: redis, arguments: [keys.prefix, id, state.rawValue, reason])
        guard reply.string == "OK" else { return nil }
        return try await get(id)
    }

    static func isPlausibleID(_ id: String) -> Bool {
        id.hasPrefix("msg_") && id.count <= 64 && id.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }
    }
}
