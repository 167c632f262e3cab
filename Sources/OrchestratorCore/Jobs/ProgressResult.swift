/// What became of a progress report.
public enum ProgressResult: Sendable, Equatable {
    /// Stored and announced (`job.progress`).
    case announced
    /// Stored; its announcement waits (rate limit) and comes at the latest before the job ends.
    case heldBack
    /// The job is not the worker's any more (it ended, was cancelled or taken over).
    case refused
}
