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
        for _ in entries { arguments += ["", 0] }
        for d in deliveries { arguments += [d.lane, d.json, 0] }
        return try await LaneScripts.enqueue.run(on: redis, arguments: arguments).array?.compactMap(\.string) ?? []
    }

    func advance(_ redis: RedisClient, _ d: WebhookDelivery, _ outcome: String, wait: Int = 0) async throws -> [String] {
        try await LaneScripts.advance.run(on: redis, arguments: [
            keys.prefix, d.lane, d.id, outcome, d.json, "", d.job, wait, 60_000, 1000, "0", 2, "id", d.id,
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
            #expect(try await advance(redis, d1, "retry", wait: 0) == ["WAIT"])
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

    /// Enqueues one job transition's delivery the way the notifier does: marking it fanned out.
    func enqueueTransition(_ redis: RedisClient, job: String, seq: Int, event: String) async throws -> [String] {
        var d = WebhookDelivery(url: "http://r/o", job: job, event: event, status: "S\(seq)", body: "{}")
        d.seq = seq
        return try await LaneScripts.enqueue.run(on: redis, arguments: [
            keys.prefix, keys.notifierGroup, 60_000, 0, d.lane, d.json, 0,
        ]).array?.compactMap(\.string) ?? []
    }

    func markAndEnqueue(_ redis: RedisClient, job: String, seq: Int) async throws -> [String] {
        let event = try await redis.send("XADD", keys.events, "*", "job", job).string ?? ""
        var d = WebhookDelivery(url: "http://r/o", job: job, event: event, status: "S\(seq)", body: "{}")
        d.seq = seq
        _ = try await redis.send("XREADGROUP", "GROUP", keys.notifierGroup, "c", "STREAMS", keys.events, ">")
        return try await LaneScripts.enqueue.run(on: redis, arguments: [
            keys.prefix, keys.notifierGroup, 60_000, 1, event, job, seq, d.lane, d.json, 0,
        ]).array?.compactMap(\.string) ?? []
    }

    @Test func laneWaitsForEarlierTransitionsReadByAnotherNotifier() async throws {
        try await withRedisClient { redis, _ in
            try await redis.send("XGROUP", "CREATE", keys.events, keys.notifierGroup, "0", "MKSTREAM")
            let now = try await redis.send("TIME").array?.first?.string.flatMap(Int.init).map { $0 * 1000 } ?? 0
            try await redis.send("HSET", keys.job("j"), "id", "j", "seq", 3)
            // IN_PROGRESS (seq 2) is fanned out first: its lane must not be handed out yet.
            #expect(try await markAndEnqueue(redis, job: "j", seq: 2).isEmpty)
            #expect(try await redis.send("HGET", keys.job("j"), "fanned").isNull)
            // IN_QUEUE (seq 1) arrives: it goes first, and the lane may go once due.
            #expect(try await markAndEnqueue(redis, job: "j", seq: 1).isEmpty)
            #expect(try await redis.send("HGET", keys.job("j"), "fanned").string == "2")
            let lane = WebhookDelivery(url: "http://r/o", job: "j", event: "", status: "", body: "").lane
            let items = try await redis.send("LRANGE", keys.webhookLane(lane), 0, -1).array?.compactMap(\.string) ?? []
            #expect(items.compactMap { WebhookDelivery.decode($0)?.seq } == [1, 2])
            try await Task.sleep(for: .milliseconds(250))
            let due = try await LaneScripts.claimDue.run(on: redis, arguments: [keys.prefix, 60_000, 10]).array?.compactMap(\.string) ?? []
            #expect(due.count == 2 && WebhookDelivery.decode(due[1])?.seq == 1)
            // Delivered: the next (seq 2) is ready and handed on at once.
            let head = try #require(WebhookDelivery.decode(due[1]))
            let next = try await LaneScripts.advance.run(on: redis, arguments: [
                keys.prefix, lane, head.id, "delivered", head.json, "", "j", 0, 60_000, 100, "0", 0,
            ]).array?.compactMap(\.string) ?? []
            #expect(next.first == "NEXT" && WebhookDelivery.decode(next[1])?.seq == 2)
            // A transition whose predecessors never come (lost) is held only while it is recent.
            try await redis.send("HSET", keys.job("k"), "id", "k")
            try await redis.send("HSET", keys.job("k2"), "id", "k2")
            #expect(try await enqueueTransition(redis, job: "k", seq: 5, event: "\(now)-5").isEmpty)
            #expect(try await enqueueTransition(redis, job: "k2", seq: 5, event: "\(now - 200_000)-5").count == 2)
        }
    }

    @Test func busyLanesAreParkedNotTaken() async throws {
        try await withRedisClient { redis, _ in
            try await redis.send("XGROUP", "CREATE", keys.events, keys.notifierGroup, "0", "MKSTREAM")
            let now = try await redis.send("TIME").array?.first?.string.flatMap(Int.init).map { $0 * 1000 } ?? 0
            // Enqueued with a park time: in the retry set for later, not handed to the caller.
            let parked = delivery("p", "1-0")
            #expect(try await LaneScripts.enqueue.run(on: redis, arguments: [
                keys.prefix, keys.notifierGroup, 60_000, 0, parked.lane, parked.json, 5_000,
            ]).array?.isEmpty == true)
            let due = try #require(try await redis.send("ZSCORE", keys.webhookRetries, parked.lane).string.flatMap(Int.init))
            #expect(due >= now + 4_000 && due <= now + 7_000)

            // An owned lane handed back in a batch: only while its head is still that delivery.
            let owned = delivery("o", "2-0")
            #expect(try await enqueue(redis, entries: [], [owned]) == [owned.lane, owned.json])
            #expect(try await LaneScripts.park.run(on: redis, arguments: [
                keys.prefix, owned.lane, owned.id, 0, owned.lane, "msg_other", 0, "no-such-lane", "msg_x", 0,
            ]) == .integer(1))
            let again = try await LaneScripts.claimDue.run(on: redis, arguments: [keys.prefix, 60_000, 10]).array?.compactMap(\.string) ?? []
            #expect(again.contains(owned.lane) && !again.contains(parked.lane))
        }
    }
}
