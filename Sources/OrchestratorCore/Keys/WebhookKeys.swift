/// The notifier's keys within one hash-tag group (an endpoint's, or the global one).
public struct WebhookKeys: Sendable, Hashable {
    /// The group's base (`orch:{sdxl}:`); lane keys are built from it in Lua.
    public let base: String

    /// The scope's events stream (the notifier's consumer group reads it; dead-letter notices go to it).
    public var events: String { "\(base)events" }
    /// Sorted set of lanes with pending deliveries, scored by when they may next be worked on.
    public var due: String { "\(base)webhooks:due" }
    /// List of one job's pending deliveries to one target, in transition order (a "lane").
    public func lane(_ id: String) -> String { "\(base)webhooks:lane:\(id)" }
    /// Sorted set of dead letters' ids, by time of death.
    public var deadLetters: String { "\(base)webhooks:dead" }
    /// Set of the ids of dead letters still `pending` (what an operator has to look at).
    public var pendingDeadLetters: String { "\(base)webhooks:dead-pending" }
    /// Hash of one dead letter.
    public func deadLetter(_ id: String) -> String { "\(base)webhooks:dead:\(id)" }
}
