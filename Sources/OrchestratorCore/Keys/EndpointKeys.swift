/// The keys of one endpoint (queue), all under the hash tag `{<endpoint>}`.
public struct EndpointKeys: Sendable, Hashable {
    public let endpoint: String
    /// `orch:{<endpoint>}:`, the start of every key below (passed to scripts that build job keys).
    public let base: String

    /// Hash with one job's fields (see ``JobField``).
    public func job(_ id: String) -> String { "\(base)job:\(id)" }
    /// List of a streaming job's partial outputs not yet read through `/stream`.
    public func jobStream(_ id: String) -> String { "\(base)job:\(id):stream" }
    /// List of the job's webhook delivery attempts.
    public func deliveries(_ id: String) -> String { "\(base)job:\(id):deliveries" }
    /// Hash keeping a terminal transition's output and error when `/retry` clears them from the
    /// job while webhooks of that transition may still be on their way.
    public func ended(_ id: String, seq: Int) -> String { "\(base)job:\(id):ended:\(seq)" }
    /// Set of `seq`s of the job's transitions fanned out ahead of an earlier one (order gate).
    public func fannedAhead(_ id: String) -> String { "\(base)job:\(id):fanned-ahead" }
    /// List of queue entries (``QueueEntry``) waiting: LPUSH in, taken from the right (FIFO).
    public var queue: String { "\(base)queue" }
    /// Queue of `policy.lowPriority` jobs: taken only while ``queue`` is empty.
    public var lowQueue: String { "\(base)queue:low" }
    /// Sorted set of queued job ids that have a `policy.ttl`, scored by queue deadline (ms).
    public var queueDeadlines: String { "\(base)queue-deadlines" }
    /// Set of the job ids a worker holds now (IN_PROGRESS under that worker).
    public func running(_ worker: String) -> String { "\(base)running:\(worker)" }
    /// List a worker's blocking claim moves a queue entry into before claiming it.
    public func claiming(_ worker: String) -> String { "\(base)claiming:\(worker)" }
    /// Hash of counters for `/health`.
    public var stats: String { "\(base)stats" }
    /// Stream with one entry per state transition of the endpoint's jobs.
    public var events: String { "\(base)events" }
    /// Pub/Sub channel announcing that a job reached a terminal state (wakes `/runsync`).
    public func doneChannel(_ id: String) -> String { "\(base)done:\(id)" }
    /// Webhook lanes, due times and dead letters of this endpoint's jobs.
    public var webhooks: WebhookKeys { WebhookKeys(base: base) }
}
