/// Counts free handler slots (the manager's concurrency); claim loops wait here for one.
///
/// A freed slot is handed to the loop that has waited longest, not left for whoever asks next:
/// a manager serving several endpoints with fewer slots than endpoints would otherwise let the
/// loop that just gave a slot back (after a blocking wait on an empty queue) take it again at
/// once, and another endpoint's queue could wait indefinitely.
actor SlotPool {
    private var free: Int
    /// Resumed with true when handed a slot, false when woken for shutdown.
    private var waiters: [CheckedContinuation<Bool, Never>] = []

    init(size: Int) { free = size }

    /// Waits for one slot. Returns false (holding none) when `shutdown` fired first.
    func acquire(unless shutdown: ShutdownSignal) async -> Bool {
        if shutdown.isFired { return false }
        if free > 0 {
            free -= 1
            return true
        }
        let handed = await withCheckedContinuation { waiters.append($0) }
        if handed && shutdown.isFired {
            release()
            return false
        }
        return handed
    }

    /// Wakes every waiter (at shutdown) so they can see the signal and give up.
    func wakeAll() {
        let all = waiters
        waiters.removeAll()
        for waiter in all { waiter.resume(returning: false) }
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
                waiters.removeFirst().resume(returning: true)
            }
        }
    }

    /// Claim loops waiting for a slot (for tests).
    var waiting: Int { waiters.count }
}
