import Redis

/// What a reaper pass did.
public struct ReapSummary: Sendable, Equatable {
    public var requeued = 0
    public var failed = 0
    public var expired = 0
    public var claimsReturned = 0
    public var orphans = 0
    public var workersRemoved = 0

    public init() {}

    /// The reap script's reply {requeued, failed, expired, claims returned, orphans}.
    init(reply: RedisValue) throws(JobStoreError) {
        let counts = reply.array?.compactMap(\.int) ?? []
        guard counts.count == 5 else { throw .unexpectedReply(script: "reap", reply: "\(reply)") }
        requeued = counts[0]
        failed = counts[1]
        expired = counts[2]
        claimsReturned = counts[3]
        orphans = counts[4]
    }

    public static func + (lhs: ReapSummary, rhs: ReapSummary) -> ReapSummary {
        var sum = lhs
        sum.requeued += rhs.requeued
        sum.failed += rhs.failed
        sum.expired += rhs.expired
        sum.claimsReturned += rhs.claimsReturned
        sum.orphans += rhs.orphans
        sum.workersRemoved += rhs.workersRemoved
        return sum
    }

    public var isEmpty: Bool { self == ReapSummary() }
}
