import Foundation
import Logging
import OrchestratorCore
import Redis
import Synchronization
import Webhooks

/// The notifier role: reads the events stream through a consumer group and delivers the
/// webhooks of every transition, with retries scheduled in Redis (nothing waits in memory for
/// a retry), order kept per job and URL, and nothing acknowledged before it is safe in Redis.
public final class NotifierService: Sendable {
    public let configuration: NotifierConfiguration
    private let redis: RedisClient
    private let keys: KeySpace
    private let logger: Logger
    private let sender: WebhookSender
    private let gate: HostGate
    private let trimmer: EventTrimmer
    private let subscriptions: SubscriptionCache
    private let subscriptionStore: SubscriptionStore
    private let parker: LaneParker
    private let stopping = Mutex(false)
    private let drains = Mutex(0)

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
        self.subscriptionStore = SubscriptionStore(redis: redis, keys: keys)
        self.subscriptions = SubscriptionCache(store: subscriptionStore, logger: logger)
        self.parker = LaneParker(redis: redis, keys: keys, logger: logger)
        self.trimmer = EventTrimmer(redis: redis, keys: keys, maxAge: configuration.eventsMaxAge, maxLength: configuration.eventsMaxLength)
        self.gate = HostGate(
            maxConcurrent: configuration.maxConcurrent, maxPerHost: configuration.maxPerHost,
            breakerThreshold: configuration.breakerThreshold, breakerPause: configuration.breakerPause,
            maxWait: configuration.laneLease / 2, maxWaiting: configuration.maxConcurrent * 2)
    }

    /// Lanes this notifier works on at once (in flight or waiting for a slot): it reads and
    /// claims no more than that, so a backlog stays in Redis instead of being taken up only to
    /// be handed back.
    private var maxLanes: Int { configuration.maxConcurrent * 4 }

    /// How many more lanes this notifier may take now (at most `limit`).
    private func freeLanes(limit: Int) -> Int {
        max(0, min(limit, maxLanes - drains.withLock { $0 }))
    }

    private var isStopping: Bool { stopping.withLock { $0 } }

    /// Stops reading; attempts in flight finish (bounded by the request timeout).
    public func beginShutdown() {
        let first = stopping.withLock { stopping in
            defer { stopping = true }
            return !stopping
        }
        if first { Task { await gate.close() } }
    }

    public func run() async throws {
        logger.info("notifier started", metadata: [
            "attempts": "\(configuration.attempts)", "delay": "\(configuration.delay)",
            "allowPrivateTargets": "\(configuration.allowPrivateTargets)",
        ])
        let loops = [
            Task { await self.consumeLoop() },
            Task { await self.retryLoop() },
            Task { await self.claimLoop() },
            Task { await self.trimLoop() },
        ]
        await withTaskCancellationHandler {
            while !isStopping { try? await Task.sleep(for: .milliseconds(50)) }
        } onCancel: {
            self.beginShutdown()
        }
        for loop in loops { loop.cancel() }
        for loop in loops { await loop.value }
        let deadline = ContinuousClock.now + configuration.requestTimeout + .seconds(5)
        while drains.withLock({ $0 }) > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        await parker.flush()
        await sender.shutdown()
        logger.info("notifier stopped")
    }

    // MARK: Reading the stream

    private func ensureGroup() async {
        do {
            try await redis.send("XGROUP", "CREATE", keys.events, keys.notifierGroup, "0", "MKSTREAM")
            logger.notice("created the notifiers' consumer group", metadata: ["stream": "\(keys.events)"])
        } catch RedisError.server(_, let message) where message.hasPrefix("BUSYGROUP") {
        } catch {
            logger.warning("cannot create the consumer group", metadata: ["error": "\(error)"])
        }
    }

    private func consumeLoop() async {
        await ensureGroup()
        let connection = redis.makeDedicatedConnection(name: "notifier-events")
        defer { connection.close() }
        var failures = 0
        while !Task.isCancelled && !isStopping {
            // Read in batches: a few lanes freed are not worth a round trip of their own.
            let count = freeLanes(limit: 256)
            if count < min(32, maxLanes) {
                try? await Task.sleep(for: .milliseconds(5))
                continue
            }
            do {
                let reply = try await connection.send(RedisCommand(
                    "XREADGROUP", "GROUP", keys.notifierGroup, configuration.consumerName,
                    "COUNT", count, "BLOCK", 1000, "STREAMS", keys.events, ">"), blockingFor: .seconds(1))
                failures = 0
                let entries = Self.entries(reply)
                if !entries.isEmpty { try await accept(entries) }
            } catch RedisError.server(_, let message) where message.hasPrefix("NOGROUP") {
                // Redis restarted without its data, or the stream was deleted: recreate, go on.
                await ensureGroup()
            } catch {
                if isStopping || Task.isCancelled { break }
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning("cannot read events; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 4)), 2000)))
            }
        }
    }

    /// Entries idle in other consumers' pending lists (a notifier died between reading and
    /// enqueueing them), or in ours after a Redis error, are taken over.
    private func claimLoop() async {
        while !Task.isCancelled && !isStopping {
            try? await Task.sleep(for: min(configuration.claimIdle / 4, .seconds(5)))
            if Task.isCancelled { break }
            do {
                var cursor = "0-0"
                repeat {
                    let reply = try await redis.send(
                        "XAUTOCLAIM", keys.events, keys.notifierGroup, configuration.consumerName,
                        configuration.claimIdle.wholeMilliseconds, cursor, "COUNT", 256)
                    let parts = reply.array ?? []
                    cursor = parts.first?.string ?? "0-0"
                    let entries = parts.count > 1 ? Self.entryList(parts[1]) : []
                    if !entries.isEmpty {
                        logger.notice("claimed events left by another notifier", metadata: ["count": "\(entries.count)"])
                        try await accept(entries)
                    }
                } while cursor != "0-0"
            } catch RedisError.server(_, let message) where message.hasPrefix("NOGROUP") {
                await ensureGroup()
            } catch {
                logger.debug("claim pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Puts the entries' deliveries into their lanes and acknowledges the entries (one
    /// script), then drains the lanes this notifier now owns.
    private func accept(_ entries: [(id: String, fields: [String: String])]) async throws {
        var arguments: [any RedisArgumentConvertible] = [
            keys.prefix, keys.notifierGroup, configuration.laneLease.wholeMilliseconds, entries.count,
        ]
        arguments += entries.map(\.id)
        for entry in entries {
            // Marks the job's transition as fanned out (the lanes' order gate).
            let isJobTransition = entry.fields["type"] == nil && entry.fields["seq"] != nil
            arguments.append(isJobTransition ? entry.fields["job"] ?? "" : "")
            arguments.append(isJobTransition ? Int(entry.fields["seq"] ?? "") ?? 0 : 0)
        }
        let subscriptions = try await subscriptions.current()
        let deliveries = entries.flatMap { entry in
            DeliveryPlan.deliveries(entryID: entry.id, fields: entry.fields, subscriptions: subscriptions)
        }
        let parks = await gate.room(for: deliveries.map { HostGate.key(for: $0.url) })
        for (delivery, park) in zip(deliveries, parks) {
            arguments += [delivery.lane, delivery.json, park?.wholeMilliseconds ?? 0]
        }
        let reply = try await LaneScripts.enqueue.run(on: redis, arguments: arguments)
        startDrains(reply)
    }

    // MARK: Retries

    private func retryLoop() async {
        while !Task.isCancelled && !isStopping {
            await gate.expireWaits()
            let limit = freeLanes(limit: 256)
            do {
                // Only in batches (as reading the stream): a few free lanes can wait a poll.
                if limit >= min(32, maxLanes) {
                    let reply = try await LaneScripts.claimDue.run(on: redis, arguments: [
                        keys.prefix, configuration.laneLease.wholeMilliseconds, limit,
                    ])
                    startDrains(reply)
                    if (reply.array?.count ?? 0) >= 2 * limit { continue }
                }
            } catch {
                logger.debug("retry pass failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.retryPollInterval)
        }
    }

    private func startDrains(_ reply: RedisValue) {
        let parts = reply.array?.compactMap(\.string) ?? []
        var index = 0
        while index + 1 < parts.count {
            let lane = parts[index]
            if let delivery = WebhookDelivery.decode(parts[index + 1]) {
                drains.withLock { $0 += 1 }
                Task {
                    await self.drain(lane: lane, first: delivery)
                    self.drains.withLock { $0 -= 1 }
                }
            } else {
                logger.error("unreadable delivery in lane; leaving it for inspection", metadata: ["lane": "\(lane)"])
            }
            index += 2
        }
    }

    // MARK: Delivering

    /// Works a lane this notifier owns: the head delivery, then the next, until the lane is
    /// empty or waits for a retry.
    private func drain(lane: String, first: WebhookDelivery) async {
        var current: WebhookDelivery? = first
        while var delivery = current {
            if isStopping {
                // Hand the lane back at once rather than leaving it owned until its lease ends.
                current = await advance(lane: lane, delivery: delivery, outcome: .deferred(.zero), log: nil)
                continue
            }
            var policy = configuration.retryPolicy
            var outgoing = OutgoingWebhook(url: delivery.url, body: delivery.body, id: delivery.id, secret: configuration.signingSecret, eventType: nil)
            if let id = delivery.subscription {
                guard let subscription = await subscriptions.subscription(id), subscription.active else {
                    // Deleted or switched off since the event: nothing to deliver to.
                    logger.notice("subscription gone or inactive; delivery dropped", metadata: [
                        "subscription": "\(id)", "job": "\(delivery.job)", "webhookId": "\(delivery.id)",
                    ])
                    current = await advance(lane: lane, delivery: delivery, outcome: .dropped, log: nil)
                    continue
                }
                policy = subscription.retry ?? policy
                outgoing.secret = subscription.secret
                outgoing.eventType = delivery.type
                outgoing.url = subscription.url
                delivery.url = subscription.url
            }
            let host = HostGate.key(for: delivery.url)
            switch await gate.enter(host) {
            case .later(let wait):
                await parker.park(lane: lane, delivery: delivery.id, wait: wait)
                return
            case .go:
                break
            }
            let attempt = delivery.attempts + 1
            let result = await sender.send(outgoing)
            if await gate.leave(host, failed: !result.succeeded) {
                logger.warning("receiver failing every request; pausing it", metadata: [
                    "host": "\(host)", "pause": "\(configuration.breakerPause)",
                ])
            }
            let record = AttemptResult(
                attempt: attempt, url: delivery.url, at: Int(Date().timeIntervalSince1970 * 1000),
                statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs,
                webhookId: delivery.id, event: delivery.type ?? delivery.status, subscription: delivery.subscription)
            delivery.attempts = attempt
            delivery.results.append(record)
            var metadata: Logger.Metadata = [
                "job": "\(delivery.job)", "url": "\(delivery.url)", "attempt": "\(attempt)", "event": "\(delivery.type ?? delivery.status)",
                "result": "\(result.statusCode.map(String.init) ?? result.error ?? "?")", "ms": "\(result.latencyMs)",
            ]
            if let subscription = delivery.subscription { metadata["subscription"] = "\(subscription)" }
            if result.succeeded {
                logger.info("webhook delivered", metadata: metadata)
                current = await advance(lane: lane, delivery: delivery, outcome: .delivered, log: record)
            } else if result.statusCode == 410 || attempt >= policy.attempts {
                let reason = result.statusCode == 410 ? "410 Gone" : "\(attempt) attempts failed"
                metadata["reason"] = "\(reason)"
                logger.warning("webhook dead-lettered", metadata: metadata)
                if result.statusCode == 410, let id = delivery.subscription {
                    await deactivate(subscription: id)
                }
                current = await advance(lane: lane, delivery: delivery, outcome: .dead(reason), log: record)
            } else {
                var wait = policy.delay(afterAttempt: attempt)
                if let asked = result.retryAfter { wait = max(wait, min(asked, configuration.maxRetryAfter)) }
                metadata["retryIn"] = "\(wait)"
                logger.notice("webhook attempt failed; retry scheduled", metadata: metadata)
                current = await advance(lane: lane, delivery: delivery, outcome: .retry(wait), log: record)
            }
        }
    }

    /// A receiver that answers `410 Gone` wants no more: its subscription is switched off.
    private func deactivate(subscription id: String) async {
        do {
            try await subscriptionStore.deactivate(id, reason: "receiver answered 410 Gone")
            await subscriptions.invalidate()
            logger.warning("subscription deactivated: receiver answered 410 Gone", metadata: ["subscription": "\(id)"])
        } catch {
            logger.warning("cannot deactivate subscription", metadata: ["subscription": "\(id)", "error": "\(error)"])
        }
    }

    /// What became of an attempt (or of a delivery not attempted).
    private enum Outcome {
        case delivered
        case retry(Duration)
        /// Not attempted now (receiver paused, or this notifier stopping): due again after the wait.
        case deferred(Duration)
        case dead(String)
        /// Its subscription is gone.
        case dropped

        var name: String {
            switch self {
            case .delivered: "delivered"
            case .retry: "retry"
            case .deferred: "defer"
            case .dead: "dead"
            case .dropped: "dropped"
            }
        }
    }

    /// Records the attempt and moves the lane on; returns the next delivery when this notifier
    /// should go on with the lane. Retries while Redis is unreachable: until this is written,
    /// the delivery counts as not made (at least once).
    private func advance(lane: String, delivery: WebhookDelivery, outcome: Outcome, log: AttemptResult?) async -> WebhookDelivery? {
        var arguments: [any RedisArgumentConvertible] = [
            keys.prefix, lane, delivery.id, outcome.name, delivery.json, log?.json ?? "", delivery.job,
            0, configuration.laneLease.wholeMilliseconds, configuration.deadLetterMaxLength,
            delivery.replay == true ? "1" : "0",
        ]
        var due = Duration.zero
        switch outcome {
        case .retry(let wait), .deferred(let wait):
            due = wait
            arguments.append(0)
        case .dead(let reason):
            let fields = DeadLetter.fields(of: delivery, reason: reason)
            arguments.append(fields.count * 2)
            for (field, value) in fields { arguments += [field, value] }
            // Tell subscriptions that want it, unless this was itself such a notice (no loops).
            if delivery.type != EventType.webhookDeadLettered.rawValue {
                arguments += [
                    "type", EventType.webhookDeadLettered.rawValue, "deadLetter", delivery.id, "job", delivery.job,
                    "url", delivery.url, "event", delivery.type ?? delivery.status, "subscription", delivery.subscription ?? "",
                    "reason", reason, "attempts", delivery.attempts,
                ]
            }
        case .delivered, .dropped:
            arguments.append(0)
        }
        // The script adds the wait to Redis' clock, so notifiers' clocks never matter.
        arguments[7] = due.wholeMilliseconds
        var pause = Duration.milliseconds(100)
        for _ in 0..<50 {
            do {
                let reply = try await LaneScripts.advance.run(on: redis, arguments: arguments).array ?? []
                switch reply.first?.string {
                case "NEXT": return reply.count > 1 ? reply[1].string.flatMap(WebhookDelivery.decode) : nil
                case "STALE":
                    logger.notice("lane was taken over by another notifier", metadata: ["lane": "\(lane)"])
                    return nil
                default: return nil
                }
            } catch {
                logger.warning("cannot record a webhook attempt yet; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(2))
            }
        }
        // Still unrecorded: the lane's lease runs out and another notifier delivers it again.
        return nil
    }

    // MARK: Trimming

    /// Keeps the stream bounded by age and length, never cutting an entry some group has not
    /// yet read or still has pending.
    private func trimLoop() async {
        while !Task.isCancelled && !isStopping {
            try? await Task.sleep(for: .seconds(10))
            if Task.isCancelled { break }
            do { try await trimmer.trimOnce() } catch {
                logger.debug("trim pass failed", metadata: ["error": "\(error)"])
            }
        }
    }

    // MARK: Parsing

    /// XREADGROUP's reply: [[stream, [[id, [field, value, ...]], ...]]].
    static func entries(_ reply: RedisValue) -> [(id: String, fields: [String: String])] {
        guard let streams = reply.array else { return [] }
        return streams.flatMap { stream -> [(id: String, fields: [String: String])] in
            guard let parts = stream.array, parts.count == 2 else { return [] }
            return entryList(parts[1])
        }
    }

    static func entryList(_ value: RedisValue) -> [(id: String, fields: [String: String])] {
        (value.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
            return (id, parts[1].stringDictionary ?? [:])
        }
    }
}
