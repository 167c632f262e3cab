import Redis

/// A job a worker has claimed (now IN_PROGRESS in its running set), with what its claim
/// returned: the worker hands the context back when it records the end, so the finish script
/// reads nothing it could have been told.
public struct ClaimedJob: Sendable, Equatable {
    public let id: String
    public let endpoint: String
    /// The job's input as JSON text.
    public let input: String
    /// Milliseconds the run may take.
    public let executionTimeout: Int
    /// 1 for the first run; higher after a requeue or a retry.
    public let attempt: Int
    /// ms since the epoch (Redis' clock).
    public let startedAt: Int
    public let delayTime: Int
    /// The job's transition number at the claim.
    public let seq: Int
    /// ms the job's key lives after it ended.
    public let ttl: Int
    /// A `/runsync` caller waits for the end.
    public let sync: Bool
    public let webhook: String?
    public let webhookv2: String?

    public init(id: String, endpoint: String, input: String, executionTimeout: Int, attempt: Int = 1, startedAt: Int = 0,
                delayTime: Int = 0, seq: Int = 2, ttl: Int = 3_600_000, sync: Bool = false, webhook: String? = nil,
                webhookv2: String? = nil) {
        self.id = id
        self.endpoint = endpoint
        self.input = input
        self.executionTimeout = executionTimeout
        self.attempt = attempt
        self.startedAt = startedAt
        self.delayTime = delayTime
        self.seq = seq
        self.ttl = ttl
        self.sync = sync
        self.webhook = webhook
        self.webhookv2 = webhookv2
    }

    /// One job of the claim script's reply: {id, input, execution timeout, attempt, started at,
    /// delay, seq, ttl, sync, webhook, webhookv2}.
    init(endpoint: String, luaFields reply: RedisValue) throws(JobStoreError) {
        let parts = reply.array?.map { $0.string ?? "" } ?? []
        guard parts.count == 11, let timeout = Int(parts[2]), let attempt = Int(parts[3]), let started = Int(parts[4]),
              let delay = Int(parts[5]), let seq = Int(parts[6]), let ttl = Int(parts[7]) else {
            throw .unexpectedReply(script: "claim", reply: "\(reply)")
        }
        self.init(id: parts[0], endpoint: endpoint, input: parts[1], executionTimeout: timeout, attempt: attempt,
                  startedAt: started, delayTime: delay, seq: seq, ttl: ttl, sync: parts[8] == "1",
                  webhook: parts[9].isEmpty ? nil : parts[9], webhookv2: parts[10].isEmpty ? nil : parts[10])
    }

    /// What a handler receives: `{"id": ..., "input": ...}`.
    public var handlerRequest: String {
        JSONText.object([("id", .string(id)), ("input", .raw(input))])
    }
}
