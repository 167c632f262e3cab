import Foundation

/// Bounds requests in flight, in all and per receiver host, and pauses a host that fails
/// everything (circuit breaker), so a slow or dead receiver never holds up the others.
///
/// A lane whose host is at its limit waits here for a slot while the wait is likely short:
/// a host may keep as many lanes waiting as it completes in `queueSeconds` (at least
/// `4 × maxPerHost`, at most `maxWaiting`), so a fast receiver with a backlog is fed from
/// memory, while a slow or hanging one keeps only a few and the rest go back to Redis
/// (`later`). No lane waits longer than `maxWait` (the owner's lease must not run out).
actor HostGate {
    enum Admission: Equatable {
        case go
        /// Try this lane again after the wait, without using up an attempt.
        case later(Duration)
    }

    private struct Waiter {
        let deadline: ContinuousClock.Instant
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct Host {
        var inFlight = 0
        var waiters: [Waiter] = []
        var consecutiveFailures = 0
        var pausedUntil: ContinuousClock.Instant?
        /// Requests finished since `windowStart` (a window of about a second), and the rate
        /// per second of the window before it.
        var finished = 0
        var windowStart: ContinuousClock.Instant = .now
        var previousRate = 0.0

        /// Requests finished per second lately (0 while too little is known).
        func rate(at now: ContinuousClock.Instant) -> Double {
            let elapsed = (now - windowStart) / .seconds(1)
            if elapsed > 2 { return Double(finished) / elapsed }
            let current = elapsed >= 0.1 ? Double(finished) / elapsed : 0
            return max(current, previousRate)
        }

        mutating func finish(at now: ContinuousClock.Instant) {
            let elapsed = (now - windowStart) / .seconds(1)
            if elapsed >= 1 {
                previousRate = elapsed > 2 ? 0 : Double(finished) / elapsed
                finished = 0
                windowStart = now
            }
            finished += 1
        }
    }

    private let maxConcurrent: Int
    private let maxPerHost: Int
    private let breakerThreshold: Int
    private let breakerPause: Duration
    private let maxWait: Duration
    private let maxWaiting: Int
    private let queueSeconds = 2.0
    private var hosts: [String: Host] = [:]
    private var inFlight = 0
    private var globalWaiters: [CheckedContinuation<Void, Never>] = []
    /// Set at shutdown: nothing more is admitted, waiters are let go at once.
    private var closed = false

    init(
        maxConcurrent: Int, maxPerHost: Int, breakerThreshold: Int, breakerPause: Duration,
        maxWait: Duration = .seconds(30), maxWaiting: Int = 512
    ) {
        self.maxConcurrent = maxConcurrent
        self.maxPerHost = maxPerHost
        self.breakerThreshold = breakerThreshold
        self.breakerPause = breakerPause
        self.maxWait = maxWait
        self.maxWaiting = maxWaiting
    }

    /// A receiver is a host and port: per-receiver limits and the breaker work on that.
    nonisolated static func key(for url: String) -> String {
        guard let components = URLComponents(string: url) else { return url }
        return "\(components.host ?? ""):\(components.port ?? (components.scheme == "https" ? 443 : 80))"
    }

    /// For lanes about to be taken, in order: nil for each the gate has room for now (a slot,
    /// or a place among the waiting), else how long to leave it in Redis first, so a backlog
    /// for a busy receiver is not taken up only to be handed back lane by lane.
    func room(for hosts: [String]) -> [Duration?] {
        var planned: [String: Int] = [:]
        return hosts.map { host in
            if closed { return nil }
            let state = self.hosts[host]
            if let until = state?.pausedUntil, until > .now { return until - .now }
            let room = maxPerHost - (state?.inFlight ?? 0) + waitingLimit(host) - (state?.waiters.count ?? 0)
            let taken = planned[host, default: 0]
            guard taken < room else { return busyWait(host) }
            planned[host] = taken + 1
            return nil
        }
    }

    func enter(_ host: String) async -> Admission {
        if closed { return .later(.zero) }
        if let until = hosts[host]?.pausedUntil, until > .now { return .later(until - .now) }
        if (hosts[host]?.inFlight ?? 0) >= maxPerHost {
            // More lanes than this host works off soon: keep them in Redis, not in memory.
            guard (hosts[host]?.waiters.count ?? 0) < waitingLimit(host) else { return .later(busyWait(host)) }
            let admitted = await withCheckedContinuation { continuation in
                hosts[host, default: Host()].waiters.append(Waiter(deadline: .now + maxWait, continuation: continuation))
            }
            if closed { return .later(.zero) }
            if !admitted { return .later(.seconds(1)) }
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

    /// Lanes a host may keep waiting: what it completes in `queueSeconds` at its recent rate,
    /// at least `4 × maxPerHost`, at most `maxWaiting` (so one busy host never takes up all the
    /// lanes a notifier works on, and the others' events are still read at once).
    private func waitingLimit(_ host: String) -> Int {
        guard let state = hosts[host] else { return maxPerHost * 4 }
        let recent = Int(state.rate(at: .now) * queueSeconds)
        return max(maxPerHost * 4, min(recent, maxWaiting))
    }

    /// When a lane turned away from a busy host should come back: about when the lanes ahead
    /// of it are done at the host's recent rate (between 50 ms and 1 s).
    private func busyWait(_ host: String) -> Duration {
        guard let state = hosts[host] else { return .milliseconds(250) }
        let rate = state.rate(at: .now)
        guard rate > 0 else { return .milliseconds(250) }
        let seconds = Double(state.waiters.count + state.inFlight) / rate
        return .milliseconds(Int(min(1, max(0.05, seconds)) * 1000))
    }

    /// Sends lanes that waited `maxWait` back to their owners (who defer them in Redis); the
    /// notifier calls this a few times a second.
    func expireWaits(now: ContinuousClock.Instant = .now) {
        for key in hosts.keys {
            guard let first = hosts[key]?.waiters.first, first.deadline <= now else { continue }
            // Waiters are in arrival order, and all wait the same `maxWait`: expired ones lead.
            while let waiter = hosts[key]?.waiters.first, waiter.deadline <= now {
                hosts[key]?.waiters.removeFirst()
                waiter.continuation.resume(returning: false)
            }
        }
    }

    /// Shutdown: lanes waiting for a slot are handed back at once (their owner defers them in
    /// Redis for another notifier) instead of waiting for requests in flight to end.
    func close() {
        closed = true
        for waiter in globalWaiters { waiter.resume() }
        globalWaiters.removeAll()
        for key in hosts.keys {
            for waiter in hosts[key]?.waiters ?? [] { waiter.continuation.resume(returning: false) }
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
        state.waiters.removeFirst().continuation.resume(returning: true)
        hosts[host] = state
    }

    /// Ends a request; `failed` feeds the circuit breaker. Returns true when this pauses the host.
    @discardableResult
    func leave(_ host: String, failed: Bool) -> Bool {
        inFlight -= 1
        if !globalWaiters.isEmpty { globalWaiters.removeFirst().resume() }
        var state = hosts[host, default: Host()]
        state.inFlight -= 1
        if !state.waiters.isEmpty { state.waiters.removeFirst().continuation.resume(returning: true) }
        state.finish(at: .now)
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
