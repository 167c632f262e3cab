import OrchestratorCore
import Synchronization

/// The jobs this manager runs now, each with the task running it, so a cancellation (from the
/// API's message or the heartbeat) can stop exactly that run.
final class RunningJobs: Sendable {
    private struct Entry: Sendable {
        let job: ClaimedJob
        var task: Task<Void, Never>?
        var stopReason: StopReason?
    }

    /// Why a run was stopped from outside.
    enum StopReason: Sendable, Equatable {
        /// The job was cancelled through the API.
        case cancelled
        /// The job is no longer this manager's (its worker was declared lost, or it is gone).
        case lost
        /// The manager shuts down and hands the job back.
        case shutdown
        /// The manager could not renew its lease for a lease period (cut off from Redis): it
        /// stops the handler itself before the reaper may give the job to another worker.
        case fenced
    }

    private struct State: Sendable {
        var entries: [String: Entry] = [:]
        var emptyWaiters: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    var ids: [String] { state.withLock { Array($0.entries.keys) } }
    var count: Int { state.withLock { $0.entries.count } }

    func insert(_ job: ClaimedJob) {
        state.withLock { $0.entries[job.id] = Entry(job: job) }
    }

    func attach(_ id: String, task: Task<Void, Never>) {
        let stoppedEarly = state.withLock { state -> Bool in
            state.entries[id]?.task = task
            return state.entries[id]?.stopReason != nil
        }
        if stoppedEarly { task.cancel() }
    }

    func remove(_ id: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.entries.removeValue(forKey: id)
            guard state.entries.isEmpty else { return [] }
            defer { state.emptyWaiters.removeAll() }
            return state.emptyWaiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Cancels the run's task (its runtime kills the handler) and remembers why.
    func stop(_ id: String, reason: StopReason) {
        let task = state.withLock { state -> Task<Void, Never>? in
            guard state.entries[id] != nil, state.entries[id]?.stopReason == nil else { return nil }
            state.entries[id]?.stopReason = reason
            return state.entries[id]?.task
        }
        task?.cancel()
    }

    func stopReason(_ id: String) -> StopReason? {
        state.withLock { $0.entries[id]?.stopReason }
    }

    func stopAll(reason: StopReason) {
        for id in ids { stop(id, reason: reason) }
    }

    /// Returns once no job runs (or the task is cancelled).
    func waitUntilEmpty() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.entries.isEmpty || Task.isCancelled { return true }
                    state.emptyWaiters.append(continuation)
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
                defer { state.emptyWaiters.removeAll() }
                return state.emptyWaiters
            }
            for waiter in waiters { waiter.resume() }
        }
    }
}
