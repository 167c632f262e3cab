import OrchestratorCore
import Redis

/// How far behind webhooks are, read at once for every scope (metrics at scrape time, the
/// dashboard): lanes waiting in due sets, dead letters still pending, and events the notifiers'
/// group has not read yet (Redis 7's `lag` in `XINFO GROUPS`).
public struct WebhookBacklog: Sendable, Equatable {
    public var duePending = 0
    public var deadLettersPending = 0
    public var unreadEvents = 0

    public init() {}

    public static func read(redis: RedisClient, keys: KeySpace) async throws -> WebhookBacklog {
        let endpoints = try await EndpointDirectory(redis: redis, keys: keys).all()
        let scopes: [WebhookScope] = [.global] + endpoints.map { .endpoint($0) }
        let replies = try await redis.pipeline(scopes.flatMap { scope -> [RedisCommand] in
            let webhooks = keys.webhooks(scope)
            return [RedisCommand("ZCARD", webhooks.due), RedisCommand("SCARD", webhooks.pendingDeadLetters),
                    RedisCommand("XINFO", "GROUPS", webhooks.events)]
        })
        var backlog = WebhookBacklog()
        for index in scopes.indices {
            backlog.duePending += replies[index * 3].int ?? 0
            backlog.deadLettersPending += replies[index * 3 + 1].int ?? 0
            // A stream without the group yet (or no stream): nothing read, nothing known to lag.
            for group in replies[index * 3 + 2].array ?? [] {
                guard let fields = group.stringDictionary, fields["name"] == keys.notifierGroup else { continue }
                backlog.unreadEvents += Int(fields["lag"] ?? "") ?? 0
            }
        }
        return backlog
    }
}
