import OrchestratorCore
import Redis
import RedisTestSupport
import Testing
@testable import Webhooks

@Suite("Dead letters and subscriptions in Redis")
struct DeadLetterAndSubscriptionStoreTests {
    let keys = KeySpace()

    /// Puts `delivery` at the head of its lane, as the notifier would own it.
    func own(_ redis: RedisClient, _ delivery: WebhookDelivery) async throws {
        _ = try await LaneScripts.enqueue.run(on: redis, arguments: [keys.prefix, keys.notifierGroup, 60_000, 0, delivery.lane, delivery.json, 0])
    }

    func kill(_ redis: RedisClient, _ delivery: WebhookDelivery, deadMax: Int = 100, announce: Bool = true) async throws -> [String] {
        var failed = delivery
        failed.attempts = 1
        failed.results = [AttemptResult(attempt: 1, url: delivery.url, at: 1, statusCode: 500, error: nil, latencyMs: 3, webhookId: delivery.id, event: "job.completed")]
        let fields = DeadLetter.fields(of: failed, reason: "1 attempts failed")
        var arguments: [any RedisArgumentConvertible] = [
            keys.prefix, delivery.lane, delivery.id, "dead", failed.json, "", delivery.job, 0, 60_000, deadMax,
            delivery.replay == true ? "1" : "0", fields.count * 2,
        ]
        for (field, value) in fields { arguments += [field, value] }
        if announce { arguments += ["type", "webhook.dead_lettered", "deadLetter", delivery.id] }
        return try await LaneScripts.advance.run(on: redis, arguments: arguments).array?.compactMap(\.string) ?? []
    }

    func delivery(_ job: String, event: String = "1-0") -> WebhookDelivery {
        WebhookDelivery(subscription: "wh_1", url: "http://r/x", job: job, event: event, status: "COMPLETED", body: "{}", type: "job.completed")
    }

    @Test func deadLetterLifecycle() async throws {
        try await withRedisClient { redis, _ in
            let store = DeadLetterStore(redis: redis, keys: keys)
            let subscriptions = SubscriptionStore(redis: redis, keys: keys)
            let sub = try await subscriptions.create(Subscription(id: "wh_1", url: "http://r/x", events: ["*"]))
            let d = delivery("j1")
            try await own(redis, d)
            #expect(try await kill(redis, d) == ["DONE"])
            var letter = try #require(try await store.get(d.id))
            #expect(letter.state == .pending && letter.attemptCount == 1 && letter.subscription == sub.id && letter.job == "j1")
            // The notice went to the events stream.
            let entries = try await redis.send("XRANGE", keys.events, "-", "+").array ?? []
            #expect(entries.count == 1)

            // Replay: back in the lane, due now, marked replaying; twice is refused.
            guard case .replaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("no replay"); return }
            guard case .alreadyReplaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("replayed twice"); return }
            let due = try await LaneScripts.claimDue.run(on: redis, arguments: [keys.prefix, 60_000, 10]).array?.compactMap(\.string) ?? []
            let again = try #require(due.count == 2 ? WebhookDelivery.decode(due[1]) : nil)
            #expect(again.id == d.id && again.replay == true && again.attempts == 0)
            // It dies again: the same dead letter, pending, with both rounds' attempts.
            #expect(try await kill(redis, again, announce: false) == ["DONE"])
            letter = try #require(try await store.get(d.id))
            #expect(letter.state == .pending && letter.attemptCount == 2 && letter.replays == 1)
            // Replayed and delivered: resolved.
            guard case .replaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("no replay"); return }
            _ = try await LaneScripts.claimDue.run(on: redis, arguments: [keys.prefix, 60_000, 10])
            let reply = try await LaneScripts.advance.run(on: redis, arguments: [
                keys.prefix, again.lane, again.id, "delivered", again.json, "", again.job, 0, 60_000, 100, "1", 0,
            ])
            #expect(reply.array?.first?.string == "DONE")
            letter = try #require(try await store.get(d.id))
            #expect(letter.state == .resolved && letter.stateReason == "delivered on replay")

            #expect(try await store.setState(d.id, .ignored, reason: "n/a")?.state == .ignored)
            #expect(try await store.setState("msg_missing", .ignored, reason: "n/a") == nil)
            #expect(try await store.list(states: [.pending], limit: 10).isEmpty)
            #expect(try await store.list(states: nil, limit: 10).map(\.id) == [d.id])

            // A deleted subscription's dead letter cannot be replayed.
            #expect(try await subscriptions.delete(sub.id))
            guard case .subscriptionGone = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("replayed"); return }
        }
    }

    @Test func deadLettersAreTrimmedOldestFirst() async throws {
        try await withRedisClient { redis, _ in
            var ids: [String] = []
            for index in 0..<4 {
                let d = delivery("j\(index)", event: "\(index + 1)-0")
                try await own(redis, d)
                _ = try await kill(redis, d, deadMax: 2, announce: false)
                ids.append(d.id)
            }
            let kept = try await redis.send("ZRANGE", keys.webhookDead, 0, -1).array?.compactMap(\.string) ?? []
            #expect(Set(ids).count == 4)
            #expect(kept.count == 2)
            let hashes = try await redis.send("KEYS", keys.deadLetter("*")).array?.compactMap(\.string) ?? []
            #expect(Set(hashes) == Set(kept.map(keys.deadLetter)))
        }
    }

    @Test func subscriptionsRoundTripAndBumpTheVersion() async throws {
        try await withRedisClient { redis, _ in
            let store = SubscriptionStore(redis: redis, keys: keys)
            #expect(try await store.version() == 0)
            var created = try await store.create(Subscription(
                url: "https://h/x", events: ["job.failed", "worker.*"], endpoint: "gpu", template: .slack,
                retry: RetryPolicy(attempts: 5, delay: .milliseconds(100), exponential: true), description: "pager"))
            #expect(created.createdAt > 1_700_000_000_000)
            #expect(try await store.get(created.id) == created)
            created.active = false
            created.description = nil
            #expect(try await store.update(created))
            let read = try #require(try await store.get(created.id))
            #expect(!read.active && read.description == nil && read.createdAt == created.createdAt)
            #expect(try await store.version() == 2)
            try await store.deactivate(created.id, reason: "410")
            #expect(try await store.get(created.id)?.deactivatedReason == "410")
            #expect(try await store.delete(created.id))
            #expect(!(try await store.update(created)))
            #expect(try await store.all().isEmpty)
            #expect(try await store.version() == 4)
            #expect(try await store.get("../etc") == nil)
        }
    }
}
