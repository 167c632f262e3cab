/// RunPod's job body, the one encoder for `/status`, `/runsync` and webhooks. The two forms
/// differ where RunPod's do: `/status` shows the fields the job has (and `workerId`, and a
/// running job's latest progress as `output`); a webhook carries what RunPod sends for its
/// state (`delayTime` from IN_PROGRESS on, `executionTime` and `output` — `null` when there is
/// none — on terminal states, `error` when there is one) and no `workerId`.
public struct RunPodBody: Sendable, Equatable {
    public enum Form: Sendable { case status, webhook }

    public var id: String
    public var status: String
    public var delayTime: Int?
    public var executionTime: Int?
    /// JSON text.
    public var output: String?
    public var error: String?
    public var workerID: String?

    public init(id: String, status: String, delayTime: Int? = nil, executionTime: Int? = nil,
                output: String? = nil, error: String? = nil, workerID: String? = nil) {
        self.id = id
        self.status = status
        self.delayTime = delayTime
        self.executionTime = executionTime
        self.output = output
        self.error = error
        self.workerID = workerID
    }

    /// The body of a job as it is now.
    public init(record: JobRecord) {
        let running = record.status == .inProgress
        self.init(
            id: record.id, status: record[.status] ?? "", delayTime: record.delayTime,
            executionTime: record.executionTime, output: record.output ?? (running ? record.progress : nil),
            error: record.error, workerID: record.worker)
    }

    public func json(for form: Form) -> String {
        JSONText.object(members(for: form))
    }

    /// The members, for callers that add their own (`/stream` adds `stream`).
    public func members(for form: Form) -> [(String, JSONText.Value?)] {
        switch form {
        case .status:
            return [
                ("id", .string(id)), ("status", .string(status)),
                ("delayTime", delayTime.map { .int($0) }), ("executionTime", executionTime.map { .int($0) }),
                ("output", output.map { .raw($0) }), ("error", error.map { .string($0) }),
                ("workerId", workerID.map { .string($0) }),
            ]
        case .webhook:
            let terminal = JobStatus(rawValue: status)?.isTerminal ?? false
            let started = terminal || status == JobStatus.inProgress.rawValue
            return [
                ("id", .string(id)), ("status", .string(status)),
                ("delayTime", started ? delayTime.map { .int($0) } : nil),
                ("executionTime", terminal ? .int(executionTime ?? 0) : nil),
                ("output", terminal ? output.map { .raw($0) } ?? .null : nil),
                ("error", terminal ? error.map { .string($0) } : nil),
            ]
        }
    }
}
