/// One job as stored in its hash, decoded once: every reader of a job hash goes through this.
public struct JobRecord: Sendable, Equatable {
    public let id: String
    public let endpoint: String
    public let fields: [String: String]

    public init(id: String, endpoint: String, fields: [String: String]) {
        self.id = id
        self.endpoint = endpoint
        self.fields = fields
    }

    public subscript(_ field: JobField) -> String? { fields[field.rawValue] }

    public var status: JobStatus? { self[.status].flatMap(JobStatus.init(rawValue:)) }
    public var worker: String? { self[.worker] }
    public var input: String? { self[.input] }
    public var output: String? { self[.output] }
    public var error: String? { self[.error] }
    public var progress: String? { self[.progress] }
    public var webhook: String? { self[.webhook] }
    public var webhookv2: String? { self[.webhookv2] }
    public var delayTime: Int? { integer(.delayTime) }
    public var executionTime: Int? { integer(.executionTime) }
    public var createdAt: Int? { integer(.createdAt) }
    public var queuedAt: Int? { integer(.queuedAt) ?? createdAt }
    public var startedAt: Int? { integer(.startedAt) }
    public var completedAt: Int? { integer(.completedAt) }
    public var attempt: Int { integer(.attempt) ?? 0 }
    public var requeues: Int { integer(.requeues) ?? 0 }
    public var seq: Int { integer(.seq) ?? 0 }

    public func integer(_ field: JobField) -> Int? { self[field].flatMap { Int($0) } }

    /// RunPod's `/status` body.
    public var statusBody: String { RunPodBody(record: self).json(for: .status) }
}
