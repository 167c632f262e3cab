/// `policy` of a submitted job, in RunPod's units (milliseconds).
public struct JobPolicy: Sendable, Equatable {
    /// Longest a run may take before the handler is killed and the job ends TIMED_OUT.
    public var executionTimeout: Int?
    /// Longest the job may wait in the queue before it ends TIMED_OUT; also its retention.
    public var ttl: Int?
    /// Runs only while no normal job of its endpoint waits (RunPod's meaning).
    public var lowPriority: Bool

    public init(executionTimeout: Int? = nil, ttl: Int? = nil, lowPriority: Bool = false) {
        self.executionTimeout = executionTimeout
        self.ttl = ttl
        self.lowPriority = lowPriority
    }

    /// The policy as JSON, for the job hash.
    public var json: String {
        JSONText.object([
            ("executionTimeout", executionTimeout.map { .int($0) }),
            ("ttl", ttl.map { .int($0) }),
            ("lowPriority", .bool(lowPriority)),
        ])
    }
}
