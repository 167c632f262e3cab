import OrchestratorCore
import Redis
import RedisTestSupport
import Testing
@testable import Webhooks

@Suite("Lane scripts")
struct LaneScriptTests {
    @Test func enqueueAcknowledgesAndKeepsOrderPerLane() async throws {
        try await withRedisClient { redis, _ in
            let lanes = Lanes(redis: redis)
            try await lanes.createGroup()
            let first = try await redis.send("XADD", lanes.scope.events, "*", "job", "a").string!
            let second = try await redis.send("XADD", lanes.scope.events, "*", "job", "a").string!
            _ = try await redis.send("XREADGROUP", "GROUP", lanes.keys.notifierGroup, "c", "STREAMS", lanes.scope.events, ">")
            let d1 = lanes.delivery("a", first), d2 = lanes.delivery("a", second)
            let owned = try await lanes.enqueue(entries: [first], [d1])
            #expect(owned.map(\.lane) == [d1.lane] && owned.first?.delivery == d1)
            // The lane is busy: the second delivery waits behind the first, and no one else drains it.
            #expect(try await lanes.enqueue(entries: [second], [d2]).isEmpty)
            #expect(try await redis.send("XPENDING", lanes.scope.events, lanes.keys.notifierGroup).array?.first == .integer(0))
            // Retry the first: the lane waits; nothing overtakes it.
            #expect(try await lanes.advance(d1, "retry").0 == "WAIT")
            let due = try await lanes.claimDue()
            #expect(due.map(\.lane) == [d1.lane] && due.first?.delivery.id == d1.id)
            // A stale owner cannot pop what is not its head.
            #expect(try await lanes.advance(d2, "delivered").0 == "STALE")
            let next = try await lanes.advance(d1, "delivered")
            #expect(next.0 == "NEXT" && next.1?.delivery.id == d2.id)
            #expect(try await lanes.advance(d2, "dead", deadFields: [("id", d2.id), ("url", d2.url)]).0 == "DONE")
            #expect(try await redis.send("ZCARD", lanes.scope.deadLetters) == .integer(1))
            #expect(try await redis.send("EXISTS", lanes.scope.lane(d1.lane)) == .integer(0))
            #expect(try await redis.send("ZCARD", lanes.scope.due) == .integer(0))
        }
    }

    @Test func aTerminalHeadComesWithTheJobsOutputStoredOnce() async throws {
        try await withRedisClient { redis, _ in
            let lanes = Lanes(redis: redis)
            try await redis.send("HSET", lanes.ep.job("j"), "seq", 3, "output", #"{"big":true}"#, "status", "COMPLETED")
            let done = lanes.delivery("j", "1-0", seq: 3, status: .completed)
            let head = try #require(try await lanes.enqueue([done]).first)
            #expect(head.output == #"{"big":true}"# && head.error == nil)
            #expect(!(try await redis.send("LINDEX", lanes.scope.lane(done.lane), 0).string ?? "").contains("big"))
            // After a /retry the job moved on; the ended transition's output was kept aside for it.
            try await redis.send("HSET", lanes.ep.job("j"), "seq", 4, "output", "")
            try await redis.send("HSET", lanes.ep.ended("j", seq: 3), "output", #"{"big":true}"#, "error", "")
            try await redis.send("ZADD", lanes.scope.due, 0, done.lane)
            #expect(try await lanes.claimDue().first?.output == #"{"big":true}"#)
        }
    }

    /// Enqueues one job transition's delivery with its fan-out mark, as after reading its entry.
    func markAndEnqueue(_ lanes: Lanes, job: String, seq: Int) async throws -> [LaneHead] {
        let entry = try await lanes.redis.send("XADD", lanes.scope.events, "*", "job", job).string ?? ""
        _ = try await lanes.redis.send("XREADGROUP", "GROUP", lanes.keys.notifierGroup, "c", "STREAMS", lanes.scope.events, ">")
        return try await lanes.enqueue(entries: [entry], marks: [(job, seq)], [lanes.delivery(job, entry, seq: seq, url: "http://r/o")])
    }

    @Test func laneWaitsForEarlierTransitionsReadByAnotherNotifier() async throws {
        try await withRedisClient { redis, _ in
            let lanes = Lanes(redis: redis)
            try await lanes.createGroup()
            let now = try await redis.send("TIME").array?.first?.string.flatMap(Int.init).map { $0 * 1000 } ?? 0
            try await redis.send("HSET", lanes.ep.job("j"), "seq", 3)
            // IN_PROGRESS (seq 2) is fanned out first: its lane must not be handed out yet.
            #expect(try await markAndEnqueue(lanes, job: "j", seq: 2).isEmpty)
            #expect(try await redis.send("HGET", lanes.ep.job("j"), "fanned").isNull)
            // IN_QUEUE (seq 1) arrives: it goes first, and the lane may go once due.
            #expect(try await markAndEnqueue(lanes, job: "j", seq: 1).isEmpty)
            #expect(try await redis.send("HGET", lanes.ep.job("j"), "fanned").string == "2")
            let lane = lanes.delivery("j", "0-0", url: "http://r/o").lane
            let items = try await redis.send("LRANGE", lanes.scope.lane(lane), 0, -1).array?.compactMap(\.string) ?? []
            #expect(items.compactMap { WebhookDelivery(stored: $0)?.seq } == [1, 2])
            try await Task.sleep(for: .milliseconds(250))
            let due = try await lanes.claimDue()
            #expect(due.count == 1 && due.first?.delivery.seq == 1)
            // Delivered: the next (seq 2) is ready and handed on at once.
            let next = try await lanes.advance(try #require(due.first).delivery, "delivered")
            #expect(next.0 == "NEXT" && next.1?.delivery.seq == 2)
            // A transition whose predecessors never come (lost) is held only while it is recent.
            try await redis.send("HSET", lanes.ep.job("k"), "seq", 9)
            try await redis.send("HSET", lanes.ep.job("k2"), "seq", 9)
            #expect(try await lanes.enqueue([lanes.delivery("k", "\(now)-5", seq: 5)]).isEmpty)
            #expect(try await lanes.enqueue([lanes.delivery("k2", "\(now - 200_000)-5", seq: 5)]).count == 1)
        }
    }

    @Test func busyLanesAreParkedNotTaken() async throws {
        try await withRedisClient { redis, _ in
            let lanes = Lanes(redis: redis)
            let now = try await redis.send("TIME").array?.first?.string.flatMap(Int.init).map { $0 * 1000 } ?? 0
            // Enqueued with a park time: in the due set for later, not handed to the caller.
            let parked = lanes.delivery("p", "1-0")
            #expect(try await lanes.enqueue([parked], park: 5_000).isEmpty)
            let due = try #require(try await redis.send("ZSCORE", lanes.scope.due, parked.lane).string.flatMap(Int.init))
            #expect(due >= now + 4_000 && due <= now + 7_000)

            // An owned lane handed back in a batch: only while its head is still that delivery.
            let owned = lanes.delivery("o", "2-0")
            #expect(try await lanes.enqueue([owned]).map(\.lane) == [owned.lane])
            #expect(try await LaneScripts.park.run(on: redis, keys: [lanes.scope.base, lanes.scope.due], arguments: [
                owned.lane, owned.id, 0, owned.lane, "msg_other", 0, "no-such-lane", "msg_x", 0,
            ]) == .integer(1))
            let again = try await lanes.claimDue().map(\.lane)
            #expect(again.contains(owned.lane) && !again.contains(parked.lane))
        }
    }
}
