import Redis
import RedisTestSupport
import Testing

@Suite("Binary-safe values")
struct BinarySafetyTests {
    @Test func nulBytesRoundTrip() async throws {
        try await withRedisClient { redis, _ in
            let value: [UInt8] = [0, 1, 0, 255, 0, 13, 10, 0]
            let key: [UInt8] = [107, 0, 121]
            try await redis.send("SET", key, value)
            #expect(try await redis.send("GET", key).bytes == value)
            #expect(try await redis.send("STRLEN", key) == .integer(8))
        }
    }

    @Test func oneMebibyteValue() async throws {
        try await withRedisClient { redis, _ in
            let value = (0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
            try await redis.send("SET", "big", value)
            #expect(try await redis.send("GET", "big").bytes == value)
        }
    }

    @Test func utf8AndFormatCharactersAreNotInterpreted() async throws {
        try await withRedisClient { redis, _ in
            let text = "ünïcødé ✓ 日本語 %s %d %b \r\n $5 *3"
            try await redis.send("HSET", "h", "f %s", text)
            #expect(try await redis.send("HGET", "h", "f %s").string == text)
        }
    }
}
