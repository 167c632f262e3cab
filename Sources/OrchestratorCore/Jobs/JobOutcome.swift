/// How a run ended, as the worker reports it.
public enum JobOutcome: Sendable, Equatable {
    /// The handler returned output (JSON text).
    case completed(output: String)
    /// The handler returned an error, exited non-zero, printed invalid output, or its
    /// container died. `output` is kept when the handler returned one alongside the error.
    case failed(error: String, output: String? = nil)
    /// The run passed its execution timeout and was killed.
    case timedOut(error: String)

    var status: JobStatus {
        switch self {
        case .completed: .completed
        case .failed: .failed
        case .timedOut: .timedOut
        }
    }
}
