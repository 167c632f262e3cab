/// What happened, as subscriptions name it. Job transitions map onto the `job.*` types; the
/// reaper's `worker.lost` and the notifier's `webhook.dead_lettered` are events of their own.
public enum EventType: String, CaseIterable, Sendable {
    case jobQueued = "job.queued"
    case jobStarted = "job.started"
    case jobProgress = "job.progress"
    case jobCompleted = "job.completed"
    case jobFailed = "job.failed"
    case jobCancelled = "job.cancelled"
    case jobTimedOut = "job.timed_out"
    case jobRetried = "job.retried"
    /// Back in the queue after its worker was lost (or handed it back on shutdown).
    case jobRequeued = "job.requeued"
    case workerLost = "worker.lost"
    case webhookDeadLettered = "webhook.dead_lettered"

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
