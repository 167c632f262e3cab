import Logging
import OrchestratorCore
import Redis
import Synchronization
import Webhooks

/// Takes lanes whose time came (retries, parked lanes, lanes of a notifier that died) from
/// every scope's due set. Each scope is looked at when its earliest due lane is due, as far as
/// this notifier knows (its own attempts tell it through ``expect(_:at:)``), and at least every
/// `maxQuiet` (lanes other notifiers scheduled); between, it sleeps.
final class DueLanes: Sendable {
    private let redis: RedisClient
    private let keys: KeySpace
    private let configuration: NotifierConfiguration
    private let scopes: ScopeList
    private let budget: LaneBudget
    private let logger: Logger
    private let alarm = Alarm()
    private let maxQuiet: Duration
    private let next = Mutex<[WebhookScope: ContinuousClock.Instant]>([:])

    init(redis: RedisClient, keys: KeySpace, configuration: NotifierConfiguration, scopes: ScopeList, budget: LaneBudget,
         logger: Logger, maxQuiet: Duration = .seconds(1)) {
        self.redis = redis
        self.keys = keys
        self.configuration = configuration
        self.scopes = scopes
        self.budget = budget
        self.logger = logger
        self.maxQuiet = maxQuiet
    }

    /// A lane of `scope` will be due after `wait` (this notifier scheduled it).
    func expect(_ scope: WebhookScope, in wait: Duration) {
        let instant = ContinuousClock.now + wait
        let sooner = next.withLock { next -> Bool in
            if let known = next[scope], known <= instant { return false }
            next[scope] = instant
            return true
        }
        if sooner { alarm.wake(by: instant) }
    }

    func run(take: @Sendable ([LaneHead]) async -> Void) async {
        while !Task.isCancelled {
            let room = await budget.waitForRoom(atLeast: min(32, budget.capacity))
            if Task.isCancelled { break }
            let now = ContinuousClock.now
            var limit = room
            let known = next.withLock { $0 }
            for scope in await scopes.current() where (known[scope] ?? now) <= now && limit > 0 {
                do {
                    let webhooks = keys.webhooks(scope)
                    let reply = try await LaneScripts.claimDue.run(
                        on: redis, keys: [webhooks.base, webhooks.due],
                        arguments: [configuration.laneLease.wholeMilliseconds, min(limit, 256)])
                    let values = reply.array ?? []
                    let heads = LaneHead.list(values, from: 2, scope: scope) { lane in
                        logger.error("unreadable delivery in lane; leaving it for inspection", metadata: ["lane": "\(lane)"])
                    }
                    limit -= heads.count
                    // All taken that were asked for: there may be more due now.
                    let more = heads.count >= min(room, 256)
                    let redisNow = values.first?.int ?? 0, nextDue = values.count > 1 ? values[1].int ?? -1 : -1
                    let dueIn = nextDue < 0 ? maxQuiet : Duration.milliseconds(max(0, nextDue - redisNow))
                    let at = more ? now : ContinuousClock.now + min(maxQuiet, dueIn)
                    next.withLock { $0[scope] = min($0[scope].map { $0 > now ? $0 : at } ?? at, at) }
                    await take(heads)
                } catch {
                    next.withLock { $0[scope] = ContinuousClock.now + maxQuiet }
                    logger.debug("due-lane pass failed", metadata: ["scope": "\(scope)", "error": "\(error)"])
                }
            }
            let wake = next.withLock { $0.values.min() }.map { min($0, ContinuousClock.now + maxQuiet) } ?? ContinuousClock.now + maxQuiet
            await alarm.sleep(until: wake)
        }
    }
}
