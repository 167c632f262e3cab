import Synchronization

/// Sleeps until a deadline unless woken earlier: the due-lane scheduler sleeps until the
/// earliest known due time, and a lane scheduled sooner (by this notifier's own attempts) wakes
/// it, without polling.
final class Alarm: Sendable {
    private struct State {
        var waiter: CheckedContinuation<Void, Never>?
        var deadline: ContinuousClock.Instant?
        /// A wake-up asked for while nobody slept: the next sleep ends by then.
        var pending: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    /// Returns at `deadline`, at an earlier ``wake(by:)``, or when the task is cancelled.
    func sleep(until requested: ContinuousClock.Instant) async {
        let pending = state.withLock { state -> ContinuousClock.Instant? in
            defer { state.pending = nil }
            return state.pending
        }
        let deadline = pending.map { min($0, requested) } ?? requested
        guard deadline > .now else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { continuation in
                        let resumeNow = self.state.withLock { state -> Bool in
                            if Task.isCancelled { return true }
                            state.waiter = continuation
                            state.deadline = deadline
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.resumeWaiter()
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    /// Makes a sleep that would last past `instant` end then (now, if it is past).
    func wake(by instant: ContinuousClock.Instant) {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let deadline = state.deadline else {
                state.pending = min(state.pending ?? instant, instant)
                return nil
            }
            guard instant < deadline else { return nil }
            state.deadline = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        if let waiter {
            // Woken early: sleep on only until `instant` — resuming now and letting the caller
            // recompute is simpler and as cheap.
            waiter.resume()
        }
    }

    private func resumeWaiter() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            state.deadline = nil
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }
}
