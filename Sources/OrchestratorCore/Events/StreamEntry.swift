/// One entry of an events stream (`orch:{<endpoint>}:events`, or `orch:{@global}:events` for
/// events about no job), decoded once. The transition scripts write job transitions (see
/// `LuaPrelude.emit`); the reaper writes `worker.lost`; the notifier writes dead-letter notices
/// through ``fields``. Output and error are not copied into entries: they stay in the job hash,
/// where the notifier reads them when it sends.
public struct StreamEntry: Sendable, Equatable {
    /// The entry id (`<ms>-<n>`).
    public var id: String
    public var event: StreamEvent

    public init(id: String, event: StreamEvent) {
        self.id = id
        self.event = event
    }

    public init(id: String, fields: [String: String]) {
        self.id = id
        self.event = StreamEvent(fields: fields)
    }

    /// When it happened: entry ids start with Redis' time in ms.
    public var at: Int { Self.milliseconds(ofEntry: id) }

    public static func milliseconds(ofEntry id: String) -> Int {
        Int(id.split(separator: "-").first ?? "") ?? 0
    }
}

/// What an events stream entry says.
public enum StreamEvent: Sendable, Equatable {
    case transition(JobTransition)
    /// The reaper found a worker dead (`type worker.lost`).
    case workerLost(worker: String, endpoints: [String])
    /// A webhook delivery used up its attempts (`type webhook.dead_lettered`).
    case deadLettered(DeadLetterNotice)
    /// A running job reported progress (`type job.progress`); the value is in the job hash.
    case progress(job: String, seq: Int)
    /// An entry this version does not know (written by a newer one): skipped.
    case unknown([String: String])

    /// The field names of entries; the Lua writers use the same literals.
    public enum Field: String, Sendable {
        case type, job, from, to, seq, reason, webhook, webhookv2, delayTime, executionTime
        case worker, endpoints, deadLetter, url, event, subscription, attempts
    }

    public init(fields: [String: String]) {
        func field(_ name: Field) -> String? { fields[name.rawValue].flatMap { $0.isEmpty ? nil : $0 } }
        switch fields[Field.type.rawValue] {
        case nil:
            guard let job = field(.job), let to = field(.to).flatMap(JobStatus.init(rawValue:)) else {
                self = .unknown(fields)
                return
            }
            self = .transition(JobTransition(
                job: job, from: field(.from).flatMap(JobStatus.init(rawValue:)), to: to,
                seq: field(.seq).flatMap { Int($0) } ?? 0, reason: field(.reason),
                webhook: field(.webhook), webhookv2: field(.webhookv2),
                delayTime: field(.delayTime).flatMap { Int($0) }, executionTime: field(.executionTime).flatMap { Int($0) }))
        case EventType.workerLost.rawValue?:
            self = .workerLost(worker: field(.worker) ?? "", endpoints: (field(.endpoints) ?? "").split(separator: ",").map(String.init))
        case EventType.webhookDeadLettered.rawValue?:
            self = .deadLettered(DeadLetterNotice(
                deadLetter: field(.deadLetter) ?? "", job: field(.job), url: field(.url) ?? "", event: field(.event),
                subscription: field(.subscription), reason: field(.reason) ?? "",
                attempts: field(.attempts).flatMap { Int($0) } ?? 0))
        case EventType.jobProgress.rawValue?:
            self = .progress(job: field(.job) ?? "", seq: field(.seq).flatMap { Int($0) } ?? 0)
        default:
            self = .unknown(fields)
        }
    }

    /// The subscription event type, or nil for entries this version does not know.
    public var type: EventType? {
        switch self {
        case .transition(let transition): transition.type
        case .workerLost: .workerLost
        case .deadLettered: .webhookDeadLettered
        case .progress: .jobProgress
        case .unknown: nil
        }
    }

    /// The job the event is about, if any.
    public var job: String? {
        switch self {
        case .transition(let transition): transition.job
        case .deadLettered(let notice): notice.job
        case .progress(let job, _): job
        case .workerLost, .unknown: nil
        }
    }
}

/// A job's move from one state to another.
public struct JobTransition: Sendable, Equatable {
    public var job: String
    /// nil for a new job.
    public var from: JobStatus?
    public var to: JobStatus
    /// The job's transition number (1 for its IN_QUEUE): webhooks keep this order.
    public var seq: Int
    public var reason: String?
    /// The job's own webhook targets (small; copied so a webhook survives the job's key).
    public var webhook: String?
    public var webhookv2: String?
    public var delayTime: Int?
    public var executionTime: Int?

    public init(job: String, from: JobStatus?, to: JobStatus, seq: Int, reason: String? = nil, webhook: String? = nil,
                webhookv2: String? = nil, delayTime: Int? = nil, executionTime: Int? = nil) {
        self.job = job
        self.from = from
        self.to = to
        self.seq = seq
        self.reason = reason
        self.webhook = webhook
        self.webhookv2 = webhookv2
        self.delayTime = delayTime
        self.executionTime = executionTime
    }

    public var type: EventType {
        switch to {
        case .inQueue:
            switch from {
            case nil: .jobQueued
            case .inProgress?: .jobRequeued
            default: .jobRetried
            }
        case .inProgress: .jobStarted
        case .completed: .jobCompleted
        case .failed: .jobFailed
        case .cancelled: .jobCancelled
        case .timedOut: .jobTimedOut
        }
    }

    /// The job's webhook targets, each once.
    public var webhookTargets: [String] {
        var urls: [String] = []
        for url in [webhook, webhookv2].compactMap({ $0 }) where !urls.contains(url) { urls.append(url) }
        return urls
    }
}

/// A notice that a delivery was dead-lettered.
public struct DeadLetterNotice: Sendable, Equatable {
    public var deadLetter: String
    public var job: String?
    public var url: String
    /// The dead delivery's event type.
    public var event: String?
    public var subscription: String?
    public var reason: String
    public var attempts: Int

    public init(deadLetter: String, job: String?, url: String, event: String?, subscription: String?, reason: String, attempts: Int) {
        self.deadLetter = deadLetter
        self.job = job
        self.url = url
        self.event = event
        self.subscription = subscription
        self.reason = reason
        self.attempts = attempts
    }

    /// The entry's fields, as `XADD` takes them.
    public var fields: [(String, String)] {
        typealias F = StreamEvent.Field
        return [
            (F.type.rawValue, EventType.webhookDeadLettered.rawValue), (F.deadLetter.rawValue, deadLetter),
            (F.job.rawValue, job ?? ""), (F.url.rawValue, url), (F.event.rawValue, event ?? ""),
            (F.subscription.rawValue, subscription ?? ""), (F.reason.rawValue, reason), (F.attempts.rawValue, String(attempts)),
        ]
    }
}
