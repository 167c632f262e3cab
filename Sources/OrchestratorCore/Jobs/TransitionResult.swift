/// What a transition script did.
public enum TransitionResult: Sendable, Equatable {
    /// The move happened; `from` is the state it left.
    case applied(from: JobStatus)
    /// The move is not allowed from the job's current state (or the job belongs to another
    /// worker); nothing was written.
    case refused(current: JobStatus?)
    /// No such job (never existed, or expired).
    case notFound

    init(reply: [String]) {
        switch reply.first ?? "" {
        case "OK": self = .applied(from: reply.count > 1 ? JobStatus(rawValue: reply[1]) ?? .inQueue : .inProgress)
        case "NOT_FOUND": self = .notFound
        default: self = .refused(current: reply.count > 1 ? JobStatus(rawValue: reply[1]) : nil)
        }
    }
}
