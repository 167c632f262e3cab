import Redis
import RedisTestSupport
import Testing

@Suite("Reply types")
struct RedisValueTests {
    @Test func everyReplyType() async throws {
        try await withRedisClient { redis, _ in
            #expect(try await redis.send("PING") == .status("PONG"))
            #expect(try await redis.send("SET", "k", "v") == .status("OK"))
            #expect(try await redis.send("GET", "k") == .bulkString(Array("v".utf8)))
            #expect(try await redis.send("GET", "missing") == .null)
            #expect(try await redis.send("INCRBY", "n", 41) == .integer(41))
            #expect(try await redis.send("RPUSH", "l", "a", "b") == .integer(2))
            #expect(try await redis.send("LRANGE", "l", 0, -1) == .array([.bulkString([97]), .bulkString([98])]))
            #expect(try await redis.send("LRANGE", "nothing", 0, -1) == .array([]))
            // A nested array with a null inside it.
            let nested = try await redis.send("EVAL", "return {1, {'x', false}}", 0)
            #expect(nested == .array([.integer(1), .array([.bulkString([120]), .null])]))
            await #expect(throws: RedisError.server(command: "HGET", message: "WRONGTYPE Operation against a key holding the wrong kind of value")) {
                try await redis.send("HGET", "l", "f")
            }
        }
    }

    @Test func errorRepliesStayInPlaceInPipelines() async throws {
        try await withRedisClient { redis, _ in
            let replies = try await redis.pipeline([
                RedisCommand("SET", "a", "1"),
                RedisCommand("NOSUCHCOMMAND"),
                RedisCommand("GET", "a"),
            ])
            #expect(replies.count == 3)
            #expect(replies[0] == .status("OK"))
            #expect(replies[1].errorMessage?.hasPrefix("ERR unknown command") == true)
            #expect(replies[2].string == "1")
        }
    }

    @Test func accessors() {
        #expect(RedisValue.bulkString(Array("12".utf8)).int == 12)
        #expect(RedisValue.integer(7).string == "7")
        #expect(RedisValue.array([.bulkString([97]), .bulkString([98])]).stringDictionary == ["a": "b"])
        #expect(RedisValue.null.isNull)
        #expect(RedisValue.error("ERR x").errorMessage == "ERR x")
        #expect(RedisValue.status("OK").bytes == Array("OK".utf8))
    }
}
