import OrchestratorCore

/// One event as a subscription's template sees it: its type, when it happened, and its data
/// (for job events, RunPod's webhook body of the transition).
public struct EventNotice: Sendable {
    public var type: EventType
    /// The events stream entry id.
    public var entryID: String
    /// ms since the epoch.
    public var at: Int
    /// The endpoint of the job it is about, if any.
    public var endpoint: String?
    /// For job events: the body, from which `data` is rendered.
    public var job: RunPodBody?
    /// The data as given (JSON): for events about no job, and the test button's payload.
    public var other: String?

    public init(type: EventType, entryID: String, at: Int, endpoint: String?, job: RunPodBody?, other: String? = nil) {
        self.type = type
        self.entryID = entryID
        self.at = at
        self.endpoint = endpoint
        self.job = job
        self.other = other
    }

    /// The `data` member: RunPod's webhook body for job events, unless given as it is.
    public var data: String {
        other ?? job?.json(for: .webhook) ?? "{}"
    }

    /// A job body read back from given data (the test button's payload), for the templates
    /// that describe a job (Slack's line).
    public static func jobBody(fromData data: String) -> RunPodBody? {
        guard let members = try? JSONScanner.topLevelMembers(Array(data.utf8)) else { return nil }
        func text(_ name: String) -> String? {
            guard let member = members[name], member.kind == .string else { return nil }
            return try? JSONScanner.decodeString(Array(member.text.utf8))
        }
        func int(_ name: String) -> Int? { members[name].flatMap { $0.kind == .number ? Int($0.text) : nil } }
        guard let id = text("id") else { return nil }
        return RunPodBody(id: id, status: text("status") ?? "", delayTime: int("delayTime"), executionTime: int("executionTime"),
                          output: members["output"].flatMap { $0.kind == .null ? nil : $0.text }, error: text("error"))
    }

    /// The stable id of the event (the same for every subscription).
    public var eventID: String { "evt_" + entryID.replacingOccurrences(of: "-", with: "_") }

    /// The data of an event about no job, as deliveries carry it.
    public static func data(of event: StreamEvent) -> String? {
        switch event {
        case .workerLost(let worker, let endpoints):
            return JSONText.object([
                ("worker", .string(worker)), ("endpoints", .raw(JSONText.array(endpoints.map { .string($0) }))),
            ])
        case .deadLettered(let notice):
            return JSONText.object([
                ("deadLetterId", .string(notice.deadLetter)), ("job", notice.job.map { .string($0) }),
                ("url", .string(notice.url)), ("event", notice.event.map { .string($0) }),
                ("subscription", notice.subscription.map { .string($0) }), ("reason", .string(notice.reason)),
                ("attempts", .int(notice.attempts)),
            ])
        case .transition, .progress, .unknown:
            return nil
        }
    }
}
