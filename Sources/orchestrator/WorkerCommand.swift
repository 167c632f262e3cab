import ArgumentParser
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle
import Worker

/// `orchestrator worker`: a worker manager.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run jobs of one or more endpoints.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var metrics: MetricsOptions

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.worker")
        let redis = RedisClient(configuration: try common.redisConfiguration(role: "worker"))
        defer { redis.close() }
        let configuration = worker.configuration()
        let store = JobStore(redis: redis, keys: common.keys)
        var services: [any Service] = []
        if let port = metrics.metricsPort {
            let exposition = MetricsExposition.bootstrap(gauges: [], logger: logger)
            services.append(MetricsServer(host: metrics.metricsHost, port: port, exposition: exposition, logger: logger))
        }
        if worker.runtime == .runpod {
            let supervisor = try worker.makeRunPodSupervisor(configuration: configuration, store: store, logger: logger)
            return try await stop.run(services + [supervisor], logger: logger)
        }
        let manager = WorkerManager(
            configuration: configuration,
            store: store,
            runtime: try worker.makeRuntime(
                defaultHandler: nil, concurrency: configuration.concurrency, workerID: configuration.workerID, logger: logger),
            logger: logger
        )
        try await stop.run(services + [manager], logger: logger)
    }
}
