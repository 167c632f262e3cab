/// A job accepted by the API, ready to be written to Redis.
public struct JobSubmission: Sendable {
    public var id: String
    public var endpoint: String
    /// The `input` member exactly as the client sent it (validated JSON text).
    public var input: String
    public var webhook: String?
    public var webhookv2: String?
    public var policy: JobPolicy
    /// A `/runsync` caller waits for the end: the end is published for it.
    public var waitsForEnd: Bool

    public init(id: String, endpoint: String, input: String, webhook: String? = nil, webhookv2: String? = nil,
                policy: JobPolicy = JobPolicy(), waitsForEnd: Bool = false) {
        self.id = id
        self.endpoint = endpoint
        self.input = input
        self.webhook = webhook
        self.webhookv2 = webhookv2
        self.policy = policy
        self.waitsForEnd = waitsForEnd
    }
}
