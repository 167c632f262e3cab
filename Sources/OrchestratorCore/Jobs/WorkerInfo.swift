/// How a worker describes itself in its registry hash (`orch:{@global}:worker:<wid>`).
public struct WorkerInfo: Sendable, Equatable {
    /// A worker manager of ours, or an unmodified RunPod worker taking jobs over HTTP.
    public enum Kind: String, Sendable { case manager, runpod }

    public let id: String
    public var kind: Kind
    public let host: String
    public let pid: Int32
    public let endpoints: [String]
    /// Jobs it runs at once.
    public var concurrency: Int
    /// ms since the epoch.
    public let startedAt: Int

    public init(id: String, kind: Kind = .manager, host: String, pid: Int32, endpoints: [String], concurrency: Int, startedAt: Int) {
        self.id = id
        self.kind = kind
        self.host = host
        self.pid = pid
        self.endpoints = endpoints
        self.concurrency = concurrency
        self.startedAt = startedAt
    }

    /// The registry hash's fields (the heartbeat adds `heartbeat`).
    func hashFields(running: Int) -> [(String, String)] {
        [
            ("id", id), ("kind", kind.rawValue), ("host", host), ("pid", String(pid)),
            ("endpoints", endpoints.joined(separator: ",")), ("concurrency", String(concurrency)),
            ("running", String(running)), ("startedAt", String(startedAt)),
        ]
    }
}
