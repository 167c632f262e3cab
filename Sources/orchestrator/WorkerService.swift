import ServiceLifecycle
import Worker

/// A worker manager as a service: graceful shutdown (SIGTERM) starts its drain.
struct WorkerService: Service {
    let manager: WorkerManager

    func run() async throws {
        try await withGracefulShutdownHandler {
            try await manager.run()
        } onGracefulShutdown: {
            manager.beginShutdown()
        }
    }
}
