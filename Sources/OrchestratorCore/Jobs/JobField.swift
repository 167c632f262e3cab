/// The fields of a job hash (`orch:{<endpoint>}:job:<id>`), as operators see them in
/// `redis-cli HGETALL` and as the Lua scripts read and write them. Fields that would hold
/// their default are left out (no `attempt` before the first run, no `policy` when none was
/// given), which keeps a queued job's hash small enough for Redis' compact encoding.
public enum JobField: String, Sendable, CaseIterable {
    case status
    /// The input (JSON as sent) once the job has left the queue; while queued it travels in
    /// its queue entry (``QueueEntry``).
    case input
    case webhook, webhookv2
    /// The `policy` member as sent, when there was one.
    case policy
    /// ms since the epoch (Redis' clock).
    case createdAt, queuedAt, startedAt, completedAt
    /// ms (RunPod's meaning).
    case delayTime, executionTime
    /// JSON text.
    case output
    case error
    /// The worker (manager or RunPod HTTP worker) running it or that ran it last.
    case worker
    /// Runs started.
    case attempt
    /// Times it went back to the queue because its worker was lost.
    case requeues
    /// ms a run may take.
    case executionTimeout
    /// ms it may wait in the queue (`policy.ttl`), and the deadline of the current wait.
    case queueTtl, queueDeadline
    /// ms the key lives after the job ended.
    case ttl
    /// Transitions so far (the events' `seq`).
    case seq
    /// Transitions fanned out to webhooks, in order, so far (the notifiers' order gate).
    case fanned
    /// "1" when a `/runsync` caller waits for the end (the end is then published).
    case sync
    /// "1" for `policy.lowPriority` jobs (they wait in the endpoint's low queue).
    case low
    /// The latest progress a running job reported (JSON), shown by `/status` while it runs;
    /// when it was last announced (ms), and whether a later one still waits to be.
    case progress, progressAt, progressPending
}
