/// RunPod's `/health` answer for one endpoint.
public struct EndpointHealth: Sendable, Equatable {
    public var completed = 0
    public var failed = 0
    public var inProgress = 0
    public var inQueue = 0
    public var retried = 0
    /// Free handler slots on live worker managers serving the endpoint.
    public var idleWorkers = 0
    /// Busy handler slots on live worker managers serving the endpoint.
    public var runningWorkers = 0

    public init() {}

    public var json: String {
        JSONText.object([
            ("jobs", .raw(JSONText.object([
                ("completed", .int(completed)),
                ("failed", .int(failed)),
                ("inProgress", .int(inProgress)),
                ("inQueue", .int(inQueue)),
                ("retried", .int(retried)),
            ]))),
            ("workers", .raw(JSONText.object([
                ("idle", .int(idleWorkers)),
                ("running", .int(runningWorkers)),
            ]))),
        ])
    }
}
