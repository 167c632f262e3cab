/// Capped exponential backoff between reconnect attempts.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private(set) var current: Duration?

    init(initial: Duration, maximum: Duration) {
        self.initial = initial
        self.maximum = maximum
    }

    /// The wait before the next attempt, growing with each call until `reset()`.
    mutating func next() -> Duration {
        let wait = current.map { min($0 * 2, maximum) } ?? initial
        current = wait
        return wait
    }

    mutating func reset() { current = nil }
}
