import OrchestratorCore
import Redis
import RedisTestSupport
import Testing
@testable import Webhooks

@Suite("Lane scripts and trimming")
struct LaneScriptTests {
    let keys = KeySpace()

    func delivery(_ job: String, _ event: String, url: String = "http://r/x") -> WebhookDelivery {
        WebhookDelivery(url: url, job: job, event: event, status: "IN_QUEUE", body: #"{"id":"\#(job)"}"#)
    }

    func enqueue(_ redis: RedisClient, entries: [String], _ deliveries: [WebhookDelivery]) async throws -> [String] {
        var arguments: [any RedisArgumentConvertible] = [keys.prefix, keys.notifierGroup, 60_000, entries.count]
        arguments += entries
        for d in deliveries { arguments += [d.lane, d.json] }
        return try await LaneScripts.enqueue.run(on: redis, arguments: arguments).array?.compactMap(\.string) ?? []
    }

    func advance(_ redis: RedisClient, _ d: WebhookDelivery, _ outcome: String, due: Int = 0) async throws -> [String] {
        try await LaneScripts.advance.run(on: redis, arguments: [
            keys.prefix, d.lane, d.id, outcome, d.json, "", d.job, due, 60_000, 1000, "0", 2, "id", d.id,
        ]).array?.compactMap(\.string) ?? []
    }

    @Test func enqueueAcknowledgesAndKeepsOrderPerLane() async throws {
        try await withRedisClient { redis, _ in
            try await redis.send("XGROUP", "CREATE", keys.events, keys.notifierGroup, "0", "MKSTREAM")
            let first = try await redis.send("XADD", keys.events, "*", "job", "a").string!
            let second = try await redis.send("XADD", keys.events, "*", "job", "a").string!
            _ = try await redis.send("XREADGROUP", "GROUP", keys.notifierGroup, "c", "STREAMS", keys.events, ">")
            let d1 = delivery("a", first), d2 = delivery("a", second)
            let owned = try await enqueue(redis, entries: [first], [d1])
            #expect(owned == [d1.lane, d1.json])
            // The lane is busy: the second delivery waits behind the first, and no one else drains it.
            #expect(try await enqueue(redis, entries: [second], [d2]).isEmpty)
            #expect(try await redis.send("XPENDING", keys.events, keys.notifierGroup).array?.first == .integer(0))
            // Retry the first: the lane waits; nothing overtakes it.
            #expect(try await advance(redis, d1, "retry", due: 1) == ["WAIT"])
            let due = try await LaneScripts.claimDue.run(on: redis, arguments: [keys.prefix, 60_000, 10]).array?.compactMap(\.string) ?? []
            #expect(due.first == d1.lane && WebhookDelivery.decode(due[1])?.id == d1.id)
            // A stale owner cannot pop what is not its head.
            #expect(try await advance(redis, d2, "delivered") == ["STALE"])
            #expect(try await advance(redis, d1, "delivered").first == "NEXT")
            #expect(try await advance(redis, d2, "dead") == ["DONE"])
            #expect(try await redis.send("ZCARD", keys.webhookDead) == .integer(1))
            #expect(try await redis.send("EXISTS", keys.webhookLane(d1.lane)) == .integer(0))
            #expect(try await redis.send("ZCARD", keys.webhookRetries) == .integer(0))
        }
    }
}
