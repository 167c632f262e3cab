/// A job a worker manager has claimed (now IN_PROGRESS under its lease).
public struct ClaimedJob: Sendable, Equatable {
    public let id: String
    public let endpoint: String
    /// The job's input as JSON text.
    public let input: String
    /// Milliseconds the run may take.
    public let executionTimeout: Int
    /// 1 for the first run; higher after a requeue or a retry.
    public let attempt: Int

    public init(id: String, endpoint: String, input: String, executionTimeout: Int, attempt: Int) {
        self.id = id
        self.endpoint = endpoint
        self.input = input
        self.executionTimeout = executionTimeout
        self.attempt = attempt
    }

    /// What a handler receives: `{"id": ..., "input": ...}`.
    public var handlerRequest: String {
        JSONText.object([("id", .string(id)), ("input", .raw(input))])
    }
}
