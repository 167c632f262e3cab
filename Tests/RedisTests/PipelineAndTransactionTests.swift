import Redis
import RedisTestSupport
import Testing

@Suite("Pipelining and MULTI/EXEC")
struct PipelineAndTransactionTests {
    @Test func pipelineReturnsRepliesInOrder() async throws {
        try await withRedisClient { redis, _ in
            let commands = (0..<500).map { RedisCommand("RPUSH", "list", $0) }
            let replies = try await redis.pipeline(commands)
            #expect(replies == (1...500).map { RedisValue.integer($0) })
            #expect(try await redis.send("LINDEX", "list", 499).string == "499")
        }
    }

    @Test func pipelineIsOneRoundTrip() async throws {
        try await withRedisClient(poolSize: 1) { redis, _ in
            // The server counts one read event per round trip; commands sent in one write are
            // processed together, so a 100-command pipeline must not take 100 network reads.
            let before = try await redis.send("INFO", "stats").string ?? ""
            _ = try await redis.pipeline((0..<100).map { RedisCommand("INCR", "c\($0)") })
            let after = try await redis.send("INFO", "stats").string ?? ""
            let reads = statsField("total_reads_processed", after) - statsField("total_reads_processed", before)
            #expect(reads <= 3, "pipeline of 100 commands took \(reads) reads")
        }
    }

    @Test func concurrentSendsShareRoundTripsAndKeepTheirOwnReplies() async throws {
        let script = RedisScript(name: "echo-arg", source: "return ARGV[1]")
        try await withRedisClient(poolSize: 1) { redis, _ in
            let before = try await redis.send("INFO", "stats").string ?? ""
            // 400 callers at once: commands, scripts (not loaded yet: NOSCRIPT, loaded, run
            // again, all inside a pipeline) and error replies, each answered on its own.
            let results = try await withThrowingTaskGroup(of: (Int, String).self) { group in
                for i in 0..<400 {
                    group.addTask {
                        switch i % 4 {
                        case 0: return (i, try await redis.send("ECHO", "e\(i)").string ?? "")
                        case 1: return (i, try await script.run(on: redis, arguments: ["s\(i)"]).string ?? "")
                        case 2:
                            do {
                                _ = try await redis.send("INCR", "not-a-number-\(i)", "extra")
                                return (i, "no error")
                            } catch RedisError.server(let command, _) {
                                return (i, "error from \(command)")
                            }
                        default:
                            let count = try await redis.send("INCR", "counter").int ?? 0
                            return (i, count >= 1 && count <= 100 ? "i\(i)" : "count \(count)")
                        }
                    }
                }
                var results: [Int: String] = [:]
                for try await (i, value) in group { results[i] = value }
                return results
            }
            for i in 0..<400 {
                let expected = switch i % 4 {
                case 0: "e\(i)"
                case 1: "s\(i)"
                case 2: "error from INCR"
                default: "i\(i)"
                }
                #expect(results[i] == expected)
            }
            #expect(try await redis.send("GET", "counter").string == "100")
            let after = try await redis.send("INFO", "stats").string ?? ""
            let reads = statsField("total_reads_processed", after) - statsField("total_reads_processed", before)
            #expect(reads < 400, "400 concurrent commands took \(reads) reads: nothing was pipelined")
        }
    }

    @Test func transactionAppliesAllAndReturnsReplies() async throws {
        try await withRedisClient { redis, _ in
            let results = try await redis.transaction([
                RedisCommand("SET", "x", "1"),
                RedisCommand("INCR", "x"),
                RedisCommand("GET", "x"),
            ])
            #expect(results == [.status("OK"), .integer(2), .bulkString(Array("2".utf8))])
        }
    }

    @Test func transactionWithBadCommandIsRefusedWhole() async throws {
        try await withRedisClient { redis, _ in
            await #expect(throws: RedisError.self) {
                try await redis.transaction([RedisCommand("SET", "y", "1"), RedisCommand("NOSUCH")])
            }
            let exists = try await redis.send("EXISTS", "y")
            #expect(exists == .integer(0))
        }
    }
}

func statsField(_ name: String, _ info: String) -> Int {
    for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix(name + ":") {
        return Int(line.dropFirst(name.count + 1)) ?? 0
    }
    return 0
}
