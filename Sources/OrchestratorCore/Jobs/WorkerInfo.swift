/// How a worker manager describes itself in `orch:worker:<wid>`.
public struct WorkerInfo: Sendable, Equatable {
    public let id: String
    public let host: String
    public let pid: Int32
    public let endpoints: [String]
    public let concurrency: Int
    /// Milliseconds since the epoch.
    public let startedAt: Int

    public init(id: String, host: String, pid: Int32, endpoints: [String], concurrency: Int, startedAt: Int) {
        self.id = id
        self.host = host
        self.pid = pid
        self.endpoints = endpoints
        self.concurrency = concurrency
        self.startedAt = startedAt
    }
}
