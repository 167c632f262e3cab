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
    private let metrics: (@Sendable () async -> String)?

    /// `metrics`: the text `GET /metrics` answers (Prometheus' format), when metrics are on.
    public init(configuration: APIConfiguration, redis: RedisClient, store: JobStore, subscriber: RedisSubscriber, logger: Logger,
                metrics: (@Sendable () async -> String)? = nil) {
        self.configuration = configuration
        self.metrics = metrics
        self.redis = redis
        self.store = store
        self.subscriber = subscriber
        self.logger = logger
    }

    public func makeRouter() -> Router<APIRequestContext> {
        let router = Router(context: APIRequestContext.self)
        let routeTable = RouteTable()
        router.add(middleware: JSONErrorMiddleware(routes: routeTable, logger: logger))
        if metrics != nil { router.add(middleware: MetricsMiddleware()) }
        router.add(middleware: APIKeyMiddleware(keys: configuration.apiKeys, openPaths: ["/ping", "/ready"]))
        router.get("/ping") { _, _ in
            JSONResponse.make(JSONText.object([("status", .string("ok")), ("version", .string(OrchestratorVersion.current))]))
        }
        // Readiness (beside /ping, liveness): Redis reachable and the scripts loaded.
        let store = self.store, logger = self.logger
        router.get("/ready") { _, _ in
            do {
                try await store.prepare()
                return JSONResponse.make(JSONText.object([("status", .string("ready"))]))
            } catch {
                logger.warning("not ready", metadata: ["error": "\(error)"])
                return JSONResponse.make(status: .serviceUnavailable, JSONText.object([
                    ("status", .string("unavailable")), ("error", .string("\(error)")),
                ]))
            }
        }
        if let metrics {
            router.get("/metrics") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: await metrics())))
            }
        }
        let routes = JobRoutes(store: store, subscriber: subscriber, configuration: configuration, logger: logger)
        routes.register(on: router, prefix: "/v2/:endpoint", fixedEndpoint: nil)
        routes.register(on: router, prefix: "", fixedEndpoint: "default")
        RunPodWorkerRoutes(store: store, subscriber: subscriber, configuration: configuration,
                           watch: QueueWatch(store: store, logger: logger), logger: logger).register(on: router)
        ListingRoutes(store: store, deliveryLog: DeliveryLogStore(redis: redis, keys: store.keys), configuration: configuration,
                      logger: logger).register(on: router)
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
