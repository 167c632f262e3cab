/// What one reaper pass did.
public struct ReapSummary: Sendable, Equatable {
    public var requeued = 0
    public var failed = 0
    public var expired = 0
    public var workersRemoved = 0
    public var claimsReturned = 0

    public init() {}

    public var isEmpty: Bool { self == ReapSummary() }
}
