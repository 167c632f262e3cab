import API
import ArgumentParser
import EmbeddedRedis
import Foundation
import Logging
import Notifier
import OrchestratorCore
import Redis
import ServiceLifecycle
import Worker

/// `orchestrator dev`: a local redis-server plus every role in one process, for trying it out.
struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Start a local redis-server, the API, a worker manager and a notifier in one process; Ctrl-C stops it all."
    )

    @OptionGroup var common: CommonOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var jobs: JobOptions
    @OptionGroup var worker: WorkerOptions
    @OptionGroup var notifier: NotifierOptions

    @Option(name: .customLong("redis-port"), help: "Port for the embedded redis-server (default: a free one).")
    var redisPort: Int?

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.dev")
        let embedded = try await RedisServerProcess.start(port: redisPort)
        logger.info("embedded redis-server started", metadata: ["url": "\(embedded.url)", "pid": "\(embedded.processIdentifier ?? 0)"])
        say("Redis: \(embedded.url)  (inspect with: redis-cli -p \(embedded.port))")

        var redisConfiguration = embedded.configuration
        redisConfiguration.poolSize = common.redisPool
        redisConfiguration.role = "dev"
        let redis = RedisClient(configuration: redisConfiguration)
        let subscriber = RedisSubscriber(configuration: redisConfiguration, logger: logger)
        defer {
            subscriber.close()
            redis.close()
        }
        let store = JobStore(redis: redis, keys: common.keys, defaults: jobs.defaults)
        let selfPath = URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
        let workerConfiguration = worker.configuration(defaultConcurrency: 2)
        let runtime = try worker.makeRuntime(
            defaultHandler: "'\(selfPath)' example-handler", concurrency: workerConfiguration.concurrency,
            workerID: workerConfiguration.workerID, logger: logger)
        let manager = WorkerManager(configuration: workerConfiguration, store: store, runtime: runtime, logger: Logger(label: "orchestrator.worker"))
        // Local receivers (127.0.0.1) are the point of trying it out: private targets allowed.
        let notifierService = NotifierService(
            configuration: notifier.configuration(forceAllowPrivate: true), redis: redis, keys: common.keys,
            logger: Logger(label: "orchestrator.notifier"))
        // One process, every role: the API's /metrics has all of it.
        let exposition = MetricsExposition.bootstrap(gauges: [.jobs(store), .webhooks(redis, common.keys)], logger: logger)
        let server = APIServer(
            configuration: api.configuration(allowPrivateWebhooks: true, maxRequeues: workerConfiguration.maxRequeues),
            redis: redis, store: store, subscriber: subscriber, logger: Logger(label: "orchestrator.api"),
            metrics: { await exposition.text() }
        )
        let application = server.makeApplication { port in
            let base = "http://\(api.host):\(port)"
            say("""
                API: \(base)
                Try:
                  curl -s -X POST \(base)/v2/default/runsync -H 'Content-Type: application/json' -d '{"input": {"hello": "world", "sleep": 0.5}}'
                  curl -s -X POST \(base)/run -H 'Content-Type: application/json' -d '{"input": {"stream": 3}}'
                  curl -s \(base)/status/<id>
                Ctrl-C stops everything.
                """)
        }
        // Shutdown runs in reverse order: the API stops first, the worker drains, the notifier
        // finishes its attempts, then Redis stops.
        try await stop.run(
            [
                EmbeddedRedisService(server: embedded, beforeStop: { subscriber.close() }),
                notifierService,
                manager,
                application,
            ],
            logger: logger
        )
        logger.info("stopped")
    }
}

/// Keeps the embedded redis-server for the lifetime of the service group and stops it last.
struct EmbeddedRedisService: Service {
    let server: RedisServerProcess
    /// Runs just before Redis stops (closing long-lived connections, so they do not log a
    /// lost server on the way out).
    var beforeStop: @Sendable () -> Void = {}

    func run() async throws {
        try? await gracefulShutdown()
        beforeStop()
        await server.stop()
    }
}
