import Logging
import Webhooks

/// The notifier's copy of the subscriptions. Fan-out checks the version counter before every
/// batch (one GET), so a subscription made before a transition gets it; attempts use a copy at
/// most `maxAge` old.
actor SubscriptionCache {
    private let store: SubscriptionStore
    private let logger: Logger
    private var version = -1
    private var byID: [String: Subscription] = [:]
    private var ordered: [Subscription] = []
    private var checked = ContinuousClock.now - .seconds(3600)
    /// Bumped by `invalidate()`: a refresh that was under way across it does not count as fresh
    /// (the actor is reentrant, so it may have read the version before the change).
    private var epoch = 0

    init(store: SubscriptionStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// Up to date as of now.
    func current() async throws -> [Subscription] {
        try await refresh()
        return ordered
    }

    /// The subscription, from a copy at most `maxAge` old; nil when it was deleted.
    func subscription(_ id: String, maxAge: Duration = .seconds(1)) async -> Subscription? {
        if ContinuousClock.now - checked > maxAge {
            do { try await refresh() } catch {
                logger.debug("cannot refresh subscriptions; using the last copy", metadata: ["error": "\(error)"])
            }
        }
        return byID[id]
    }

    /// The next lookup reads Redis again (after this notifier changed a subscription).
    func invalidate() {
        checked = ContinuousClock.now - .seconds(3600)
        epoch += 1
    }

    private func refresh() async throws {
        let now = ContinuousClock.now
        let started = epoch
        let latest = try await store.version()
        if latest != version {
            let all = try await store.all()
            ordered = all
            byID = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
            version = latest
        }
        if epoch == started { checked = now }
    }
}
