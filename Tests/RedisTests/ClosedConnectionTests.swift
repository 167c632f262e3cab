import Foundation
import Redis
import RedisTestSupport
import Testing

/// A pooled connection the server closed while it sat idle must not cost the next caller an
/// error: the API answered 503 ("Server closed the connection") to the first request after
/// a Redis restart.
@Suite("Connections the server closed while idle")
struct ClosedConnectionTests {
    @Test func commandsAfterClientKillSucceed() async throws {
        try await withRedisClient(poolSize: 2) { redis, server in
            // Round-robin: four commands open both pooled connections.
            for _ in 0..<4 { try await redis.send("PING") }
            let admin = RedisClient(configuration: server.configuration)
            defer { admin.close() }
            let killed = try await admin.send("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
            #expect(killed.int == 2)
            // The server closed both sockets before answering; give the FINs a moment on a loaded machine.
            try await Task.sleep(for: .milliseconds(50))
            for index in 0..<4 { try await redis.send("SET", "k\(index)", index) }
            #expect(try await redis.send("GET", "k3").string == "3")
        }
    }

    @Test func firstCommandsAfterARestartSucceed() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration
            configuration.poolSize = 2
            let redis = RedisClient(configuration: configuration)
            defer { redis.close() }
            let blocking = redis.makeDedicatedConnection()
            defer { blocking.close() }
            for _ in 0..<4 { try await redis.send("PING") }
            try await blocking.send("PING")

            await server.kill()
            try await server.restart()
            for index in 0..<4 { try await redis.send("SET", "after\(index)", index) }
            #expect(try await redis.pipeline([RedisCommand("GET", "after0")]) == [.bulkString(Array("0".utf8))])
            #expect(try await blocking.send(RedisCommand("BLMOVE", "none", "dst", "RIGHT", "LEFT", 0.05), blockingFor: .seconds(1)) == .null)
        }
    }
}
