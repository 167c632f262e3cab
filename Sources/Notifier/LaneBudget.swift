/// Lanes a notifier works on at once (in flight or waiting for a slot): it reads the stream and
/// claims due lanes only while it has room, so a backlog stays in Redis instead of being taken
/// up only to be handed back. Readers wait here (suspended, not polling) for room.
actor LaneBudget {
    let capacity: Int
    private var used = 0
    private var waiters: [(atLeast: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(capacity: Int) { self.capacity = max(1, capacity) }

    var free: Int { max(0, capacity - used) }

    /// Waits until at least `count` lanes are free (or the task is cancelled); returns how many are.
    func waitForRoom(atLeast count: Int) async -> Int {
        let wanted = min(count, capacity)
        if free >= wanted || Task.isCancelled { return free }
        await withCheckedContinuation { waiters.append((wanted, $0)) }
        return free
    }

    /// Lanes taken on (the scripts handed them to this notifier).
    func take(_ count: Int) { used += count }

    /// A lane's drain ended.
    func release() {
        used -= 1
        let room = free
        var still: [(atLeast: Int, continuation: CheckedContinuation<Void, Never>)] = []
        for waiter in waiters {
            if room >= waiter.atLeast { waiter.continuation.resume() } else { still.append(waiter) }
        }
        waiters = still
    }

    /// Lets every waiter go (shutdown: they see the cancellation and stop).
    func releaseWaiters() {
        for waiter in waiters { waiter.continuation.resume() }
        waiters.removeAll()
    }
}
