import Redis
import RedisTestSupport
import Testing

@Suite("Pub/Sub")
struct RedisSubscriberTests {
    @Test func deliversMessagesToEverySubscriberOfAChannel() async throws {
        try await withRedisClient { redis, server in
            let subscriber = RedisSubscriber(configuration: server.configuration)
            defer { subscriber.close() }
            let first = try await subscriber.subscribe("news")
            let second = try await subscriber.subscribe("news")
            let other = try await subscriber.subscribe("other")
            #expect(try await redis.send("PUBLISH", "news", "hello") == .integer(1))
            var firstIterator = first.messages.makeAsyncIterator()
            var secondIterator = second.messages.makeAsyncIterator()
            #expect(await firstIterator.next() == Array("hello".utf8))
            #expect(await secondIterator.next() == Array("hello".utf8))
            first.cancel()
            second.cancel()
            try await redis.send("PUBLISH", "other", "x")
            var otherIterator = other.messages.makeAsyncIterator()
            #expect(await otherIterator.next() == Array("x".utf8))
        }
    }

    @Test func resubscribesAfterServerRestart() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration
            configuration.maxBackoff = .milliseconds(200)
            let subscriber = RedisSubscriber(configuration: configuration)
            defer { subscriber.close() }
            let redis = RedisClient(configuration: configuration)
            defer { redis.close() }
            let subscription = try await subscriber.subscribe("ch")
            await server.kill()
            try await server.restart()
            // Publish until the resubscription has happened (a receiver count of 1).
            let deadline = ContinuousClock.now + .seconds(5)
            var receivers = 0
            while ContinuousClock.now < deadline && receivers == 0 {
                receivers = (try? await redis.send("PUBLISH", "ch", "back"))?.int ?? 0
                if receivers == 0 { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(receivers == 1)
            var iterator = subscription.messages.makeAsyncIterator()
            #expect(await iterator.next() == Array("back".utf8))
        }
    }
}
