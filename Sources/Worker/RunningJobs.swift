import Synchronization

/// The jobs this manager runs now, each with the task running it, so a cancellation (from
/// the API's message or the heartbeat) can stop exactly that run.
final class RunningJobs: Sendable {
    private struct Entry: Sendable {
        let task: Task<Void, Never>?
        var stopReason: StopReason?
    }

    /// Why a run was stopped from outside.
    enum StopReason: Sendable, Equatable {
        /// The job was cancelled through the API.
        case cancelled
        /// The job is no longer this manager's (reaped, or gone).
        case lost
        /// The manager shuts down and hands the job back.
        case shutdown
    }

    private let entries = Mutex<[String: Entry]>([:])

    var ids: [String] { entries.withLock { Array($0.keys) } }
    var count: Int { entries.withLock { $0.count } }

    func insert(_ id: String) {
        entries.withLock { $0[id] = Entry(task: nil, stopReason: nil) }
    }

    func attach(_ id: String, task: Task<Void, Never>) {
        let stoppedEarly = entries.withLock { entries -> Bool in
            entries[id] = Entry(task: task, stopReason: entries[id]?.stopReason)
            return entries[id]?.stopReason != nil
        }
        if stoppedEarly { task.cancel() }
    }

    func remove(_ id: String) {
        _ = entries.withLock { $0.removeValue(forKey: id) }
    }

    /// Cancels the run's task (its runtime kills the handler) and remembers why.
    func stop(_ id: String, reason: StopReason) {
        let task = entries.withLock { entries -> Task<Void, Never>? in
            guard entries[id] != nil, entries[id]?.stopReason == nil else { return nil }
            entries[id]?.stopReason = reason
            return entries[id]?.task
        }
        task?.cancel()
    }

    func stopReason(_ id: String) -> StopReason? {
        entries.withLock { $0[id]?.stopReason }
    }

    func stopAll(reason: StopReason) {
        for id in ids { stop(id, reason: reason) }
    }
}
