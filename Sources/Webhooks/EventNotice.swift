import Foundation
import OrchestratorCore

/// One event from the stream, as subscriptions see it: its type, when it happened, and its
/// data (for job events, the RunPod webhook payload of the transition).
public struct EventNotice: Sendable {
    public var type: EventType
    /// The events stream entry id.
    public var entryID: String
    /// ms since the epoch.
    public var at: Int
    public var fields: [String: String]
    /// JSON text.
    public var data: String

    public init?(entryID: String, fields: [String: String]) {
        guard let type = EventType(entry: fields) else { return nil }
        self.type = type
        self.entryID = entryID
        self.fields = fields
        self.at = Int(fields["at"] ?? "") ?? Self.milliseconds(ofEntry: entryID)
        switch type {
        case .workerLost:
            let endpoints = (fields["endpoint"] ?? "").split(separator: ",").map { JSONText.Value.string(String($0)) }
            data = JSONText.object([
                ("worker", .string(fields["worker"] ?? "")), ("endpoints", .raw(JSONText.array(endpoints))),
            ])
        case .webhookDeadLettered:
            data = JSONText.object([
                ("deadLetterId", .string(fields["deadLetter"] ?? "")),
                ("job", fields["job"].map { .string($0) }),
                ("url", .string(fields["url"] ?? "")),
                ("event", fields["event"].map { .string($0) }),
                ("subscription", fields["subscription"].map { .string($0) }),
                ("reason", .string(fields["reason"] ?? "")),
                ("attempts", .int(Int(fields["attempts"] ?? "") ?? 0)),
            ])
        default:
            data = fields["payload"] ?? "{}"
        }
    }

    /// A notice made up by hand (the test button).
    public init(type: EventType, entryID: String, at: Int, fields: [String: String] = [:], data: String) {
        self.type = type
        self.entryID = entryID
        self.at = at
        self.fields = fields
        self.data = data
    }

    /// The job the event is about ('' when none).
    public var job: String { fields["job"] ?? "" }

    /// The stable id of the event (the same for every subscription).
    public var eventID: String { "evt_" + entryID.replacingOccurrences(of: "-", with: "_") }

    /// Stream entry ids start with the ms time they were added.
    public static func milliseconds(ofEntry id: String) -> Int {
        Int(id.split(separator: "-").first ?? "") ?? 0
    }
}
