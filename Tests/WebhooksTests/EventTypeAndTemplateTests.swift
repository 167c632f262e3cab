import Foundation
import Testing
import OrchestratorCore
@testable import Webhooks

@Suite("Event types, subscriptions' filters and templates")
struct EventTypeAndTemplateTests {
    @Test(arguments: [
        (["job": "j", "from": "", "to": "IN_QUEUE"], EventType.jobQueued),
        (["job": "j", "from": "IN_QUEUE", "to": "IN_PROGRESS"], .jobStarted),
        (["job": "j", "from": "IN_PROGRESS", "to": "COMPLETED"], .jobCompleted),
        (["job": "j", "from": "IN_PROGRESS", "to": "FAILED"], .jobFailed),
        (["job": "j", "from": "IN_QUEUE", "to": "CANCELLED"], .jobCancelled),
        (["job": "j", "from": "IN_PROGRESS", "to": "TIMED_OUT"], .jobTimedOut),
        (["job": "j", "from": "FAILED", "to": "IN_QUEUE"], .jobRetried),
        (["job": "j", "from": "IN_PROGRESS", "to": "IN_QUEUE"], .jobRequeued),
        (["type": "worker.lost", "worker": "w1"], .workerLost),
        (["type": "webhook.dead_lettered"], .webhookDeadLettered),
    ])
    func mapsStreamEntries(fields: [String: String], type: EventType) {
        #expect(StreamEvent(fields: fields).type == type)
    }

    @Test func unknownEntriesHaveNoType() {
        #expect(StreamEvent(fields: ["type": "something.new"]).type == nil)
        #expect(StreamEvent(fields: ["job": "j", "to": "WEIRD"]).type == nil)
    }

