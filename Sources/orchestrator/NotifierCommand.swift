import ArgumentParser
import Logging
import Notifier
import OrchestratorCore
import Redis
import ServiceLifecycle

/// `orchestrator notifier`: delivers webhooks from the events stream.
struct NotifierCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "notifier", abstract: "Deliver a webhook for every job transition.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var notifier: NotifierOptions

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.notifier")
        let redis = RedisClient(configuration: try common.redisConfiguration())
        defer { redis.close() }
        let service = NotifierService(configuration: notifier.configuration(), redis: redis, keys: common.keys, logger: logger)
        try await stop.run([service], logger: logger)
    }
}
