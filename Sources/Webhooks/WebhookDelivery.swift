import Crypto
import Foundation
import OrchestratorCore

/// One delivery: one event's body to one target, with the attempts made so far.
/// Stored as JSON in its lane, so any notifier can go on with it.
public struct WebhookDelivery: Codable, Sendable, Equatable {
    /// The Standard Webhooks `webhook-id`: the same on every attempt and every redelivery.
    public var id: String
    public var url: String
    /// The job the event is about ('' for events that are not about one job, e.g. `worker.lost`).
    public var job: String
    /// The events stream entry it came from.
    public var event: String
    /// The job status the payload reports ('' for events that are not job transitions).
    public var status: String
    public var body: String
    /// Attempts made so far.
    public var attempts: Int = 0
    public var results: [AttemptResult] = []
    /// The subscription it is for; nil for a job's own `webhook`/`webhookv2` URL.
    public var subscription: String?
    /// The event type (`job.completed`, …).
    public var type: String?
    /// Set when an operator replayed a dead letter: success then resolves it.
    public var replay: Bool?
    /// The job's transition number (the event's `seq`): a lane sends in this order.
    public var seq: Int?

    /// Deliveries of one job to one target share a lane (and so keep their order); events that
    /// are about no job get a lane of their own.
    public var lane: String {
        let subject = job.isEmpty ? "event:\(event)" : job
        if let subscription { return "\(subject):\(subscription)" }
        return "\(subject):\(Self.digest(url).prefix(16))"
    }

    /// A delivery to a job's own URL.
    public init(url: String, job: String, event: String, status: String, body: String, type: String? = nil) {
        self.id = "msg_" + Self.digest("\(event)|\(url)").prefix(32)
        self.url = url
        self.job = job
        self.event = event
        self.status = status
        self.body = body
        self.type = type
    }

    /// A delivery to a subscription.
    public init(subscription: String, url: String, job: String, event: String, status: String, body: String, type: String) {
        self.init(url: url, job: job, event: event, status: status, body: body, type: type)
        self.id = "msg_" + Self.digest("\(event)|subscription:\(subscription)").prefix(32)
        self.subscription = subscription
    }

    static func digest(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    public var json: String {
        String(decoding: (try? JSONEncoder.sorted.encode(self)) ?? Data(), as: UTF8.self)
    }

    public static func decode(_ text: String) -> WebhookDelivery? {
        try? JSONDecoder().decode(WebhookDelivery.self, from: Data(text.utf8))
    }
}

/// One attempt, as kept with the delivery, in the job's delivery log and in dead letters.
public struct AttemptResult: Codable, Sendable, Equatable {
    public var attempt: Int
    public var url: String
    /// ms since the epoch.
    public var at: Int
    public var statusCode: Int?
    public var error: String?
    public var latencyMs: Int
    public var webhookId: String
    /// The job status the payload reported.
    public var event: String
    /// The subscription the attempt was for, if any.
    public var subscription: String?

    public init(attempt: Int, url: String, at: Int, statusCode: Int?, error: String?, latencyMs: Int, webhookId: String, event: String, subscription: String? = nil) {
        self.attempt = attempt
        self.url = url
        self.at = at
        self.statusCode = statusCode
        self.error = error
        self.latencyMs = latencyMs
        self.webhookId = webhookId
        self.event = event
        self.subscription = subscription
    }

    public var json: String {
        String(decoding: (try? JSONEncoder.sorted.encode(self)) ?? Data(), as: UTF8.self)
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
