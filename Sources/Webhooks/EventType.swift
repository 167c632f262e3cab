/// What happened, as subscriptions name it. Job transitions map onto the `job.*` types; the
/// reaper's `worker.lost` and the notifier's `webhook.dead_lettered` are events of their own.
public enum EventType: String, CaseIterable, Sendable {
    case jobQueued = "job.queued"
    case jobStarted = "job.started"
    case jobCompleted = "job.completed"
    case jobFailed = "job.failed"
    case jobCancelled = "job.cancelled"
    case jobTimedOut = "job.timed_out"
    case jobRetried = "job.retried"
    /// Back in the queue after its worker manager was lost (or handed it back on shutdown).
    case jobRequeued = "job.requeued"
    case workerLost = "worker.lost"
    case webhookDeadLettered = "webhook.dead_lettered"

    /// The type of an events stream entry, or nil for an entry this version does not know.
    public init?(entry fields: [String: String]) {
        if let type = fields["type"] {
            self.init(rawValue: type)
            return
        }
        switch fields["to"] {
        case "IN_QUEUE":
            switch fields["from"] ?? "" {
            case "": self = .jobQueued
            case "IN_PROGRESS": self = .jobRequeued
            default: self = .jobRetried
            }
        case "IN_PROGRESS": self = .jobStarted
        case "COMPLETED": self = .jobCompleted
        case "FAILED": self = .jobFailed
        case "CANCELLED": self = .jobCancelled
        case "TIMED_OUT": self = .jobTimedOut
        default: return nil
        }
    }

    /// True when `pattern` (a type, `prefix.*` or `*`) selects this type.
    public func matches(_ pattern: String) -> Bool {
        if pattern == "*" || pattern == rawValue { return true }
        if pattern.hasSuffix(".*") { return rawValue.hasPrefix(pattern.dropLast()) }
        return false
    }

    /// Patterns a subscription may use: every type, `*`, and `family.*` for each family.
    public static func isValidPattern(_ pattern: String) -> Bool {
        pattern == "*" || allCases.contains { $0.rawValue == pattern || (pattern.hasSuffix(".*") && $0.rawValue.hasPrefix(pattern.dropLast())) }
    }

    public var isJobEvent: Bool { rawValue.hasPrefix("job.") }
}
