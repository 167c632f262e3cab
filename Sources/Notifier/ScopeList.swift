import Logging
import OrchestratorCore
import Redis

/// The scopes whose events this notifier reads: every endpoint in the directory, and the global
/// one. Each scope's stream gets the notifiers' consumer group (created from the stream's start,
/// so nothing written before is skipped) the first time it is seen, and again after a Redis
/// restart lost it (`NOGROUP`).
actor ScopeList {
    private let directory: EndpointDirectory
    private let redis: RedisClient
    private let keys: KeySpace
    private let logger: Logger
    private let refresh: Duration
    private var scopes: [WebhookScope] = [.global]
    private var withGroup: Set<WebhookScope> = []
    private var checked: ContinuousClock.Instant?

    init(directory: EndpointDirectory, redis: RedisClient, keys: KeySpace, logger: Logger, refresh: Duration = .seconds(1)) {
        self.directory = directory
        self.redis = redis
        self.keys = keys
        self.logger = logger
        self.refresh = refresh
    }

    /// The scopes as of at most `refresh` ago, each with its consumer group.
    func current() async -> [WebhookScope] {
        if checked.map({ ContinuousClock.now - $0 >= refresh }) ?? true {
            do {
                scopes = [.global] + (try await directory.all()).map { .endpoint($0) }
                checked = .now
            } catch {
                logger.debug("cannot read the endpoint directory; using the last copy", metadata: ["error": "\(error)"])
            }
        }
        for scope in scopes where !withGroup.contains(scope) {
            if await ensureGroup(scope) { withGroup.insert(scope) }
        }
        return scopes.filter { withGroup.contains($0) }
    }

    /// The group was lost (Redis restarted without its data): make them again.
    func groupsLost() {
        withGroup.removeAll()
    }

    private func ensureGroup(_ scope: WebhookScope) async -> Bool {
        let stream = keys.webhooks(scope).events
        do {
            try await redis.send("XGROUP", "CREATE", stream, keys.notifierGroup, "0", "MKSTREAM")
            logger.notice("created the notifiers' consumer group", metadata: ["stream": "\(stream)"])
            return true
        } catch RedisError.server(_, let message) where message.hasPrefix("BUSYGROUP") {
            return true
        } catch {
            logger.warning("cannot create the consumer group", metadata: ["stream": "\(stream)", "error": "\(error)"])
            return false
        }
    }
}
