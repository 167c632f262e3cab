/// RunPod's job states. The last four are terminal.
public enum JobStatus: String, Sendable, CaseIterable, Codable {
    case inQueue = "IN_QUEUE"
    case inProgress = "IN_PROGRESS"
    case completed = "COMPLETED"
    case failed = "FAILED"
    case cancelled = "CANCELLED"
    case timedOut = "TIMED_OUT"

    public var isTerminal: Bool {
        switch self {
        case .inQueue, .inProgress: false
        case .completed, .failed, .cancelled, .timedOut: true
        }
    }
}
