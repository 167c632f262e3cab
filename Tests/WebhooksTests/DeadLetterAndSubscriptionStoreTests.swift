import OrchestratorCore
import Redis
import RedisTestSupport
import Testing
@testable import Webhooks

@Suite("Dead letters and subscriptions in Redis")
struct DeadLetterAndSubscriptionStoreTests {
    let keys = KeySpace()

    func kill(_ lanes: Lanes, _ delivery: WebhookDelivery, deadMax: Int = 100, announce: Bool = true) async throws -> String {
        var failed = delivery
        failed.record(AttemptResult(attempt: 1, url: delivery.url, at: 1, statusCode: 500, error: nil, latencyMs: 3, webhookId: delivery.id, event: "job.completed"))
        let fields = DeadLetter.fields(of: failed, body: "{}", reason: "1 attempts failed") + [("endpoint", lanes.endpoint)]
        let notice = announce ? DeadLetterNotice(deadLetter: delivery.id, job: delivery.job, url: delivery.url, event: delivery.type,
                                                 subscription: delivery.subscription, reason: "1 attempts failed", attempts: 1).fields : []
        return try await lanes.advance(failed, "dead", deadMax: deadMax, deadFields: fields, notice: notice).0
    }

    func delivery(_ job: String, event: String = "1-0") -> WebhookDelivery {
        let entry = StreamEntry(id: event, event: .transition(JobTransition(job: job, from: .inProgress, to: .completed, seq: 0)))
        return WebhookDelivery(subscription: Subscription(id: "wh_1", url: "http://r/x", events: ["*"]), entry: entry, type: .jobCompleted, data: nil)
    }

    @Test func deadLetterLifecycle() async throws {
        try await withRedisClient { redis, _ in
            let store = DeadLetterStore(redis: redis, keys: keys)
            let subscriptions = SubscriptionStore(redis: redis, keys: keys)
            let sub = try await subscriptions.create(Subscription(id: "wh_1", url: "http://r/x", events: ["*"]))
            let lanes = Lanes(redis: redis)
            try await redis.send("SADD", keys.global.endpoints, lanes.endpoint)
            let d = delivery("j1")
            _ = try await lanes.enqueue([d])
            #expect(try await kill(lanes, d) == "DONE")
            var letter = try #require(try await store.get(d.id))
            #expect(letter.state == .pending && letter.attemptCount == 1 && letter.subscription == sub.id && letter.job == "j1")
            #expect(letter.scope == .endpoint(lanes.endpoint))
            // The notice went to the endpoint's events stream, and reads back as one.
            let entries = try await redis.send("XRANGE", lanes.scope.events, "-", "+").array ?? []
            let parts = try #require(entries.first?.array)
            guard case .deadLettered(let notice) = StreamEntry(id: parts[0].string ?? "", fields: parts[1].stringDictionary ?? [:]).event else {
                Issue.record("not a dead-letter notice: \(entries)"); return
            }
            #expect(notice.deadLetter == d.id && notice.job == "j1" && notice.attempts == 1 && entries.count == 1)

            // Replay: back in the lane, due now, marked replaying; twice is refused.
            guard case .replaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("no replay"); return }
            guard case .alreadyReplaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("replayed twice"); return }
            let again = try #require(try await lanes.claimDue().first?.delivery)
            #expect(again.id == d.id && again.replay && again.attempts == 0 && again.body == "{}")
            // It dies again: the same dead letter, pending, with both rounds' attempts.
            #expect(try await kill(lanes, again, announce: false) == "DONE")
            letter = try #require(try await store.get(d.id))
            #expect(letter.state == .pending && letter.attemptCount == 2 && letter.replays == 1)
            // Replayed and delivered: resolved.
            guard case .replaying = try await store.replay(d.id, subscriptions: subscriptions) else { Issue.record("no replay"); return }
            _ = try await lanes.claimDue()
            #expect(try await lanes.advance(again, "delivered").0 == "DONE")
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
            let lanes = Lanes(redis: redis)
            var ids: [String] = []
            for index in 0..<4 {
                let d = delivery("j\(index)", event: "\(index + 1)-0")
                _ = try await lanes.enqueue([d])
                _ = try await kill(lanes, d, deadMax: 2, announce: false)
                ids.append(d.id)
            }
            let kept = try await redis.send("ZRANGE", lanes.scope.deadLetters, 0, -1).array?.compactMap(\.string) ?? []
            #expect(Set(ids).count == 4)
            #expect(kept.count == 2)
            let hashes = try await redis.send("KEYS", lanes.scope.deadLetter("*")).array?.compactMap(\.string) ?? []
            #expect(Set(hashes) == Set(kept.map(lanes.scope.deadLetter)))
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
            // Deleting what is not there writes nothing (not even the version).
            #expect(!(try await store.delete(created.id)))
            #expect(!(try await store.update(created)))
            #expect(try await store.all().isEmpty)
            #expect(try await store.version() == 4)
            #expect(try await store.get("../etc") == nil)
        }
    }
}
