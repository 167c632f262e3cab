/// The few keys shared by every endpoint, all under one hash tag (`{@global}`): on Redis
/// Cluster they live in one slot, and no script touches them together with an endpoint's keys.
public struct GlobalKeys: Sendable, Hashable {
    static let tag = "@global"

    /// `orch:{@global}:`.
    public let base: String

    /// Sorted set of worker ids (managers and RunPod HTTP workers), scored by last heartbeat (ms).
    public var workers: String { "\(base)workers" }
    /// Hash describing one worker.
    public func worker(_ id: String) -> String { "\(base)worker:\(id)" }
    /// Pub/Sub channel on which the API tells a worker manager to stop a job.
    public func workerCancelChannel(_ id: String) -> String { "\(base)worker:\(id):cancel" }
    /// Set of every endpoint name in use (the notifier reads their streams, the reaper their keys).
    public var endpoints: String { "\(base)endpoints" }
    /// Lock held by the one worker manager running the reaper at a time.
    public var reaperLock: String { "\(base)reaper:lock" }
    /// Stream of events about no job (`worker.lost`, and dead-letter notices about those).
    public var events: String { "\(base)events" }
    /// Set of subscription ids.
    public var subscriptions: String { "\(base)subscriptions" }
    /// Hash of one subscription.
    public func subscription(_ id: String) -> String { "\(base)subscription:\(id)" }
    /// Counter bumped on every subscription change (notifiers reload when it moves).
    public var subscriptionsVersion: String { "\(base)subscriptions:version" }
    /// Webhook lanes, due times and dead letters of events about no job.
    public var webhooks: WebhookKeys { WebhookKeys(base: base) }
}
