import Foundation
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle
import Webhooks

/// Works a lane this notifier owns: the head delivery, then the next, until the lane is empty,
/// waits for a retry, or goes back to Redis (receiver busy, notifier stopping).
struct LaneWorker: Sendable {
    let redis: RedisClient
    let keys: KeySpace
    let configuration: NotifierConfiguration
    let sender: WebhookSender
    let gate: HostGate
    let parker: LaneParker
    let subscriptions: SubscriptionCache
    let subscriptionStore: SubscriptionStore
    let due: DueLanes
    let logger: Logger

    /// What became of an attempt (or of a delivery not attempted).
    enum Outcome {
        case delivered
        case retry(Duration)
        /// Not attempted now (this notifier stopping): due again after the wait.
        case deferred(Duration)
        case dead(reason: String, body: String)
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

    func drain(_ first: LaneHead) async {
        var current: LaneHead? = first
        while var head = current {
            if Task.isShuttingDownGracefully || Task.isCancelled {
                // Hand the lane back at once rather than leaving it owned until its lease ends.
                current = await advance(head, outcome: .deferred(.zero), log: nil)
                continue
            }
            var policy = configuration.retryPolicy
            var secret = configuration.signingSecret
            var previousSecret: String?
            var eventType: String?
            let body: String
            if let id = head.delivery.subscription {
                guard let subscription = await subscriptions.subscription(id), subscription.active else {
                    // Deleted or switched off since the event: nothing to deliver to.
                    logger.notice("subscription gone or inactive; delivery dropped", metadata: [
                        "subscription": "\(id)", "job": "\(head.delivery.job)", "webhookId": "\(head.delivery.id)",
                    ])
                    WebhookMetrics.delivery("dropped")
                    current = await advance(head, outcome: .dropped, log: nil)
                    continue
                }
                policy = subscription.retry ?? policy
                let secrets = subscription.signingSecrets(at: ISOTime.nowMilliseconds)
                secret = secrets[0]
                previousSecret = secrets.count > 1 ? secrets[1] : nil
                eventType = head.delivery.type
                head.delivery.url = subscription.url
                body = head.delivery.body ?? head.notice.map(subscription.template.render) ?? "{}"
            } else {
                body = head.delivery.body ?? head.jobBody?.json(for: .webhook) ?? head.delivery.data ?? "{}"
            }
            var delivery = head.delivery
            let host = HostGate.key(for: delivery.url)
            switch await gate.enter(host) {
            case .later(let wait):
                await parker.park(head, wait: wait)
                due.expect(head.scope, in: wait)
                return
            case .go:
                break
            }
            var outgoing = OutgoingWebhook(url: delivery.url, body: body, id: delivery.id, secret: secret, eventType: eventType)
            outgoing.previousSecret = previousSecret
            let result = await sender.send(outgoing)
            if await gate.leave(host, failed: !result.succeeded) {
                logger.warning("receiver failing every request; pausing it", metadata: [
                    "host": "\(host)", "pause": "\(configuration.breakerPause)",
                ])
            }
            WebhookMetrics.attempted(milliseconds: result.latencyMs)
            let attempt = delivery.attempts + 1
            let record = AttemptResult(
                attempt: attempt, url: delivery.url, at: ISOTime.nowMilliseconds,
                statusCode: result.statusCode, error: result.error, latencyMs: result.latencyMs,
                webhookId: delivery.id, event: delivery.type.isEmpty ? delivery.status : delivery.type,
                subscription: delivery.subscription)
            delivery.record(record)
            head.delivery = delivery
            var metadata: Logger.Metadata = [
                "job": "\(delivery.job)", "url": "\(delivery.url)", "attempt": "\(attempt)", "event": "\(record.event)",
                "result": "\(result.statusCode.map(String.init) ?? result.error ?? "?")", "ms": "\(result.latencyMs)",
            ]
            if let subscription = delivery.subscription { metadata["subscription"] = "\(subscription)" }
            if result.succeeded {
                logger.info("webhook delivered", metadata: metadata)
                WebhookMetrics.delivery("success")
                current = await advance(head, outcome: .delivered, log: record)
            } else if result.statusCode == 410 || attempt >= policy.attempts {
                let reason = result.statusCode == 410 ? "410 Gone" : "\(attempt) attempts failed"
                metadata["reason"] = "\(reason)"
                logger.warning("webhook dead-lettered", metadata: metadata)
                WebhookMetrics.delivery("dead")
                if result.statusCode == 410, let id = delivery.subscription {
                    await deactivate(subscription: id)
                }
                current = await advance(head, outcome: .dead(reason: reason, body: body), log: record)
            } else {
                var wait = policy.delay(afterAttempt: attempt)
                if let asked = result.retryAfter { wait = max(wait, min(asked, configuration.maxRetryAfter)) }
                metadata["retryIn"] = "\(wait)"
                logger.notice("webhook attempt failed; retry scheduled", metadata: metadata)
                WebhookMetrics.delivery("failure")
                current = await advance(head, outcome: .retry(wait), log: record)
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

    /// Records the attempt and moves the lane on; returns the next head when this notifier
    /// should go on with the lane. Retries while Redis is unreachable: until this is written,
    /// the delivery counts as not made (at least once).
    private func advance(_ head: LaneHead, outcome: Outcome, log: AttemptResult?) async -> LaneHead? {
        let delivery = head.delivery
        let webhooks = keys.webhooks(head.scope)
        var wait = Duration.zero
        var deadFields: [(String, String)] = []
        var notice: [(String, String)] = []
        switch outcome {
        case .retry(let after), .deferred(let after):
            wait = after
        case .dead(let reason, let body):
            deadFields = DeadLetter.fields(of: delivery, body: body, reason: reason)
            if case .endpoint(let name) = head.scope { deadFields.append(("endpoint", name)) }
            // Tell subscriptions that want it, unless this was itself such a notice (no loops).
            if delivery.type != EventType.webhookDeadLettered.rawValue {
                notice = DeadLetterNotice(
                    deadLetter: delivery.id, job: delivery.job.isEmpty ? nil : delivery.job, url: delivery.url,
                    event: delivery.type.isEmpty ? delivery.status : delivery.type, subscription: delivery.subscription,
                    reason: reason, attempts: delivery.attempts).fields
            }
        case .delivered, .dropped:
            break
        }
        var arguments: [any RedisArgumentConvertible] = [
            head.lane, delivery.id, outcome.name, delivery.stored, log?.json ?? "",
            wait.wholeMilliseconds, configuration.laneLease.wholeMilliseconds, configuration.deadLetterMaxLength,
            configuration.deliveryLogTTL.wholeMilliseconds, delivery.replay ? "1" : "0", deadFields.count * 2,
        ]
        for (field, value) in deadFields + notice { arguments += [field, value] }
        var pause = Duration.milliseconds(100)
        var stopBy: ContinuousClock.Instant?
        for _ in 0..<50 {
            // Stopping while Redis is away: give up after 5 s (the lane's lease brings it back).
            if Task.isShuttingDownGracefully {
                stopBy = stopBy ?? ContinuousClock.now + .seconds(5)
                if let stopBy, ContinuousClock.now > stopBy { break }
            }
            do {
                let reply = try await LaneScripts.advance.run(
                    on: redis, keys: [webhooks.base, webhooks.due, webhooks.events, webhooks.deadLetters, webhooks.pendingDeadLetters],
                    arguments: arguments)
                let values = reply.array ?? []
                switch values.first?.string {
                case "NEXT":
                    return LaneHead.list(values, from: 1, scope: head.scope) { lane in
                        logger.error("unreadable delivery in lane; leaving it for inspection", metadata: ["lane": "\(lane)"])
                    }.first
                case "WAIT":
                    due.expect(head.scope, in: wait > .zero ? wait : .milliseconds(200))
                    return nil
                case "STALE":
                    logger.notice("lane was taken over by another notifier", metadata: ["lane": "\(head.lane)"])
                    return nil
                default:
                    return nil
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
}
