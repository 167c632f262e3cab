/// Counts free handler slots (the manager's concurrency); claim loops wait here for one.
actor SlotPool {
    private var free: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    init(size: Int) { free = size }

    /// Waits for one slot. Returns false (holding none) when `shutdown` fired first.
    func acquire(unless shutdown: ShutdownSignal) async -> Bool {
        while true {
            if shutdown.isFired { return false }
            if free > 0 {
                free -= 1
                return true
            }
            await withCheckedContinuation { waiters.append($0) }
        }
    }

    /// Wakes every waiter (at shutdown) so they can see the signal and give up.
    func wakeAll() {
        let all = waiters
        waiters.removeAll()
        for waiter in all { waiter.resume() }
    }

    /// Takes up to `count` more slots without waiting; returns how many it took.
    func acquireAvailable(upTo count: Int) -> Int {
        let taken = min(free, count)
        free -= taken
        return taken
    }

    func release(_ count: Int = 1) {
        for _ in 0..<count {
            free += 1
            if !waiters.isEmpty { waiters.removeFirst().resume() }
        }
    }
}
