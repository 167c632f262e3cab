@_exported import EmbeddedRedis
import Redis

/// Runs `body` with a throwaway `redis-server` on a free port and a temporary directory,
/// stopping it afterwards, also when `body` throws or a test expectation fails.
@discardableResult
public func withRedisServer<T>(
    extraArguments: [String] = [],
    _ body: (RedisServerProcess) async throws -> T
) async throws -> T {
    let server = try await RedisServerProcess.start(extraArguments: extraArguments)
    do {
        let result = try await body(server)
        await server.stop()
        return result
    } catch {
        await server.stop()
        throw error
    }
}

/// Runs `body` with a throwaway server and a client connected to it (closed afterwards).
@discardableResult
public func withRedisClient<T>(
    poolSize: Int = 2,
    _ body: (RedisClient, RedisServerProcess) async throws -> T
) async throws -> T {
    try await withRedisServer { server in
        var configuration = server.configuration
        configuration.poolSize = poolSize
        let client = RedisClient(configuration: configuration)
        defer { client.close() }
        return try await body(client, server)
    }
}
