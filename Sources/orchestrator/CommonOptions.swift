import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Redis

/// Options every role shares. Each can also come from the environment variable named in its help.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("redis-url"), help: "Redis to use: redis://[:password@]host:port/db or unix:///path (env ORCH_REDIS_URL).")
    var redisURL: String = ProcessInfo.processInfo.environment["ORCH_REDIS_URL"] ?? "redis://127.0.0.1:6379"

    @Option(help: "Prefix of every Redis key (env ORCH_PREFIX).")
    var prefix: String = ProcessInfo.processInfo.environment["ORCH_PREFIX"] ?? "orch:"

    @Option(name: .customLong("redis-pool"), help: "Redis connections for ordinary commands (env ORCH_REDIS_POOL).")
    var redisPool: Int = Int(ProcessInfo.processInfo.environment["ORCH_REDIS_POOL"] ?? "") ?? 2

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env ORCH_LOG_LEVEL).")
    var logLevel: String = ProcessInfo.processInfo.environment["ORCH_LOG_LEVEL"] ?? "info"

    /// Logging, and SIGPIPE ignored: a handler or client that goes away mid-write must give
    /// an error on that write, not kill the process.
    func bootstrap() {
        signal(SIGPIPE, SIG_IGN)
        let level = Logger.Level(rawValue: logLevel.lowercased()) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    func redisConfiguration(url: String? = nil) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url ?? redisURL)
        configuration.poolSize = redisPool
        return configuration
    }

    var keys: KeySpace { KeySpace(prefix: prefix) }
}
