import Redis

/// What a transition script did.
public enum TransitionResult: Sendable, Equatable {
    /// The move happened; `from` is the state it left.
    case applied(from: JobStatus)
    /// The move is not allowed from the job's current state (or the job belongs to another
    /// worker); nothing was written.
    case refused(current: JobStatus?)
    /// No such job (never existed, or expired).
    case notFound

    /// A reply {'OK', from} | {'REFUSED', current} | {'NOT_FOUND'}.
    init(reply: RedisValue, script: String) throws(JobStoreError) {
        let parts = reply.array?.compactMap(\.string) ?? []
        switch parts.first {
        case "OK"?:
            guard parts.count == 2, let from = JobStatus(rawValue: parts[1]) else { throw .unexpectedReply(script: script, reply: "\(reply)") }
            self = .applied(from: from)
        case "REFUSED"?: self = .refused(current: parts.count > 1 ? JobStatus(rawValue: parts[1]) : nil)
        case "NOT_FOUND"?: self = .notFound
        default: throw .unexpectedReply(script: script, reply: "\(reply)")
        }
    }
}
