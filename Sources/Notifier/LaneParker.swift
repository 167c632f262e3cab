import Logging
import OrchestratorCore
import Redis
import Synchronization
import Webhooks

/// Lanes handed back to Redis without an attempt because their receiver was busy: parks of one
/// scope made while another park call is out go in one script call (``GroupCommit``). A lane
/// whose parking never gets written stays owned until its lease ends and is then taken again
/// (later, never lost).
final class LaneParker: Sendable {
    struct Park: Sendable {
        let lane: String
        let delivery: String
        let wait: Duration
    }

    private let redis: RedisClient
    private let keys: KeySpace
    private let logger: Logger
    private let batches = Mutex<[WebhookScope: GroupCommit<Park, Void>]>([:])

    init(redis: RedisClient, keys: KeySpace, logger: Logger) {
        self.redis = redis
        self.keys = keys
        self.logger = logger
    }

    /// Makes the lane due again after `wait`, if its head is still `delivery` by then.
    func park(_ head: LaneHead, wait: Duration) async {
        let scope = head.scope
        let batch = batches.withLock { batches in
            if let batch = batches[scope] { return batch }
            let webhooks = keys.webhooks(scope)
            let redis = self.redis
            let batch = GroupCommit<Park, Void> { parks in
                var arguments: [any RedisArgumentConvertible] = []
                for park in parks { arguments += [park.lane, park.delivery, park.wait.wholeMilliseconds] }
                _ = try await LaneScripts.park.run(on: redis, keys: [webhooks.base, webhooks.due], arguments: arguments)
                return Array(repeating: (), count: parks.count)
            }
            batches[scope] = batch
            return batch
        }
        do {
            try await batch.run(Park(lane: head.lane, delivery: head.delivery.id, wait: wait))
        } catch {
            logger.warning("cannot hand a busy lane back yet; it is taken again when its lease ends", metadata: [
                "lane": "\(head.lane)", "error": "\(error)",
            ])
        }
    }
}
