import Foundation
import Redis
import RedisTestSupport
import Testing

@Suite("Connections, blocking calls and reconnects")
struct ConnectionTests {
    @Test func urlParsing() throws {
        let full = try RedisConfiguration(url: "redis://:s%40cret@db.example:6380/3")
        #expect(full.address == .tcp(host: "db.example", port: 6380))
        #expect(full.password == "s@cret")
        #expect(full.username == nil)
        #expect(full.database == 3)
        let user = try RedisConfiguration(url: "redis://alice:pw@10.0.0.1")
        #expect(user.username == "alice" && user.password == "pw" && user.address == .tcp(host: "10.0.0.1", port: 6379))
        let unix = try RedisConfiguration(url: "unix:///run/redis.sock?db=2")
        #expect(unix.address == .unix(path: "/run/redis.sock") && unix.database == 2)
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "http://x") }
        #expect(throws: RedisError.self) { try RedisConfiguration(url: "redis://host/notanumber") }
        #expect(full.endpointDescription == "db.example:6380")
        // A refused URL is shown in its error, its password masked.
        do {
            _ = try RedisConfiguration(url: "redis://:hunter2@host/notanumber")
            Issue.record("accepted a bad database")
        } catch {
            #expect("\(error)".contains("redis://:***@host/notanumber") && !"\(error)".contains("hunter2"), "\(error)")
        }
        #expect(RedisConfiguration.redacted("unix:///s.sock?password=pw&db=2") == "unix:///s.sock?password=***&db=2")
        #expect(RedisConfiguration.redacted("redis://alice:pw@h:1") == "redis://alice:***@h:1")
        #expect(RedisConfiguration.redacted("redis://h:1/0") == "redis://h:1/0")
    }

    @Test func authSelectAndUnixSocket() async throws {
        let socketDir = FileManager.default.temporaryDirectory.appendingPathComponent("redis-sock-\(UUID().uuidString.prefix(6))")
        try FileManager.default.createDirectory(at: socketDir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: socketDir) }
        let socket = socketDir.appendingPathComponent("r.sock").path
        try await withRedisServer(extraArguments: ["--requirepass", "hunter2", "--unixsocket", socket]) { server in
            let denied = RedisClient(configuration: server.configuration)
            defer { denied.close() }
            await #expect(throws: RedisError.self) { try await denied.send("SET", "k", "v") }

            let tcp = try RedisClient(url: "redis://:hunter2@127.0.0.1:\(server.port)/5")
            defer { tcp.close() }
            try await tcp.send("SET", "k", "in-db-5")

            let viaSocket = try RedisClient(url: "unix://\(socket)?db=5&password=hunter2")
            defer { viaSocket.close() }
            #expect(try await viaSocket.send("GET", "k").string == "in-db-5")

            let wrong = try RedisClient(url: "redis://:wrong@127.0.0.1:\(server.port)")
            defer { wrong.close() }
            do {
                try await wrong.send("PING")
                Issue.record("AUTH with a wrong password succeeded")
            } catch let error as RedisError {
                guard case .connectFailed(_, let reason) = error else { Issue.record("got \(error)"); return }
                #expect(reason.contains("AUTH"))
            }
        }
    }

    @Test func blockedBLMOVEDoesNotBlockOtherCommands() async throws {
        try await withRedisClient(poolSize: 1) { redis, _ in
            let blocking = redis.makeDedicatedConnection(name: "test-blmove")
            defer { blocking.close() }
            let started = ContinuousClock.now
            let waiter = Task {
                try await blocking.send(RedisCommand("BLMOVE", "src", "dst", "RIGHT", "LEFT", 20), blockingFor: .seconds(20))
            }
            // While the BLMOVE waits (up to 20 s), the pool answers. Had it shared the
            // connection, the SETs would wait the whole 20 s; the bound leaves room for a
            // loaded machine without depending on its speed.
            for index in 0..<50 { try await redis.send("SET", "k\(index)", index) }
            #expect(ContinuousClock.now - started < .seconds(12))
            try await redis.send("LPUSH", "src", "job-1")
            let moved = try await waiter.value
            #expect(moved.string == "job-1")
            #expect(ContinuousClock.now - started < .seconds(18))
            #expect(try await redis.send("LRANGE", "dst", 0, -1) == .array([.bulkString(Array("job-1".utf8))]))
        }
    }

    @Test func cancellingABlockedCallReturnsPromptly() async throws {
        try await withRedisClient { redis, _ in
            let blocking = redis.makeDedicatedConnection()
            defer { blocking.close() }
            let waiter = Task {
                try await blocking.send(RedisCommand("BLMOVE", "empty", "dst", "RIGHT", "LEFT", 30), blockingFor: .seconds(30))
            }
            try await Task.sleep(for: .milliseconds(200))
            let started = ContinuousClock.now
            waiter.cancel()
            await #expect(throws: RedisError.self) { try await waiter.value }
            // Far below the 30 s block: the read was aborted, whatever the machine's load.
            #expect(ContinuousClock.now - started < .seconds(15))
            // The connection comes back for the next command.
            #expect(try await blocking.send("PING") == .status("PONG"))
        }
    }

    @Test func commandTimeoutIsTypedAndConnectionRecovers() async throws {
        try await withRedisServer(extraArguments: ["--enable-debug-command", "yes"]) { server in
            var configuration = server.configuration
            configuration.commandTimeout = .milliseconds(300)
            let redis = RedisClient(configuration: configuration)
            defer { redis.close() }
            let started = ContinuousClock.now
            do {
                try await redis.send("DEBUG", "SLEEP", 3)
                Issue.record("DEBUG SLEEP 3 returned within a 300 ms timeout")
            } catch let error as RedisError {
                guard case .timeout = error else { Issue.record("expected timeout, got \(error)"); return }
            }
            // Well before the 3 s the server is busy: the timeout fired.
            #expect(ContinuousClock.now - started < .milliseconds(2500))
            try await Task.sleep(for: .milliseconds(3000))
            #expect(try await redis.send("PING") == .status("PONG"))
        }
    }

    @Test func serverKilledAndRestartedMidUse() async throws {
        try await withRedisServer { server in
            var configuration = server.configuration
            configuration.poolSize = 2
            configuration.connectTimeout = .milliseconds(500)
            configuration.maxBackoff = .milliseconds(400)
            let redis = RedisClient(configuration: configuration)
            defer { redis.close() }
            try await redis.send("SET", "before", "1")

            await server.kill()
            var sawConnectionError = false
            for _ in 0..<4 {
                do {
                    try await redis.send("PING")
                } catch let error as RedisError {
                    #expect(error.isConnectionError, "unexpected \(error)")
                    sawConnectionError = true
                }
            }
            #expect(sawConnectionError)

            try await server.restart()
            // Within a couple of backoff periods every pooled connection is back.
            let deadline = ContinuousClock.now + .seconds(5)
            var successes = 0
            while ContinuousClock.now < deadline && successes < 10 {
                if (try? await redis.send("SET", "after", "2")) != nil { successes += 1 }
            }
            #expect(successes == 10)
            #expect(try await redis.send("GET", "after").string == "2")
        }
    }

    @Test func unreachableServerFailsFastWithTypedError() async throws {
        let port = try RedisServerProcess.freeTCPPort()
        var configuration = RedisConfiguration(address: .tcp(host: "127.0.0.1", port: port))
        configuration.connectTimeout = .milliseconds(300)
        let redis = RedisClient(configuration: configuration)
        defer { redis.close() }
        // Refused at connect (connectFailed: nothing was sent), not after the 5 s command timeout
        // (that would be `timeout`). The kind of error is the check: a wall-clock bound here failed
        // when other suites kept the cooperative pool busy, although the refusal itself took 2 ms.
        do {
            try await redis.send("PING")
            Issue.record("PING to a closed port succeeded")
        } catch let error as RedisError {
            guard case .connectFailed = error else { Issue.record("expected connectFailed, got \(error)"); return }
        }
    }
}
