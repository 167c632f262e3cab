/// Defaults applied when a job's `policy` leaves something out.
public struct JobDefaults: Sendable, Equatable {
    /// How long a job's key lives after its last transition (RunPod keeps results ~1 hour).
    public var retention: Duration
    /// Execution timeout when `policy.executionTimeout` is absent (RunPod's default: 600 s).
    public var executionTimeout: Duration

    public init(retention: Duration = .seconds(3600), executionTimeout: Duration = .seconds(600)) {
        self.retention = retention
        self.executionTimeout = executionTimeout
    }
}

extension Duration {
    /// Whole milliseconds, for Redis and RunPod's JSON.
    public var wholeMilliseconds: Int {
        let parts = components
        return Int(parts.seconds) * 1000 + Int(parts.attoseconds / 1_000_000_000_000_000)
    }
}
