/// How the API process listens and what it accepts.
public struct APIConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the real one is announced once listening).
    public var port: Int
    /// When non-empty, every route but `/ping` needs `Authorization: Bearer <one of these>`.
    public var apiKeys: [String]
    /// Largest request body accepted (RunPod: 10 MB for `/run`).
    public var maxBodyBytes: Int
    /// Most jobs one `/run-batch` request may queue.
    public var maxBatchJobs: Int
    /// `/runsync` waits this long by default before answering with the current status.
    public var runsyncDefaultWait: Duration
    /// ...and at most this long, whatever `?wait=` asks.
    public var runsyncMaxWait: Duration
    /// Lets the webhook test button reach loopback/private addresses (as the notifier's flag).
    public var allowPrivateWebhooks: Bool
    /// How long a test delivery may take.
    public var webhookTestTimeout: Duration
    /// RunPod HTTP workers: how long a `job-take` waits for a job (well under the SDK's 90 s
    /// client timeout) and a `job-stop` for something to stop, the most jobs one batch take gets,
    /// how long a worker's lease lasts after a take or ping, how long a job it took may go
    /// unlisted in its pings before it counts as dropped, and requeues of a dropped job.
    public var takeLongPoll: Duration
    public var stopLongPoll: Duration
    public var maxBatchTake: Int
    public var runpodWorkerLease: Duration
    public var unlistedGrace: Duration
    public var maxRequeues: Int
    /// Progress events of one job: at most one per this interval.
    public var progressInterval: Duration
    /// Largest stream chunk (RunPod: 1 MB).
    public var maxStreamChunk: Int

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        apiKeys: [String] = [],
        maxBodyBytes: Int = 10 * 1024 * 1024,
        maxBatchJobs: Int = 1000,
        runsyncDefaultWait: Duration = .seconds(90),
        runsyncMaxWait: Duration = .seconds(300),
        allowPrivateWebhooks: Bool = false,
        webhookTestTimeout: Duration = .seconds(10),
        takeLongPoll: Duration = .seconds(30),
        stopLongPoll: Duration = .seconds(30),
        maxBatchTake: Int = 64,
        runpodWorkerLease: Duration = .seconds(30),
        unlistedGrace: Duration = .seconds(20),
        maxRequeues: Int = 1,
        progressInterval: Duration = .seconds(1),
        maxStreamChunk: Int = 1024 * 1024
    ) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchJobs = maxBatchJobs
        self.runsyncDefaultWait = runsyncDefaultWait
        self.runsyncMaxWait = runsyncMaxWait
        self.allowPrivateWebhooks = allowPrivateWebhooks
        self.webhookTestTimeout = webhookTestTimeout
        self.takeLongPoll = takeLongPoll
        self.stopLongPoll = stopLongPoll
        self.maxBatchTake = maxBatchTake
        self.runpodWorkerLease = runpodWorkerLease
        self.unlistedGrace = unlistedGrace
        self.maxRequeues = maxRequeues
        self.progressInterval = progressInterval
        self.maxStreamChunk = maxStreamChunk
    }
}
