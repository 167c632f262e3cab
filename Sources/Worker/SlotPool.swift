/// Counts free handler slots (the manager's concurrency); claim loops wait here for one.
///
/// A freed slot is handed to the loop that has waited longest, not left for whoever asks next:
/// a manager serving several endpoints with fewer slots than endpoints would otherwise let the
/// loop that just gave a slot back (after a blocking wait on an empty queue) take it again at
/// once, and another endpoint's queue could wait indefinitely.
actor SlotPool {
    private var free: Int
    private var nextWaiter = 0
    /// Resumed with true when handed a slot, false when the waiting task was cancelled.
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []

    init(size: Int) { free = size }

    /// Waits for one slot. Returns false (holding none) when the task is cancelled first.
    func acquire() async -> Bool {
        if Task.isCancelled { return false }
        if free > 0 {
            free -= 1
            return true
        }
        nextWaiter += 1
        let id = nextWaiter
        let handed = await withTaskCancellationHandler {
            await withCheckedContinuation { waiters.append((id, $0)) }
        } onCancel: {
            Task { await self.cancel(id) }
        }
        if handed && Task.isCancelled {
            release()
            return false
        }
        return handed
    }

    private func cancel(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }

    /// Takes up to `count` more slots without waiting; returns how many it took.
    func acquireAvailable(upTo count: Int) -> Int {
        let taken = min(free, count)
        free -= taken
        return taken
    }

    func release(_ count: Int = 1) {
        for _ in 0..<count {
            if waiters.isEmpty {
                free += 1
            } else {
                waiters.removeFirst().continuation.resume(returning: true)
            }
        }
    }

    /// Claim loops waiting for a slot (for tests).
    var waiting: Int { waiters.count }
}
