import Hummingbird
import Logging
import NIOCore
import OrchestratorCore
import Redis
import Webhooks

/// The HTTP API role: RunPod's routes under `/v2/{endpoint}/...`, the `default` endpoint
/// also at the short paths, webhook subscriptions and dead letters under `/api/...`, and
/// `/ping` (liveness, never behind the API key).
public struct APIServer: Sendable {
    public let configuration: APIConfiguration
    private let store: JobStore
    private let redis: RedisClient
    private let subscriber: RedisSubscriber
    private let logger: Logger

    public init(configuration: APIConfiguration, redis: RedisClient, store: JobStore, subscriber: RedisSubscriber, logger: Logger) {
        self.configuration = configuration
        self.redis = redis
        self.store = store
        self.subscriber = subscriber
        self.logger = logger
    }

    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let routeTable = RouteTable()
        router.add(middleware: JSONErrorMiddleware(routes: routeTable, logger: logger))
        router.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys, openPaths: ["/ping"]))
        router.get("/ping") { _, _ in
            JSONResponse.make(JSONText.object([("status", .string("ok")), ("version", .string(OrchestratorVersion.current))]))
        }
        let routes = JobRoutes(store: store, subscriber: subscriber, configuration: configuration, logger: logger)
        routes.register(on: router, prefix: "/v2/:endpoint", fixedEndpoint: nil)
        routes.register(on: router, prefix: "", fixedEndpoint: "default")
        RunPodWorkerRoutes(store: store, subscriber: subscriber, configuration: configuration,
                           watch: QueueWatch(store: store, logger: logger), logger: logger).register(on: router)
        let subscriptions = SubscriptionStore(redis: redis, keys: store.keys)
        WebhookRoutes(subscriptions: subscriptions, configuration: configuration, logger: logger).register(on: router)
        DeadLetterRoutes(
            deadLetters: DeadLetterStore(redis: redis, keys: store.keys), subscriptions: subscriptions,
            deliveryLog: DeliveryLogStore(redis: redis, keys: store.keys), directory: store.directory,
            configuration: configuration, logger: logger
        ).register(on: router)
        routeTable.load(router.routes)
        return router
    }

    /// The application, a `Service` for a ServiceGroup. `onListening` gets the bound port.
    public func makeApplication(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) -> some ApplicationProtocol {
        Application(
            router: makeRouter(),
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: "orchestrator/\(OrchestratorVersion.current)"
            ),
            onServerRunning: { channel in
                await onListening(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }
}
