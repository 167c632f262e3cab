/// Failures of job operations that are not Redis' own.
public enum JobStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case duplicateID(String)
    case unexpectedReply(script: String, reply: String)

    public var description: String {
        switch self {
        case .duplicateID(let id): "a job with id \(id) already exists"
        case .unexpectedReply(let script, let reply): "unexpected reply from the \(script) script: \(reply)"
        }
    }
}
