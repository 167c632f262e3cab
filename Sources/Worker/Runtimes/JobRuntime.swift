import Logging
import OrchestratorCore

/// Runs one claimed job somewhere: a process per job, a long-lived handler process, or a
/// container. Three real implementations, hence a protocol.
public protocol JobRuntime: Sendable {
    /// Short name for logs (`process`, `persistent`, `container`).
    var name: String { get }
    /// Prepares what runs jobs (long-lived processes are started here).
    func start() async throws
    /// Runs the job to its end. Cancelling the calling task stops it (the handler is killed)
    /// and returns ``RunResult/stopped``.
    func run(_ context: JobContext) async -> RunResult
    /// Stops whatever `start` started.
    func shutdown() async
}

/// The longest stdout line a handler may print, by default: 20 MiB, RunPod's limit for a
/// `/runsync` result (`--max-output`).
public enum OutputLimit {
    public static let defaultBytes = 20 * 1024 * 1024
}

/// What a runtime needs to run one job.
public struct JobContext: Sendable {
    public let job: ClaimedJob
    public let timeout: Duration
    public let logger: Logger
    /// Called with each partial output (JSON text) a streaming handler prints.
    public let onStream: @Sendable (String) async -> Void

    public init(job: ClaimedJob, timeout: Duration, logger: Logger, onStream: @escaping @Sendable (String) async -> Void) {
        self.job = job
        self.timeout = timeout
        self.logger = logger
        self.onStream = onStream
    }
}

/// How a run ended, from the runtime's point of view.
public enum RunResult: Sendable, Equatable {
    /// The handler's output, as JSON text.
    case output(String)
    /// The handler reported an error or broke; the message says how, for a person.
    case failure(String, output: String? = nil)
    /// The run passed its execution timeout; the handler was killed.
    case timedOut(String)
    /// The run was stopped from outside (cancelled, lost, shutdown); the handler was killed.
    case stopped

    /// The outcome to record, or nil for a run stopped from outside.
    public var outcome: JobOutcome? {
        switch self {
        case .output(let output): .completed(output: output)
        case .failure(let message, let output): .failed(error: message, output: output)
        case .timedOut(let message): .timedOut(error: message)
        case .stopped: nil
        }
    }
}
