import Foundation
import Testing
@testable import Webhooks

@Suite("Event types, subscriptions' filters and templates")
struct EventTypeAndTemplateTests {
    @Test(arguments: [
        (["from": "", "to": "IN_QUEUE"], EventType.jobQueued),
        (["from": "IN_QUEUE", "to": "IN_PROGRESS"], .jobStarted),
        (["from": "IN_PROGRESS", "to": "COMPLETED"], .jobCompleted),
        (["from": "IN_PROGRESS", "to": "FAILED"], .jobFailed),
        (["from": "IN_QUEUE", "to": "CANCELLED"], .jobCancelled),
        (["from": "IN_PROGRESS", "to": "TIMED_OUT"], .jobTimedOut),
        (["from": "FAILED", "to": "IN_QUEUE"], .jobRetried),
        (["from": "IN_PROGRESS", "to": "IN_QUEUE"], .jobRequeued),
        (["type": "worker.lost", "worker": "w1"], .workerLost),
        (["type": "webhook.dead_lettered"], .webhookDeadLettered),
    ])
    func mapsStreamEntries(fields: [String: String], type: EventType) {
        #expect(EventType(entry: fields) == type)
    }

    @Test func unknownEntriesHaveNoType() {
        #expect(EventType(entry: ["type": "something.new"]) == nil)
        #expect(EventType(entry: ["to": "WEIRD"]) == nil)
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
        #expect(subscription.wants(.jobCompleted, fields: ["endpoint": "alpha"]))
        #expect(!subscription.wants(.jobCompleted, fields: ["endpoint": "beta"]))
        #expect(subscription.wants(.workerLost, fields: ["endpoint": "beta,alpha"]))
        #expect(!subscription.wants(.workerLost, fields: ["endpoint": "beta"]))
        #expect(subscription.wants(.webhookDeadLettered, fields: [:]))
        subscription.active = false
        #expect(!subscription.wants(.jobCompleted, fields: ["endpoint": "alpha"]))
    }

    @Test func fanOutToJobURLsAndSubscriptions() {
        let fields = [
            "job": "j1", "endpoint": "alpha", "from": "IN_PROGRESS", "to": "COMPLETED", "at": "1700000000000",
            "payload": #"{"id":"j1","status":"COMPLETED","delayTime":1,"executionTime":2,"output":{"a":[]}}"#,
            "webhook": "https://a/1", "webhookv2": "https://a/1",
        ]
        let wanted = Subscription(id: "wh_a", url: "https://s/1", events: ["job.completed"], createdAt: 1_600_000_000_000)
        let other = Subscription(id: "wh_b", url: "https://s/2", events: ["job.failed"], createdAt: 1_600_000_000_000)
        let later = Subscription(id: "wh_c", url: "https://s/3", events: ["*"], createdAt: 1_800_000_000_000)
        let deliveries = DeliveryPlan.deliveries(entryID: "1700000000000-0", fields: fields, subscriptions: [wanted, other, later])
        #expect(deliveries.map(\.url) == ["https://a/1", "https://s/1"])
        #expect(deliveries[0].body == fields["payload"] && deliveries[0].subscription == nil)
        let envelope = try? JSONSerialization.jsonObject(with: Data(deliveries[1].body.utf8)) as? [String: Any]
        #expect(envelope?["type"] as? String == "job.completed")
        #expect(envelope?["event_id"] as? String == "evt_1700000000000_0")
        #expect(envelope?["timestamp"] as? String == "2023-11-14T22:13:20.000Z")
        #expect((envelope?["data"] as? [String: Any])?["output"] as? [Any] == nil)  // output is an object here
        #expect(deliveries[1].id != deliveries[0].id && deliveries[1].lane == "j1:wh_a")
        // Same event, same subscription: same webhook-id (redelivery is recognisable).
        #expect(DeliveryPlan.deliveries(entryID: "1700000000000-0", fields: fields, subscriptions: [wanted])[1].id == deliveries[1].id)
    }

    @Test func slackSummaries() {
        let failed = EventNotice(
            type: .jobFailed, entryID: "1-0", at: 1, fields: ["job": "j9", "endpoint": "gpu"],
            data: #"{"id":"j9","status":"FAILED","delayTime":5,"executionTime":1500,"error":"CUDA out of memory"}"#)
        let body = WebhookTemplate.slack.render(failed)
        let text = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["text"] as? String
        #expect(text == ":x: Job `j9` on `gpu` FAILED after 1.5 s: CUDA out of memory")
        let lost = EventNotice(entryID: "5-0", fields: ["type": "worker.lost", "worker": "w7", "endpoint": "a,b"])!
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
