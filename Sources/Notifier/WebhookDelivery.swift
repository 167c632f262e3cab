import Crypto
import Foundation

/// One delivery: one transition's payload to one URL, with the attempts made so far.
/// Stored as JSON in its lane, so any notifier can go on with it.
struct WebhookDelivery: Codable, Sendable, Equatable {
    /// The Standard Webhooks `webhook-id`: the same on every attempt and every redelivery.
    var id: String
    var url: String
    var job: String
    /// The events stream entry it came from.
    var event: String
    /// The job status the payload reports.
    var status: String
    var body: String
    /// Attempts made so far.
    var attempts: Int = 0
    var results: [AttemptResult] = []

    /// Deliveries of one job to one URL share a lane (and so keep their order).
    var lane: String { "\(job):\(Self.digest(url).prefix(16))" }

    init(url: String, job: String, event: String, status: String, body: String) {
        self.id = "msg_" + Self.digest("\(event)|\(url)").prefix(32)
        self.url = url
        self.job = job
        self.event = event
        self.status = status
        self.body = body
    }

    static func digest(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    var json: String {
        String(decoding: (try? JSONEncoder.sorted.encode(self)) ?? Data(), as: UTF8.self)
    }

    static func decode(_ text: String) -> WebhookDelivery? {
        try? JSONDecoder().decode(WebhookDelivery.self, from: Data(text.utf8))
    }
}

/// One attempt, as kept with the delivery, in the job's delivery log and in dead letters.
struct AttemptResult: Codable, Sendable, Equatable {
    var attempt: Int
    var url: String
    /// ms since the epoch.
    var at: Int
    var statusCode: Int?
    var error: String?
    var latencyMs: Int
    var webhookId: String
    /// The job status the payload reported.
    var event: String

    var json: String {
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
