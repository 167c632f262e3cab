/// Every Redis key the orchestrator uses, under one prefix (`orch:` by default).
///
/// Key names are part of the user interface: operators read them with `redis-cli`, and the
/// README documents them. Lua scripts build the same names from the prefix; keep both in step.
public struct KeySpace: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "orch:") {
        self.prefix = prefix
    }

    /// Hash with one job's fields.
    public func job(_ id: String) -> String { "\(prefix)job:\(id)" }
    /// List of a streaming job's partial outputs not yet read through `/stream`.
    public func jobStream(_ id: String) -> String { "\(prefix)job:\(id):stream" }
    /// List of the job's webhook delivery attempts.
    public func jobDeliveries(_ id: String) -> String { "\(prefix)job:\(id):deliveries" }
    /// List of job ids waiting on an endpoint (LPUSH to enqueue, taken from the right: FIFO).
    public func queue(_ endpoint: String) -> String { "\(prefix)queue:\(endpoint)" }
    /// Hash of counters for `/health`.
    public func endpointStats(_ endpoint: String) -> String { "\(prefix)endpoint:\(endpoint):stats" }
    /// Sorted set of running job ids, scored by lease deadline (ms).
    public var leases: String { "\(prefix)leases" }
    /// Sorted set of queued job ids that have a `policy.ttl`, scored by queue deadline (ms).
    public var queueDeadlines: String { "\(prefix)queue-deadlines" }
    /// Hash describing one worker manager.
    public func worker(_ id: String) -> String { "\(prefix)worker:\(id)" }
    /// List a worker manager's blocking claim moves a job id into before claiming it.
    public func workerClaiming(_ id: String, endpoint: String) -> String { "\(prefix)worker:\(id):claiming:\(endpoint)" }
    /// Pub/Sub channel on which the API tells a worker manager to stop a job.
    public func workerCancelChannel(_ id: String) -> String { "\(prefix)worker:\(id):cancel" }
    /// Sorted set of worker manager ids, scored by last heartbeat (ms).
    public var workers: String { "\(prefix)workers" }
    /// Lock held by the one manager running the reaper at a time.
    public var reaperLock: String { "\(prefix)reaper:lock" }
    /// Stream with one entry per job state transition.
    public var events: String { "\(prefix)events" }
    /// Pub/Sub channel announcing that a job reached a terminal state (for `/runsync`).
    public func doneChannel(_ id: String) -> String { "\(prefix)done:\(id)" }
    /// Sorted set of webhook deliveries waiting for their next attempt, scored by due time (ms).
    public var webhookRetries: String { "\(prefix)webhooks:retry" }
    /// Sorted set of dead letters' ids (deliveries that used up their attempts), by time of death.
    public var webhookDead: String { "\(prefix)webhooks:dead" }
    /// Hash of one dead letter: the delivery, every attempt, and its state for operators.
    public func deadLetter(_ id: String) -> String { "\(prefix)webhooks:dead:\(id)" }
    /// Set of subscription ids.
    public var subscriptions: String { "\(prefix)subscriptions" }
    /// Hash of one subscription.
    public func subscription(_ id: String) -> String { "\(prefix)subscription:\(id)" }
    /// Counter bumped on every subscription change (notifiers reload when it moves).
    public var subscriptionsVersion: String { "\(prefix)subscriptions:version" }
    /// List of one job's pending deliveries to one URL, in transition order (a "lane").
    public func webhookLane(_ lane: String) -> String { "\(prefix)webhooks:lane:\(lane)" }
    /// Consumer group of the notifiers on the events stream.
    public var notifierGroup: String { "notifiers" }
}
