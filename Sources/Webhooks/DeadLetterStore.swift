import OrchestratorCore
import Redis

/// Dead letters in Redis, kept per scope (with their job's endpoint, or globally): the sorted
/// set `<base>webhooks:dead` of ids by time of death and one hash `<base>webhooks:dead:<id>`
/// each. Reads look across every scope.
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
    private let directory: EndpointDirectory

    public init(redis: RedisClient, keys: KeySpace) {
        self.redis = redis
        self.keys = keys
        self.directory = EndpointDirectory(redis: redis, keys: keys)
    }

    private func scopes() async throws -> [WebhookScope] {
        [.global] + (try await directory.all()).map { .endpoint($0) }
    }

    public func get(_ id: String) async throws -> DeadLetter? {
        guard Self.isPlausibleID(id) else { return nil }
        let scopes = try await scopes()
        let replies = try await redis.pipeline(scopes.map { RedisCommand("HGETALL", keys.webhooks($0).deadLetter(id)) })
        for (scope, reply) in zip(scopes, replies) {
            if let letter = reply.stringDictionary.flatMap({ DeadLetter(hash: $0, scope: scope) }) { return letter }
        }
        return nil
    }

    /// Newest first across every scope; `states` nil means every state.
    public func list(states: Set<DeadLetter.State>?, limit: Int) async throws -> [DeadLetter] {
        let page = 500
        var cursors = try await scopes().map { ScopeCursor(scope: $0) }
        var found: [DeadLetter] = []
        while found.count < limit {
            // Refill the scopes whose page ran out, then take the newest ids across all of them.
            let refill = cursors.indices.filter { cursors[$0].buffer.isEmpty && !cursors[$0].exhausted }
            if !refill.isEmpty {
                let replies = try await redis.pipeline(refill.map { index in
                    RedisCommand("ZREVRANGE", keys.webhooks(cursors[index].scope).deadLetters,
                                 cursors[index].offset, cursors[index].offset + page - 1, "WITHSCORES")
                })
                for (index, reply) in zip(refill, replies) { cursors[index].take(reply, page: page) }
            }
            var picked: [(scope: WebhookScope, id: String)] = []
            while picked.count < page {
                guard let best = cursors.indices.filter({ !cursors[$0].buffer.isEmpty })
                    .max(by: { cursors[$0].buffer[0].score < cursors[$1].buffer[0].score }) else { break }
                picked.append((cursors[best].scope, cursors[best].buffer.removeFirst().id))
                if cursors[best].buffer.isEmpty && !cursors[best].exhausted { break }
            }
            if picked.isEmpty { break }
            let replies = try await redis.pipeline(picked.map { RedisCommand("HGETALL", keys.webhooks($0.scope).deadLetter($0.id)) })
            for (pick, reply) in zip(picked, replies) {
                guard let letter = reply.stringDictionary.flatMap({ DeadLetter(hash: $0, scope: pick.scope) }) else { continue }
                if states?.contains(letter.state) ?? true { found.append(letter) }
                if found.count == limit { break }
            }
        }
        return found
    }

    /// One scope's index, read a page at a time.
    private struct ScopeCursor {
        let scope: WebhookScope
        var offset = 0
        var buffer: [(id: String, score: Int)] = []
        var exhausted = false

        mutating func take(_ reply: RedisValue, page: Int) {
            let values = reply.array ?? []
            var index = 0
            while index + 1 < values.count {
                if let id = values[index].string { buffer.append((id, values[index + 1].int ?? 0)) }
                index += 2
            }
            offset += values.count / 2
            exhausted = values.count / 2 < page
        }
    }

    public func replay(_ id: String, subscriptions: SubscriptionStore) async throws -> ReplayResult {
        guard let letter = try await get(id) else { return .notFound }
        if let subscription = letter.subscription, try await subscriptions.get(subscription) == nil {
            return .subscriptionGone(subscription)
        }
        let delivery = letter.replayDelivery
        let scope = keys.webhooks(letter.scope)
        let reply = try await DeadLetterScripts.replay.run(
            on: redis, keys: [scope.base, scope.due, scope.deadLetter(id), scope.pendingDeadLetters], arguments: [delivery.lane, delivery.stored])
        switch reply.string {
        case "OK": return .replaying(try await get(id) ?? letter)
        case "BUSY": return .alreadyReplaying
        default: return .notFound
        }
    }

    /// Marks it resolved or ignored; nil when there is no such dead letter.
    public func setState(_ id: String, _ state: DeadLetter.State, reason: String) async throws -> DeadLetter? {
        guard let letter = try await get(id) else { return nil }
        let reply = try await DeadLetterScripts.setState.run(
            on: redis, keys: [keys.webhooks(letter.scope).deadLetter(id), keys.webhooks(letter.scope).pendingDeadLetters],
            arguments: [state.rawValue, reason])
        guard reply.string == "OK" else { return nil }
        return try await get(id)
    }

    static func isPlausibleID(_ id: String) -> Bool {
        id.hasPrefix("msg_") && id.count <= 64 && id.utf8.allSatisfy { $0 == UInt8(ascii: "_") || ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x7A) }
    }
}
