import Foundation
import OrchestratorCore

/// A delivery that used up its attempts, kept for operators to inspect, replay, resolve or
/// ignore. Its id is the delivery's `webhook-id`.
public struct DeadLetter: Sendable {
    public enum State: String, CaseIterable, Sendable {
        case pending, replaying, resolved, ignored
    }

    public var id: String
    /// Where it is kept: with its job's endpoint, or globally for events about no job.
    public var scope: WebhookScope
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

    init?(hash: [String: String], scope: WebhookScope) {
        guard let id = hash["id"], let url = hash["url"] else { return nil }
        self.id = id
        self.scope = scope
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
    package static func fields(of delivery: WebhookDelivery, body: String, reason: String) -> [(String, String)] {
        [
            ("id", delivery.id), ("url", delivery.url), ("job", delivery.job),
            ("subscription", delivery.subscription ?? ""), ("type", delivery.type ?? ""),
            ("event", delivery.event), ("status", delivery.status), ("body", body),
            ("attempts", delivery.results), ("reason", reason),
        ]
    }

    /// The delivery made again: same `webhook-id`, body and target, no attempts yet.
    var replayDelivery: WebhookDelivery { WebhookDelivery(replaying: self) }

    /// Attempts in ``attempts`` (each result is an object; objects hold no nested ones).
    public var attemptCount: Int {
        attempts.utf8.reduce(0) { $0 + ($1 == UInt8(ascii: "{") ? 1 : 0) }
    }

    public func json(includeBody: Bool) -> String {
        JSONText.object([
            ("id", .string(id)), ("state", .string(state.rawValue)),
            ("endpoint", { if case .endpoint(let name) = scope { return .string(name) } else { return nil } }()),
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
