import Logging
import OrchestratorCore
import Redis
import Webhooks

/// Lanes handed back to Redis without an attempt because their receiver was busy, written in
/// batches: one script call for every lane turned away within a few milliseconds, instead of
/// one round trip each. A lane whose parking never gets written stays owned until its lease
/// ends and is then taken again (later, never lost).
actor LaneParker {
    private struct Parked {
        let lane: String
        let delivery: String
        let wait: Duration
    }

    private let redis: RedisClient
    private let keys: KeySpace
    private let logger: Logger
    private var pending: [Parked] = []
    private var flushing = false

    init(redis: RedisClient, keys: KeySpace, logger: Logger) {
        self.redis = redis
        self.keys = keys
        self.logger = logger
    }

    /// Makes `lane` due again after `wait`, if its head is still `delivery` by then.
    func park(lane: String, delivery: String, wait: Duration) {
        pending.append(Parked(lane: lane, delivery: delivery, wait: wait))
        guard !flushing else { return }
        flushing = true
        Task {
            // Lanes turned away together (a burst for one receiver) go in one call.
            try? await Task.sleep(for: .milliseconds(2))
            await flush()
        }
    }

    /// Writes what is pending (also at shutdown, so parked lanes do not wait for their lease).
    func flush() async {
        flushing = true
        defer { flushing = false }
        while !pending.isEmpty {
            let batch = pending
            pending.removeAll()
            var arguments: [any RedisArgumentConvertible] = [keys.prefix]
            for parked in batch { arguments += [parked.lane, parked.delivery, parked.wait.wholeMilliseconds] }
            do {
                _ = try await LaneScripts.park.run(on: redis, arguments: arguments)
            } catch {
                logger.warning("cannot hand busy lanes back yet; they are taken again when their lease ends", metadata: [
                    "lanes": "\(batch.count)", "error": "\(error)",
                ])
            }
        }
    }
}
