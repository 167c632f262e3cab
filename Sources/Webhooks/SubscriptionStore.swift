import OrchestratorCore
import Redis

/// Subscriptions in Redis (global keys): `orch:{@global}:subscriptions` (set of ids),
/// `…:subscription:<id>` (hash), `…:subscriptions:version` (bumped on every change).
public struct SubscriptionStore: Sendable {
    let redis: RedisClient
    let keys: KeySpace

    public init(redis: RedisClient, keys: KeySpace) {
        self.redis = redis
        self.keys = keys
    }

    /// Stores a new subscription; returns it with Redis' creation time.
    public func create(_ subscription: Subscription) async throws -> Subscription {
        var created = subscription
        let reply = try await SubscriptionScripts.save.run(on: redis, keys: saveKeys(subscription.id), arguments: arguments(subscription, mode: "create"))
        created.createdAt = reply.int ?? subscription.createdAt
        created.updatedAt = created.createdAt
        return created
    }

    /// Replaces a subscription; false when it no longer exists.
    public func update(_ subscription: Subscription) async throws -> Bool {
        let reply = try await SubscriptionScripts.save.run(on: redis, keys: saveKeys(subscription.id), arguments: arguments(subscription, mode: "update"))
        return (reply.int ?? 0) != 0
    }

    public func delete(_ id: String) async throws -> Bool {
        guard Self.isPlausibleID(id) else { return false }
        return try await SubscriptionScripts.remove.run(on: redis, keys: saveKeys(id), arguments: [id]).int == 1
    }

    public func deactivate(_ id: String, reason: String) async throws {
        _ = try await SubscriptionScripts.deactivate.run(
            on: redis, keys: [keys.global.subscription(id), keys.global.subscriptionsVersion], arguments: [reason])
    }

    public func get(_ id: String) async throws -> Subscription? {
        guard Self.isPlausibleID(id) else { return nil }
        return try await redis.send("HGETALL", keys.global.subscription(id)).stringDictionary.flatMap(Subscription.init(hash:))
    }

    /// Every subscription, oldest first.
    public func all() async throws -> [Subscription] {
        let ids = try await redis.send("SMEMBERS", keys.global.subscriptions).array?.compactMap(\.string) ?? []
        guard !ids.isEmpty else { return [] }
        let replies = try await redis.pipeline(ids.map { RedisCommand("HGETALL", keys.global.subscription($0)) })
        return replies.compactMap { $0.stringDictionary.flatMap(Subscription.init(hash:)) }
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    /// Changes with every write; a reader reloads when it moved.
    public func version() async throws -> Int {
        try await redis.send("GET", keys.global.subscriptionsVersion).string.flatMap(Int.init) ?? 0
    }

    private func arguments(_ subscription: Subscription, mode: String) -> [any RedisArgumentConvertible] {
        var arguments: [any RedisArgumentConvertible] = [subscription.id, mode]
        for (field, value) in subscription.hashFields {
            arguments.append(field)
            arguments.append(value)
        }
        return arguments
    }

    private func saveKeys(_ id: String) -> [any RedisArgumentConvertible] {
        [keys.global.subscription(id), keys.global.subscriptions, keys.global.subscriptionsVersion]
    }

    /// Ids are ours (`wh_…`); anything else cannot name a key of ours.
    static func isPlausibleID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 64 && id.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }
    }
}
