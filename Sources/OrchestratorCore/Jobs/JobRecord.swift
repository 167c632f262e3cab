/// One job as stored in its hash, with the JSON bodies the API answers with.
public struct JobRecord: Sendable, Equatable {
    public let fields: [String: String]

    public init(fields: [String: String]) { self.fields = fields }

    public var id: String { fields["id"] ?? "" }
    public var endpoint: String { fields["endpoint"] ?? "" }
    public var status: JobStatus? { fields["status"].flatMap(JobStatus.init(rawValue:)) }
    public var worker: String? { fields["worker"] }
    public var input: String? { fields["input"] }
    public var output: String? { fields["output"] }
    public var error: String? { fields["error"] }
    public var delayTime: Int? { fields["delayTime"].flatMap { Int($0) } }
    public var executionTime: Int? { fields["executionTime"].flatMap { Int($0) } }
    public var attempt: Int { fields["attempt"].flatMap { Int($0) } ?? 0 }

    /// RunPod's `/status` body: `{"id","status","delayTime"?,"executionTime"?,"output"?,"error"?}`.
    public var statusBody: String {
        JSONText.object(statusMembers)
    }

    /// The members of the status body, for callers that add their own (e.g. `stream`).
    public var statusMembers: [(String, JSONText.Value?)] {
        [
            ("id", .string(id)),
            ("status", .string(fields["status"] ?? "")),
            ("delayTime", delayTime.map { .int($0) }),
            ("executionTime", executionTime.map { .int($0) }),
            ("output", output.map { .raw($0) }),
            ("error", error.map { .string($0) }),
            ("workerId", worker.map { .string($0) }),
        ]
    }
}
