/// How the `runpod` runtime runs its replicas of an unmodified RunPod worker.
public struct RunPodSupervisorConfiguration: Sendable {
    /// The manager's id; replica n is the RunPod worker `<id>-<n>`.
    public var workerID: String
    public var endpoint: String
    public var replicas: Int
    public var launch: RunPodLaunch
    /// Replica n gets device `gpus[n]` (none when empty).
    public var gpus: [String]
    public var environment: RunPodWorkerEnvironment
    /// The manager's own lease (its registry entry; the replicas' are renewed by their pings).
    public var lease: Duration
    /// On SIGTERM: how long replicas may drain before they are killed and their jobs handed back.
    public var gracePeriod: Duration
    /// A job the API wants stopped (cancelled, timed out) that a replica still runs this long
    /// after: the replica is killed and started again (sync handlers, SDKs before 1.10).
    public var stopGrace: Duration
    public var maxRequeues: Int
    public var reaperInterval: Duration

    public init(workerID: String, endpoint: String, replicas: Int, launch: RunPodLaunch, gpus: [String] = [],
                environment: RunPodWorkerEnvironment, lease: Duration = .seconds(30), gracePeriod: Duration = .seconds(30),
                stopGrace: Duration = .seconds(10), maxRequeues: Int = 1, reaperInterval: Duration = .seconds(2)) {
        self.workerID = workerID
        self.endpoint = endpoint
        self.replicas = max(1, replicas)
        self.launch = launch
        self.gpus = gpus
        self.environment = environment
        self.lease = lease
        self.gracePeriod = gracePeriod
        self.stopGrace = stopGrace
        self.maxRequeues = maxRequeues
        self.reaperInterval = reaperInterval
    }

    func podID(_ index: Int) -> String { "\(workerID)-\(index)" }
}
