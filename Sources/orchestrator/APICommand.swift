import API
import ArgumentParser
import Foundation
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle

/// `orchestrator api`: the HTTP API (and reaper turns, for RunPod workers without a manager).
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Serve RunPod's job API over HTTP.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var jobs: JobOptions

    @Flag(name: .customLong("allow-private-webhooks"), help: "Let the webhook test button reach loopback/private addresses (env ORCH_ALLOW_PRIVATE_WEBHOOKS=1).")
    var allowPrivateWebhooks = false

    @Option(name: .customLong("max-requeues"), help: "Times a lost worker's job is requeued before it fails, for the API's reaper turns and RunPod workers' dropped jobs (env ORCH_MAX_REQUEUES; default 1).")
    var maxRequeuesOption: Int?

    @Flag(name: .customLong("no-metrics"), help: "Do not count or serve /metrics (env ORCH_METRICS=0); for measuring what metrics cost.")
    var noMetrics = false

    mutating func validate() throws {
        if !noMetrics, let enabled = try Setting.parse("ORCH_METRICS", .flag) { noMetrics = !enabled }
        if !allowPrivateWebhooks {
            allowPrivateWebhooks = try Setting.parse("ORCH_ALLOW_PRIVATE_WEBHOOKS", .flag) ?? false
        }
        maxRequeuesOption = try Setting.resolve(maxRequeuesOption, flag: "--max-requeues", variable: "ORCH_MAX_REQUEUES", .wholeNumber, check: Check.atLeast(0))
    }

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.api")
        let redisConfiguration = try common.redisConfiguration(role: "api")
        let redis = RedisClient(configuration: redisConfiguration)
        let subscriber = RedisSubscriber(configuration: redisConfiguration, logger: logger)
        defer {
            subscriber.close()
            redis.close()
        }
        let store = JobStore(redis: redis, keys: common.keys, defaults: jobs.defaults)
        var metricsText: (@Sendable () async -> String)?
        if !noMetrics {
            let exposition = MetricsExposition.bootstrap(gauges: [.jobs(store)], logger: logger)
            metricsText = { await exposition.text() }
        }
        let server = APIServer(
            configuration: api.configuration(allowPrivateWebhooks: allowPrivateWebhooks, maxRequeues: maxRequeuesOption ?? 1),
            redis: redis,
            store: store,
            subscriber: subscriber,
            logger: logger,
            metrics: metricsText
        )
        let application = server.makeApplication { port in
            logger.info("API listening", metadata: ["url": "http://\(api.host):\(port)", "redis": "\(redisConfiguration.endpointDescription)"])
            say("API: http://\(api.host):\(port)")
        }
        let reaper = ReaperLoop(store: store, holder: "api-\(getpid())-\(JobID.make().prefix(6))",
                                maxRequeues: server.configuration.maxRequeues, logger: logger)
        try await stop.run([application, ReaperRole(loop: reaper)], logger: logger)
    }
}
