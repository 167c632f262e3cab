import Hummingbird
import Logging
import ServiceLifecycle

/// `--metrics-port` of the worker manager and the notifier: `GET /metrics` (Prometheus' text
/// format) on a port of their own; the API serves the same on its own port.
struct MetricsServer: Service {
    let host: String
    let port: Int
    let exposition: MetricsExposition
    let logger: Logger

    func run() async throws {
        let router = Router()
        let exposition = self.exposition
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: MetricsServer.contentType],
                     body: ResponseBody(byteBuffer: ByteBuffer(string: await exposition.text())))
        }
        let logger = self.logger, host = self.host
        let application = Application(
            router: router, configuration: ApplicationConfiguration(address: .hostname(host, port: port)),
            onServerRunning: { channel in
                logger.info("metrics listening", metadata: ["url": "http://\(host):\(channel.localAddress?.port ?? 0)/metrics"])
            }, logger: logger)
        try await application.run()
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"
}
