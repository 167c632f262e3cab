import Crypto
import OrchestratorCore

/// One delivery: one event to one target, with the attempts made so far. Stored as an item of
/// its lane, so any notifier can go on with it; the body is not stored (a job's output stays
/// once in its hash): it is rendered when the delivery is sent.
///
/// Stored form (``stored``): `<seq>|<status>|<entry id>|<delivery id>|<JSON>`. The lane scripts
/// read the four fields before the JSON (`LaneLua.item_head`); only Swift reads the JSON.
public struct WebhookDelivery: Sendable, Equatable {
    /// The Standard Webhooks `webhook-id`: the same on every attempt and every redelivery.
    public var id: String
    public var url: String
    /// The job the event is about ('' for events about no job, e.g. `worker.lost`).
    public var job: String
    /// The events stream entry it came from.
    public var event: String
    /// The job status the event reports ('' for events that are not job transitions).
    public var status: String
    /// The event type (`job.completed`, …).
    public var type: String
    /// The job's transition number (the event's `seq`): a lane sends in this order.
    public var seq: Int = 0
    /// Attempts made so far, and their results (a JSON array of ``AttemptResult``).
    public var attempts: Int = 0
    public var results: String = "[]"
    /// The subscription it is for; nil for a job's own `webhook`/`webhookv2` URL.
    public var subscription: String?
    /// Set when an operator replayed a dead letter: success then resolves it.
    public var replay: Bool = false
    /// The transition's times (ms).
    public var delayTime: Int?
    public var executionTime: Int?
    /// Why the transition happened, when it says (`reason` of the event).
    public var reason: String?
    /// The data of an event about no job (JSON).
    public var data: String?
    /// A body rendered before (a replayed dead letter's): sent as it is.
    public var body: String?

    /// A delivery of `entry` to a job's own URL.
    public init(url: String, entry: StreamEntry, type: EventType) {
        self.id = "msg_" + Self.digest("\(entry.id)|\(url)").prefix(32)
        self.url = url
        self.event = entry.id
        self.type = type.rawValue
        self.job = entry.event.job ?? ""
        self.status = ""
        if case .transition(let transition) = entry.event {
            status = transition.to.rawValue
            seq = transition.seq
            delayTime = transition.delayTime
            executionTime = transition.executionTime
            reason = transition.reason
        }
    }

    /// A delivery of `entry` to a subscription.
    public init(subscription: Subscription, entry: StreamEntry, type: EventType, data: String?) {
        self.init(url: subscription.url, entry: entry, type: type)
        self.id = "msg_" + Self.digest("\(entry.id)|subscription:\(subscription.id)").prefix(32)
        self.subscription = subscription.id
        self.data = data
        if case .progress(_, let seq) = entry.event { self.seq = seq }
    }

    /// A dead letter's delivery made again: same id, target and body, no attempts yet.
    init(replaying letter: DeadLetter) {
        id = letter.id
        url = letter.url
        job = letter.job
        event = letter.event
        status = letter.status
        type = letter.type ?? ""
        subscription = letter.subscription
        replay = true
        body = letter.body
    }

    /// Deliveries of one job to one target share a lane (and so keep their order); events about
    /// no job get a lane of their own.
    public var lane: String {
        let subject = job.isEmpty ? "event:\(event)" : job
        if let subscription { return "\(subject):\(subscription)" }
        return "\(subject):\(Self.digest(url).prefix(16))"
    }

    /// Adds an attempt's result.
    public mutating func record(_ result: AttemptResult) {
        attempts += 1
        results = results == "[]" ? "[\(result.json)]" : String(results.dropLast()) + ",\(result.json)]"
    }

    static func digest(_ text: String) -> String {
        Hex.encode(SHA256.hash(data: Array(text.utf8)))
    }

    // MARK: Stored form

    public var stored: String {
        let json = JSONText.object([
            ("url", .string(url)), ("job", .string(job)), ("type", .string(type)),
            ("attempts", .int(attempts)), ("results", .raw(results)),
            ("subscription", subscription.map { .string($0) }), ("replay", replay ? .bool(true) : nil),
            ("delayTime", delayTime.map { .int($0) }), ("executionTime", executionTime.map { .int($0) }),
            ("reason", reason.map { .string($0) }), ("data", data.map { .raw($0) }), ("body", body.map { .string($0) }),
        ])
        return "\(seq)|\(status)|\(event)|\(id)|\(json)"
    }

    public init?(stored text: String) {
        let parts = text.split(separator: "|", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, let seq = Int(parts[0]),
              let members = try? JSONScanner.topLevelMembers(Array(parts[4].utf8)) else { return nil }
        func string(_ name: String) -> String? {
            guard let member = members[name], member.kind == .string else { return nil }
            return try? JSONScanner.decodeString(Array(member.text.utf8))
        }
        func int(_ name: String) -> Int? { members[name].flatMap { $0.kind == .number ? Int($0.text) : nil } }
        guard let url = string("url") else { return nil }
        self.id = String(parts[3])
        self.url = url
        self.job = string("job") ?? ""
        self.event = String(parts[2])
        self.status = String(parts[1])
        self.type = string("type") ?? ""
        self.seq = seq
        self.attempts = int("attempts") ?? 0
        self.results = members["results"].flatMap { $0.kind == .array ? $0.text : nil } ?? "[]"
        self.subscription = string("subscription")
        self.replay = members["replay"]?.text == "true"
        self.delayTime = int("delayTime")
        self.executionTime = int("executionTime")
        self.reason = string("reason")
        self.data = members["data"].flatMap { $0.kind == .null ? nil : $0.text }
        self.body = string("body")
    }
}

/// One attempt, as kept with the delivery, in the job's delivery log and in dead letters.
public struct AttemptResult: Sendable, Equatable {
    public var attempt: Int
    public var url: String
    /// ms since the epoch.
    public var at: Int
    public var statusCode: Int?
    public var error: String?
    public var latencyMs: Int
    public var webhookId: String
    /// The event type (or the job status) the payload reported.
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

    /// Members in name order, as the delivery log has always shown them.
    public var json: String {
        JSONText.object([
            ("at", .int(at)), ("attempt", .int(attempt)), ("error", error.map { .string($0) }), ("event", .string(event)),
            ("latencyMs", .int(latencyMs)), ("statusCode", statusCode.map { .int($0) }),
            ("subscription", subscription.map { .string($0) }), ("url", .string(url)), ("webhookId", .string(webhookId)),
        ])
    }
}
