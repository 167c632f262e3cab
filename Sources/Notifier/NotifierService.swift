import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle
import Webhooks

/// The notifier role: reads every events stream through a consumer group and delivers the
/// webhooks of every transition, with retries scheduled in Redis (nothing waits in memory for
/// a retry), order kept per job and target, and nothing acknowledged before it is safe in Redis.
///
/// Its loops (reading, taking due lanes, taking over a dead notifier's entries, trimming) are
/// child tasks, cancelled at graceful shutdown; every lane it takes is drained in a child task
/// of its own, and `run` returns once the last one ended (lanes are handed back at once while
/// stopping; an attempt in flight finishes within the request timeout).
public final class NotifierService: Service, Sendable {
    public let configuration: NotifierConfiguration
    private let redis: RedisClient
    private let keys: KeySpace
    private let logger: Logger
    private let sender: WebhookSender
    private let gate: HostGate
    private let budget: LaneBudget
    private let scopes: ScopeList
    private let subscriptions: SubscriptionCache
    private let due: DueLanes
    private let worker: LaneWorker
    private let consumer: EventConsumer

    public init(configuration: NotifierConfiguration, redis: RedisClient, keys: KeySpace, logger: Logger) {
        self.configuration = configuration
        self.redis = redis
        self.keys = keys
        var logger = logger
        logger[metadataKey: "notifier"] = "\(configuration.consumerName)"
        self.logger = logger
        self.sender = WebhookSender(
            requestTimeout: configuration.requestTimeout, maxPerHost: configuration.maxPerHost,
            allowPrivateTargets: configuration.allowPrivateTargets)
        let subscriptionStore = SubscriptionStore(redis: redis, keys: keys)
        self.subscriptions = SubscriptionCache(store: subscriptionStore, logger: logger)
        self.gate = HostGate(
            maxConcurrent: configuration.maxConcurrent, maxPerHost: configuration.maxPerHost,
            breakerThreshold: configuration.breakerThreshold, breakerPause: configuration.breakerPause,
            maxWait: configuration.laneLease / 2, maxWaiting: configuration.maxConcurrent * 2)
        self.budget = LaneBudget(capacity: configuration.maxConcurrent * 4)
        self.scopes = ScopeList(directory: EndpointDirectory(redis: redis, keys: keys), redis: redis, keys: keys, logger: logger)
        self.due = DueLanes(redis: redis, keys: keys, configuration: configuration, scopes: scopes, budget: budget,
                            logger: logger, maxQuiet: configuration.dueScanInterval)
        self.worker = LaneWorker(
            redis: redis, keys: keys, configuration: configuration, sender: sender, gate: gate,
            parker: LaneParker(redis: redis, keys: keys, logger: logger), subscriptions: subscriptions,
            subscriptionStore: subscriptionStore, due: due, logger: logger)
        let fanOut = FanOut(redis: redis, keys: keys, configuration: configuration, subscriptions: subscriptions, gate: gate)
        let (lanes, sink) = AsyncStream<LaneHead>.makeStream()
        self.lanes = lanes
        self.sink = sink
        let budget = self.budget
        self.take = { heads in
            await budget.take(heads.count)
            for head in heads { sink.yield(head) }
        }
        self.consumer = EventConsumer(
            redis: redis, keys: keys, configuration: configuration, scopes: scopes, fanOut: fanOut, budget: budget,
            logger: logger, take: take)
    }

    /// Lanes taken (by reading, by the due scan), for the drain loop in `run`.
    private let lanes: AsyncStream<LaneHead>
    private let sink: AsyncStream<LaneHead>.Continuation
    private let take: @Sendable ([LaneHead]) async -> Void

    public func run() async throws {
        logger.info("notifier started", metadata: [
            "attempts": "\(configuration.attempts)", "delay": "\(configuration.delay)",
            "allowPrivateTargets": "\(configuration.allowPrivateTargets)",
        ])
        await withDiscardingTaskGroup { group in
            group.addTask {
                // The producers of lanes; when all have stopped, no lane comes any more.
                await withDiscardingTaskGroup { producers in
                    producers.addTask { try? await cancelWhenGracefulShutdown { await self.consumer.readLoop() } }
                    producers.addTask { try? await cancelWhenGracefulShutdown { await self.consumer.claimLoop() } }
                    producers.addTask { try? await cancelWhenGracefulShutdown { await self.due.run(take: self.take) } }
                    producers.addTask { try? await cancelWhenGracefulShutdown { await self.maintenanceLoop() } }
                    producers.addTask {
                        // Stopping: lanes waiting for a slot go back to Redis, readers waiting for room stop.
                        try? await gracefulShutdown()
                        await self.gate.close()
                        await self.budget.releaseWaiters()
                    }
                }
                self.sink.finish()
            }
            for await head in lanes {
                group.addTask {
                    await self.worker.drain(head)
                    await self.budget.release()
                }
            }
        }
        await sender.shutdown()
        logger.info("notifier stopped")
    }

    /// Trims the streams every 10 s and lets lanes that waited too long for a slot go (every s).
    private func maintenanceLoop() async {
        let trimmer = EventTrimmer(redis: redis, keys: keys, maxAge: configuration.eventsMaxAge, maxLength: configuration.eventsMaxLength)
        var ticks = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            if Task.isCancelled { break }
            await gate.expireWaits()
            ticks += 1
            guard ticks % 10 == 0 else { continue }
            for scope in await scopes.current() {
                do { try await trimmer.trimOnce(keys.webhooks(scope).events) } catch {
                    logger.debug("trim pass failed", metadata: ["stream": "\(keys.webhooks(scope).events)", "error": "\(error)"])
                }
            }
        }
    }
}
