import Foundation
import OrchestratorCore

/// A delivery that used up its attempts, kept for operators to inspect, replay, resolve or
/// ignore. Its id is the delivery's `webhook-id`.
public struct DeadLetter: Sendable {
    public enum State: String, CaseIterable, Sendable {
        case pending, replaying, resolved, ignored
    }

    public var id: String
    public var state: State
    public var stateReason: String
    /// ms since the epoch.
    public var stateAt: Int
    public var url: String
    public var job: String
    public var subscription: String?
    public var type: String?
    /// The events stream entry.
    public var event: String
    public var status: String
    public var body: String
    /// JSON array of every attempt's result, across replays.
    public var attempts: String
    public var reason: String
    public var createdAt: Int
    public var deadAt: Int
    public var replays: Int

    init?(hash: [String: String]) {
        guard let id = hash["id"], let url = hash["url"] else { return nil }
        self.id = id
        self.state = hash["state"].flatMap(State.init(rawValue:)) ?? .pending
        self.stateReason = hash["stateReason"] ?? ""
        self.stateAt = Int(hash["stateAt"] ?? "") ?? 0
        self.url = url
        self.job = hash["job"] ?? ""
        self.subscription = hash["subscription"].flatMap { $0.isEmpty ? nil : $0 }
        self.type = hash["type"].flatMap { $0.isEmpty ? nil : $0 }
        self.event = hash["event"] ?? ""
        self.status = hash["status"] ?? ""
        self.body = hash["body"] ?? ""
        self.attempts = hash["attempts"] ?? "[]"
        self.reason = hash["reason"] ?? ""
        self.createdAt = Int(hash["createdAt"] ?? "") ?? 0
        self.deadAt = Int(hash["deadAt"] ?? "") ?? createdAt
        self.replays = Int(hash["replays"] ?? "") ?? 0
    }

    /// The hash fields the notifier writes when a delivery dies (state fields are the script's).
    package static func fields(of delivery: WebhookDelivery, reason: String) -> [(String, String)] {
        [
            ("id", delivery.id), ("url", delivery.url), ("job", delivery.job),
            ("subscription", delivery.subscription ?? ""), ("type", delivery.type ?? ""),
            ("event", delivery.event), ("status", delivery.status), ("body", delivery.body),
            ("attempts", "[" + delivery.results.map(\.json).joined(separator: ",") + "]"), ("reason", reason),
        ]
    }

    /// The delivery made again: same `webhook-id`, body and target, no attempts yet.
    var replayDelivery: WebhookDelivery {
        var delivery: WebhookDelivery
        if let subscription {
            delivery = WebhookDelivery(subscription: subscription, url: url, job: job, event: event, status: status, body: body, type: type ?? "")
        } else {
            delivery = WebhookDelivery(url: url, job: job, event: event, status: status, body: body, type: type)
        }
        delivery.id = id
        delivery.replay = true
        return delivery
    }

    public var attemptCount: Int {
        ((try? JSONSerialization.jsonObject(with: Data(attempts.utf8))) as? [Any])?.count ?? 0
    }

    public func json(includeBody: Bool) -> String {
        JSONText.object([
            ("id", .string(id)), ("state", .string(state.rawValue)),
            ("stateReason", stateReason.isEmpty ? nil : .string(stateReason)),
            ("stateAt", stateAt > 0 ? .string(ISOTime.string(milliseconds: stateAt)) : nil),
            ("url", .string(url)), ("job", job.isEmpty ? nil : .string(job)),
            ("subscription", subscription.map { .string($0) }), ("type", type.map { .string($0) }),
            ("status", status.isEmpty ? nil : .string(status)), ("event", .string(event)),
            ("reason", .string(reason)), ("replays", .int(replays)), ("attemptCount", .int(attemptCount)),
            ("createdAt", .string(ISOTime.string(milliseconds: createdAt))),
            ("deadAt", .string(ISOTime.string(milliseconds: deadAt))),
            ("attempts", includeBody ? .raw(attempts) : nil),
            ("body", includeBody ? .string(body) : nil),
        ])
    }
}