    @Test func patterns() {
        #expect(EventType.jobFailed.matches("job.failed") && EventType.jobFailed.matches("job.*") && EventType.jobFailed.matches("*"))
        #expect(!EventType.workerLost.matches("job.*") && !EventType.jobFailed.matches("job.completed"))
        #expect(EventType.workerLost.matches("worker.*"))
        for valid in ["*", "job.*", "worker.*", "webhook.*", "job.timed_out"] { #expect(EventType.isValidPattern(valid)) }
        for invalid in ["", "job", "job.", "jobs.*", "job.nope", "**"] { #expect(!EventType.isValidPattern(invalid)) }
    }

    @Test func endpointFilterAndActiveFlag() {
        var subscription = Subscription(url: "https://x/y", events: ["job.*", "worker.lost", "webhook.dead_lettered"], endpoint: "alpha")
        let completed = StreamEvent.transition(JobTransition(job: "j", from: .inProgress, to: .completed, seq: 3))
        #expect(subscription.wants(completed, type: .jobCompleted, endpoint: "alpha"))
        #expect(!subscription.wants(completed, type: .jobCompleted, endpoint: "beta"))
        #expect(subscription.wants(.workerLost(worker: "w", endpoints: ["beta", "alpha"]), type: .workerLost, endpoint: nil))
        #expect(!subscription.wants(.workerLost(worker: "w", endpoints: ["beta"]), type: .workerLost, endpoint: nil))
        let notice = DeadLetterNotice(deadLetter: "msg_1", job: nil, url: "u", event: nil, subscription: nil, reason: "r", attempts: 3)
        #expect(subscription.wants(.deadLettered(notice), type: .webhookDeadLettered, endpoint: nil))
        subscription.active = false
        #expect(!subscription.wants(completed, type: .jobCompleted, endpoint: "alpha"))
    }

    @Test func fanOutToJobURLsAndSubscriptions() throws {
        let entry = StreamEntry(id: "1700000000000-0", event: .transition(JobTransition(
            job: "j1", from: .inProgress, to: .completed, seq: 3, webhook: "https://a/1", webhookv2: "https://a/1",
            delayTime: 1, executionTime: 2)))
        let wanted = Subscription(id: "wh_a", url: "https://s/1", events: ["job.completed"], createdAt: 1_600_000_000_000)
        let other = Subscription(id: "wh_b", url: "https://s/2", events: ["job.failed"], createdAt: 1_600_000_000_000)
        let later = Subscription(id: "wh_c", url: "https://s/3", events: ["*"], createdAt: 1_800_000_000_000)
        let deliveries = DeliveryPlan.deliveries(for: entry, endpoint: "alpha", subscriptions: [wanted, other, later])
        #expect(deliveries.map(\.url) == ["https://a/1", "https://s/1"])
        #expect(deliveries.allSatisfy { $0.seq == 3 && $0.status == "COMPLETED" && $0.type == "job.completed" && $0.executionTime == 2 })
        #expect(deliveries[0].subscription == nil && deliveries[1].subscription == "wh_a")
        #expect(deliveries[1].id != deliveries[0].id && deliveries[1].lane == "j1:wh_a")
        // Same event, same subscription: same webhook-id (redelivery is recognisable).
        #expect(DeliveryPlan.deliveries(for: entry, endpoint: "alpha", subscriptions: [wanted])[1].id == deliveries[1].id)
        // The stored form reads back the same, and carries no body.
        let stored = deliveries[1].stored
        #expect(WebhookDelivery(stored: stored) == deliveries[1])
        #expect(stored.hasPrefix("3|COMPLETED|1700000000000-0|\(deliveries[1].id)|{"))
        // At send time the body is rendered from the job's output, stored once in the job.
        let head = LaneHead(scope: .endpoint("alpha"), lane: deliveries[1].lane, delivery: deliveries[1], output: #"{"a":[]}"#, error: nil)
        let envelope = try JSONScanner.topLevelMembers(Array(wanted.template.render(try #require(head.notice)).utf8))
        #expect(envelope["type"]?.text == #""job.completed""#)
        #expect(envelope["event_id"]?.text == #""evt_1700000000000_0""#)
        #expect(envelope["timestamp"]?.text == #""2023-11-14T22:13:20.000Z""#)
        #expect(envelope["data"]?.text == #"{"id":"j1","status":"COMPLETED","delayTime":1,"executionTime":2,"output":{"a":[]}}"#)
    }

    @Test func attemptsAccumulateInTheStoredForm() {
        var delivery = WebhookDelivery(url: "https://a/1", entry: StreamEntry(id: "5-0", event: .workerLost(worker: "w", endpoints: [])), type: .workerLost)
        for attempt in 1...2 {
            delivery.record(AttemptResult(attempt: attempt, url: delivery.url, at: 9, statusCode: 500, error: nil, latencyMs: 3,
                                          webhookId: delivery.id, event: "worker.lost"))
        }
        let decoded = WebhookDelivery(stored: delivery.stored)
        #expect(decoded?.attempts == 2 && decoded?.results.hasPrefix(#"[{"at":9,"attempt":1,"#) == true)
        #expect(decoded?.results.components(separatedBy: "statusCode").count == 3)
    }

    @Test func slackSummaries() {
        let failed = EventNotice(
            type: .jobFailed, entryID: "1-0", at: 1, endpoint: "gpu",
            job: RunPodBody(id: "j9", status: "FAILED", delayTime: 5, executionTime: 1500, error: "CUDA out of memory"))
        let body = WebhookTemplate.slack.render(failed)
        let text = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["text"] as? String
        #expect(text == ":x: Job `j9` on `gpu` FAILED after 1.5 s: CUDA out of memory")
        let lost = EventNotice(type: .workerLost, entryID: "5-0", at: 5, endpoint: nil, job: nil,
                               other: EventNotice.data(of: .workerLost(worker: "w7", endpoints: ["a", "b"])))
        #expect(WebhookTemplate.summary(lost).contains("`w7` lost (endpoints: a, b)"))
        #expect(WebhookTemplate.runpod.render(failed) == failed.data)
    }

    @Test func subscriptionInputValidation() throws {
        let good = try SubscriptionInput.parse(Array(#"{"url":"https://h/x","events":["job.*"],"retry":{"attempts":4,"delay":250}}"#.utf8))
        let subscription = try good.makeSubscription()
        #expect(subscription.retry == RetryPolicy(attempts: 4, delay: .milliseconds(250)))
        #expect(subscription.secret.hasPrefix("whsec_") && Data(base64Encoded: String(subscription.secret.dropFirst(6)))?.count == 24)
        let cases: [(String, String)] = [
            (#"{"url":"https://h/x","events":["job.*"],"retry":{"attempts":21}}"#, "'retry.attempts' must be between 1 and 20"),
            (#"{"url":"https://h/x","events":["job.*"],"endpoint":"a b"}"#, "invalid 'endpoint'"),
            (#"{"url":"https://h/x","events":[1]}"#, "'events.[0]' must be a string"),
            (#"{"url":"https://h/x","events":["x"],"active":"yes"}"#, "'active' must be true or false"),
            ("[]", "request body is not a JSON object"),
        ]
        for (body, message) in cases {
            do {
                _ = try SubscriptionInput.parse(Array(body.utf8)).makeSubscription()
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.message.contains(message), "\(body): \(error.message)")
            }
        }
    }
}
