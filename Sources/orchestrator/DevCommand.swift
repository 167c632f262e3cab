import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle

/// `orchestrator dev`: a local redis-server plus every role in one process, for trying it out.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start a local redis-server and every role in one process; Ctrl-C stops it all."
    )

    @OptionGroup var common: CommonOptions

    @Option(name: .customLong("redis-port"), help: "Port for the embedded redis-server (default: a free one).")
    var redisPort: Int?

    func run() async throws {
        common.bootstrapLogging()
        let logger = Logger(label: "orchestrator.dev")
        let redis = try await RedisServerProcess.start(port: redisPort)
        logger.info("embedded redis-server started", metadata: ["url": "\(redis.url)", "pid": "\(redis.processIdentifier ?? 0)"])
        say("Redis: \(redis.url)  (redis-cli -p \(redis.port))")
        let group = ServiceGroup(
            services: [EmbeddedRedisService(server: redis)],
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger
        )
        try await group.run()
        logger.info("stopped")
    }
}

/// Keeps the embedded redis-server for the lifetime of the service group and stops it last.
struct EmbeddedRedisService: Service {
    let server: RedisServerProcess

    func run() async throws {
        try? await gracefulShutdown()
        await server.stop()
    }
}
