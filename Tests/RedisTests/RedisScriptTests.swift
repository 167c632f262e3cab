import Redis
import RedisTestSupport
import Testing

@Suite("Lua scripts")
struct RedisScriptTests {
    let script = RedisScript(name: "incr-and-get", source: """
        redis.call('INCRBY', KEYS[1], ARGV[1])
        return redis.call('GET', KEYS[1])
        """)

    @Test func shaMatchesRedis() async throws {
        try await withRedisClient { redis, _ in
            let sha = try await redis.send("SCRIPT", "LOAD", script.source).string
            #expect(sha == script.sha1)
        }
    }

    @Test func runsWithoutPriorLoadAndAfterScriptFlush() async throws {
        try await withRedisClient { redis, _ in
            #expect(try await script.run(on: redis, keys: ["n"], arguments: [2]).string == "2")
            try await redis.send("SCRIPT", "FLUSH")
            #expect(try await redis.send("SCRIPT", "EXISTS", script.sha1) == .array([.integer(0)]))
            #expect(try await script.run(on: redis, keys: ["n"], arguments: [3]).string == "5")
            #expect(try await redis.send("SCRIPT", "EXISTS", script.sha1) == .array([.integer(1)]))
        }
    }

    @Test func scriptErrorsNameTheScript() async throws {
        let failing = RedisScript(name: "refuse", source: "return redis.error_reply('REFUSED nope')")
        try await withRedisClient { redis, _ in
            await #expect(throws: RedisError.server(command: "script 'refuse'", message: "REFUSED nope")) {
                try await failing.run(on: redis)
            }
        }
    }
}
