import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Redis

/// Options every role shares: each flag, else its environment variable, else the built-in
/// default (``Setting`` says why the defaults are not declared on the properties).
struct CommonOptions: ParsableArguments {
    enum LogLevel: String, CaseIterable {
        case trace, debug, info, notice, warning, error, critical
    }

    @Option(name: .customLong("redis-url"), help: "Redis to use: redis://[:password@]host:port/db or unix:///path (env ORCH_REDIS_URL; default redis://127.0.0.1:6379).")
    var redisURLOption: String?

    @Option(name: .customLong("prefix"), help: "Prefix of every Redis key (env ORCH_PREFIX; default orch:).")
    var prefixOption: String?

    @Option(name: .customLong("redis-pool"), help: "Redis connections for ordinary commands (env ORCH_REDIS_POOL; default 2).")
    var redisPoolOption: Int?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env ORCH_LOG_LEVEL; default info).")
    var logLevelOption: String?

    @Option(name: .customLong("log-format"), help: "text (for a terminal) or json (one object per line) (env ORCH_LOG_FORMAT; default text).")
    var logFormatOption: String?

    var redisURL: String { redisURLOption ?? "redis://127.0.0.1:6379" }
    var prefix: String { prefixOption ?? "orch:" }
    var redisPool: Int { redisPoolOption ?? 2 }
    var logLevel: Logger.Level { logLevelOption.flatMap { Logger.Level(rawValue: $0.lowercased()) } ?? .info }

    mutating func validate() throws {
        redisURLOption = try Setting.resolve(redisURLOption, flag: "--redis-url", variable: "ORCH_REDIS_URL", .secret) { url in
            // The URL may hold a password: the error shows it masked (RedisConfiguration redacts).
            do { _ = try RedisConfiguration(url: url); return nil } catch { return "is not a usable Redis URL: \(error)" }
        }
        prefixOption = try Setting.resolve(prefixOption, flag: "--prefix", variable: "ORCH_PREFIX", .text)
        redisPoolOption = try Setting.resolve(redisPoolOption, flag: "--redis-pool", variable: "ORCH_REDIS_POOL", .wholeNumber, check: Check.atLeast(1))
        let level = SettingKind<String>(expected: "one of \(LogLevel.allCases.map(\.rawValue).joined(separator: ", "))") {
            LogLevel(rawValue: $0.lowercased())?.rawValue
        }
        logLevelOption = try Setting.resolve(logLevelOption, flag: "--log-level", variable: "ORCH_LOG_LEVEL", level) {
            level.parse($0) == nil ? "must be \(level.expected), got '\($0)'" : nil
        }
        let format = SettingKind<String>(expected: "text or json") { ["text", "json"].contains($0.lowercased()) ? $0.lowercased() : nil }
        logFormatOption = try Setting.resolve(logFormatOption, flag: "--log-format", variable: "ORCH_LOG_FORMAT", format) {
            format.parse($0) == nil ? "must be text or json, got '\($0)'" : nil
        }
    }

    /// Logging, and SIGPIPE ignored: a handler or client that goes away mid-write must give
    /// an error on that write, not kill the process.
    func bootstrap() {
        signal(SIGPIPE, SIG_IGN)
        let level = logLevel
        if logFormatOption?.lowercased() == "json" {
            LoggingSystem.bootstrap { label in
                var handler = JSONLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            return
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }

    func redisConfiguration(url: String? = nil, role: String) throws -> RedisConfiguration {
        var configuration = try RedisConfiguration(url: url ?? redisURL)
        configuration.poolSize = redisPool
        configuration.role = role
        return configuration
    }

    var keys: KeySpace { KeySpace(prefix: prefix) }
}
