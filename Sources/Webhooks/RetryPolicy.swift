/// How often and how far apart a delivery is attempted.
public struct RetryPolicy: Sendable, Equatable {
    /// Attempts in all, the first included (RunPod: 3).
    public var attempts: Int
    /// Wait after the first failed attempt (RunPod: 10 s).
    public var delay: Duration
    /// Double the wait after each further failure (else every wait is `delay`).
    public var exponential: Bool

    public init(attempts: Int = 3, delay: Duration = .seconds(10), exponential: Bool = false) {
        self.attempts = max(1, attempts)
        self.delay = delay
        self.exponential = exponential
    }

    /// The wait before attempt `attempt + 1`, after `attempt` failures.
    public func delay(afterAttempt attempt: Int) -> Duration {
        exponential ? delay * (1 << min(max(attempt - 1, 0), 16)) : delay
    }

    /// Bounds a subscription's own policy must keep to.
    public static let maxAttempts = 20
    public static let maxDelayMs = 24 * 3_600_000
}
