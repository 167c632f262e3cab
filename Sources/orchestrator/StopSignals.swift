import Logging
import ServiceLifecycle
import UnixSignals

/// SIGTERM and SIGINT, caught from the moment a role starts. A service group installs its own
/// signal handlers only once it runs; a stop asked for before that (say, while `dev` is still
/// starting its redis-server) would take the default action and kill the process at once,
/// leaving its children behind. Caught early, it becomes a graceful shutdown as soon as the
/// services run.
struct StopSignals {
    private let signals: UnixSignalsSequence

    /// Starts catching; call it first thing in a role's `run`.
    static func catching() async -> StopSignals {
        StopSignals(signals: await UnixSignalsSequence(trapping: .sigterm, .sigint))
    }

    /// Runs the role's services (shut down in reverse order); a stop signal, whether it came
    /// before or during the run, shuts them down gracefully.
    func run(_ services: [any Service], logger: Logger) async throws {
        let group = ServiceGroup(services: services, gracefulShutdownSignals: [], logger: logger)
        let signals = self.signals
        let relay = Task {
            for await signal in signals {
                logger.info("stopping", metadata: ["signal": "\(signal)"])
                await group.triggerGracefulShutdown()
            }
        }
        defer { relay.cancel() }
        try await group.run()
    }
}
