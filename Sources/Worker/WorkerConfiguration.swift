import Foundation
import OrchestratorCore

/// How a worker manager runs.
public struct WorkerConfiguration: Sendable {
    /// Unique per process: host name, pid and a random suffix.
    public var workerID: String
    public var endpoints: [String]
    /// Jobs run at once (handler processes, containers).
    public var concurrency: Int
    /// The manager's lease: a manager that could not renew it (heartbeat) for this long stops
    /// its handlers itself (fencing); the reaper declares it lost and requeues its jobs only
    /// after the lease plus ``fenceMargin``, so a job never runs on two machines at once.
    public var lease: Duration
    /// How often leases are extended and cancellations checked (well under `lease`).
    public var heartbeatInterval: Duration
    /// How often this manager tries to run the reaper (one manager at a time runs it).
    public var reaperInterval: Duration
    /// Times a job whose worker died goes back to the queue before it fails.
    public var maxRequeues: Int
    /// On SIGTERM: how long running jobs may go on before they are handed back to the queue.
    public var gracePeriod: Duration
    /// How long one blocking wait for a job lasts before the loop looks around again.
    public var claimBlock: Duration

    public init(
        workerID: String = WorkerConfiguration.makeWorkerID(),
        endpoints: [String] = ["default"],
        concurrency: Int = 1,
        lease: Duration = .seconds(30),
        heartbeatInterval: Duration? = nil,
        reaperInterval: Duration = .seconds(2),
        maxRequeues: Int = 1,
        gracePeriod: Duration = .seconds(30),
        claimBlock: Duration = .seconds(2)
    ) {
        self.workerID = workerID
        self.endpoints = endpoints
        self.concurrency = max(1, concurrency)
        self.lease = lease
        self.heartbeatInterval = heartbeatInterval ?? lease / 6
        self.reaperInterval = reaperInterval
        self.maxRequeues = maxRequeues
        self.gracePeriod = gracePeriod
        self.claimBlock = claimBlock
    }

    public static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host)-\(getpid())-\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// Time between a fenced manager killing its handlers and the reaper taking its jobs over:
    /// a fifth of the lease, at least 2 s (the kill itself, clock rate differences).
    public var fenceMargin: Duration { max(.seconds(2), lease / 5) }

    /// How long after a heartbeat the reaper may declare this manager lost (by Redis' clock).
    public var workerDeadAfter: Duration { lease + fenceMargin }
}
