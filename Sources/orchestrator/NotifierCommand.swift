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
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.notifier")
        let redis = RedisClient(configuration: try common.redisConfiguration(role: "notifier"))
        defer { redis.close() }
        var services: [any Service] = []
        if let port = metrics.metricsPort {
            let exposition = MetricsExposition.bootstrap(gauges: [.webhooks(redis, common.keys)], logger: logger)
            services.append(MetricsServer(host: metrics.metricsHost, port: port, exposition: exposition, logger: logger))
        }
        let service = NotifierService(configuration: notifier.configuration(), redis: redis, keys: common.keys, logger: logger)
        try await stop.run(services + [service], logger: logger)
    }
}
