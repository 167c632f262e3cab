/// How the API process listens and what it accepts.
public struct APIConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port (the real one is announced once listening).
    public var port: Int
    /// When non-empty, every route but `/ping` needs `Authorization: Bearer <one of these>`.
    public var apiKeys: [String]
    /// Largest request body accepted (RunPod: 10 MB for `/run`).
    public var maxBodyBytes: Int
    /// `/runsync` waits this long by default before answering with the current status.
    public var runsyncDefaultWait: Duration
    /// ...and at most this long, whatever `?wait=` asks.
    public var runsyncMaxWait: Duration
    /// Worker managers silent for longer are not counted by `/health`.
    public var workerDeadAfter: Duration
    /// Lets the webhook test button reach loopback/private addresses (as the notifier's flag).
    public var allowPrivateWebhooks: Bool
    /// How long a test delivery may take.
    public var webhookTestTimeout: Duration

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        apiKeys: [String] = [],
        maxBodyBytes: Int = 10 * 1024 * 1024,
        runsyncDefaultWait: Duration = .seconds(90),
        runsyncMaxWait: Duration = .seconds(300),
        workerDeadAfter: Duration = .seconds(30),
        allowPrivateWebhooks: Bool = false,
        webhookTestTimeout: Duration = .seconds(10)
    ) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.maxBodyBytes = maxBodyBytes
        self.runsyncDefaultWait = runsyncDefaultWait
        self.runsyncMaxWait = runsyncMaxWait
        self.workerDeadAfter = workerDeadAfter
        self.allowPrivateWebhooks = allowPrivateWebhooks
        self.webhookTestTimeout = webhookTestTimeout
    }
}
