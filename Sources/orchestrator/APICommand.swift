import API
import ArgumentParser
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle

/// `orchestrator api`: the HTTP API.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "api", abstract: "Serve RunPod's job API over HTTP.")

    @OptionGroup var common: CommonOptions
    @OptionGroup var api: APIOptions
    @OptionGroup var jobs: JobOptions

    @Flag(name: .customLong("allow-private-webhooks"), help: "Let the webhook test button reach loopback/private addresses (env ORCH_ALLOW_PRIVATE_WEBHOOKS=1).")
    var allowPrivateWebhooks = false

    mutating func validate() throws {
        if !allowPrivateWebhooks {
            allowPrivateWebhooks = try Setting.parse("ORCH_ALLOW_PRIVATE_WEBHOOKS", .flag) ?? false
        }
    }

    func run() async throws {
        let stop = await StopSignals.catching()
        common.bootstrap()
        let logger = Logger(label: "orchestrator.api")
        let redisConfiguration = try common.redisConfiguration()
        let redis = RedisClient(configuration: redisConfiguration)
        let subscriber = RedisSubscriber(configuration: redisConfiguration, logger: logger)
        defer {
            subscriber.close()
            redis.close()
        }
        let server = APIServer(
            configuration: api.configuration(workerDeadAfter: .seconds(30), allowPrivateWebhooks: allowPrivateWebhooks),
            store: JobStore(redis: redis, keys: common.keys, defaults: jobs.defaults),
            subscriber: subscriber,
            logger: logger
        )
        let application = server.makeApplication { port in
            logger.info("API listening", metadata: ["url": "http://\(api.host):\(port)", "redis": "\(redisConfiguration.endpointDescription)"])
            say("API: http://\(api.host):\(port)")
        }
        try await stop.run([application], logger: logger)
    }
}
