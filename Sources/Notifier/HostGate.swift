/// Bounds requests in flight, in all and per receiver host, and pauses a host that fails
/// everything (circuit breaker), so a slow or dead receiver never holds up the others.
actor HostGate {
    enum Admission: Equatable {
        case go
        /// Try this lane again after the wait, without using up an attempt.
        case later(Duration)
    }

    private struct Host {
        var inFlight = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var consecutiveFailures = 0
        var pausedUntil: ContinuousClock.Instant?
    }

    private let maxConcurrent: Int
    private let maxPerHost: Int
    private let breakerThreshold: Int
    private let breakerPause: Duration
    private var hosts: [String: Host] = [:]
    private var inFlight = 0
    private var globalWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set at shutdown: nothing more is admitted, waiters are let go at once.
    private var closed = false

    init(maxConcurrent: Int, maxPerHost: Int, breakerThreshold: Int, breakerPause: Duration) {
        self.maxConcurrent = maxConcurrent
        self.maxPerHost = maxPerHost
        self.breakerThreshold = breakerThreshold
        self.breakerPause = breakerPause
    }

    func enter(_ host: String) async -> Admission {
        if closed { return .later(.zero) }
        if let until = hosts[host]?.pausedUntil, until > .now { return .later(until - .now) }
        // A host that already has many lanes waiting: keep them in Redis, not in memory.
        if (hosts[host]?.inFlight ?? 0) >= maxPerHost {
            guard (hosts[host]?.waiters.count ?? 0) < maxPerHost * 4 else { return .later(.seconds(1)) }
            await withCheckedContinuation { hosts[host, default: Host()].waiters.append($0) }
            if closed { return .later(.zero) }
            // The breaker may have paused the host while this lane waited for a slot.
            if let until = hosts[host]?.pausedUntil, until > .now {
                wakeNext(host)
                return .later(until - .now)
            }
        }
        hosts[host, default: Host()].inFlight += 1
        if inFlight >= maxConcurrent {
            await withCheckedContinuation { globalWaiters.append($0) }
            if closed {
                hosts[host, default: Host()].inFlight -= 1
                return .later(.zero)
            }
        }
        inFlight += 1
        return .go
    }

    /// Shutdown: lanes waiting for a slot are handed back at once (their owner defers them in
    /// Redis for another notifier) instead of waiting for requests in flight to end.
    func close() {
        closed = true
        for waiter in globalWaiters { waiter.resume() }
        globalWaiters.removeAll()
        for key in hosts.keys {
            for waiter in hosts[key]?.waiters ?? [] { waiter.resume() }
            hosts[key]?.waiters.removeAll()
        }
    }

    /// Lanes waiting for a slot at `host` (for tests and logs).
    func waiting(_ host: String) -> Int {
        hosts[host]?.waiters.count ?? 0
    }

    /// Passes a freed per-host slot on to the next waiter (one that gave its turn up).
    private func wakeNext(_ host: String) {
        guard var state = hosts[host], !state.waiters.isEmpty else { return }
        state.waiters.removeFirst().resume()
        hosts[host] = state
    }

    /// Ends a request; `failed` feeds the circuit breaker. Returns true when this pauses the host.
    @discardableResult
    func leave(_ host: String, failed: Bool) -> Bool {
        inFlight -= 1
        if !globalWaiters.isEmpty { globalWaiters.removeFirst().resume() }
        var state = hosts[host, default: Host()]
        state.inFlight -= 1
        if !state.waiters.isEmpty { state.waiters.removeFirst().resume() }
        var paused = false
        if failed {
            state.consecutiveFailures += 1
            if state.consecutiveFailures >= breakerThreshold && (state.pausedUntil ?? .now) <= .now {
                state.pausedUntil = .now + breakerPause
                paused = true
            }
        } else {
            state.consecutiveFailures = 0
            state.pausedUntil = nil
        }
        if state.inFlight == 0 && state.waiters.isEmpty && state.consecutiveFailures == 0 {
            hosts[host] = nil
        } else {
            hosts[host] = state
        }
        return paused
    }
}
