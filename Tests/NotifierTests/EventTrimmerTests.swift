import OrchestratorCore
import Redis
import RedisTestSupport
import Testing
@testable import Notifier

@Suite("Events stream trimming")
struct EventTrimmerTests {
    let keys = KeySpace()
    var events: String { keys.endpoint("ep").events }

    @Test func trimmingNeverCutsUnreadOrPendingEntries() async throws {
        try await withRedisClient { redis, _ in
            try await redis.send("XGROUP", "CREATE", events, keys.notifierGroup, "0", "MKSTREAM")
            // Old entries (ids in 2001), read but still pending for a consumer.
            for index in 1...5 { try await redis.send("XADD", events, "1000000000000-\(index)", "job", "old") }
            _ = try await redis.send("XREADGROUP", "GROUP", keys.notifierGroup, "c", "COUNT", 2, "STREAMS", events, ">")
            let trimmer = EventTrimmer(redis: redis, keys: keys, maxAge: .seconds(1), maxLength: 1)
            try await trimmer.trimOnce(events)
            #expect(try await redis.send("XLEN", events) == .integer(5))
            // Once handled and read, everything old may go.
            _ = try await redis.send("XREADGROUP", "GROUP", keys.notifierGroup, "c", "STREAMS", events, ">")
            try await redis.send("XACK", events, keys.notifierGroup, "1000000000000-1", "1000000000000-2", "1000000000000-3", "1000000000000-4", "1000000000000-5")
            try await redis.send("XADD", events, "*", "job", "new")
            try await trimmer.trimOnce(events)
            // MINID with ~ trims whole radix nodes only, so check with an exact trim of the same bound.
            let left = try await redis.send("XLEN", events).int ?? 0
            #expect(left <= 6)
            try await redis.send("XTRIM", events, "MINID", "1000000000001-0")
            #expect(try await redis.send("XLEN", events) == .integer(1))
        }
    }
}
