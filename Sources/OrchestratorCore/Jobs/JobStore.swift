import Redis

/// Every job operation, each one Redis round trip (a Lua script where it writes).
/// The API and the worker managers share it; nothing else writes a job's status.
public final class JobStore: Sendable {
    public let redis: RedisClient
    public let keys: KeySpace
    public let defaults: JobDefaults

    public init(redis: RedisClient, keys: KeySpace = KeySpace(), defaults: JobDefaults = JobDefaults()) {
        self.redis = redis
        self.keys = keys
        self.defaults = defaults
    }

    // MARK: API side

    /// Writes the job and queues it (IN_QUEUE). Returns its creation time (ms since the epoch).
    @discardableResult
    public func submit(_ job: JobSubmission) async throws -> Int {
        // The key outlives the queue deadline, so a job that timed out in the queue can still be read.
        let retention = max(job.policy.ttl ?? 0, defaults.retention.wholeMilliseconds)
        let execution = job.policy.executionTimeout ?? defaults.executionTimeout.wholeMilliseconds
        do {
            let reply = try await SubmitJobScript.script.run(on: redis, arguments: [
                keys.prefix, job.id, job.endpoint, job.input, job.webhook ?? "", job.webhookv2 ?? "",
                job.policy.json, retention, execution, job.policy.ttl ?? 0,
            ])
            return reply.int ?? 0
        } catch RedisError.server(_, let message) where message.hasPrefix("EXISTS") {
            throw JobStoreError.duplicateID(job.id)
        }
    }

    /// The job's hash, or nil when there is no such job (or it expired).
    public func record(_ id: String) async throws -> JobRecord? {
        let reply = try await redis.send("HGETALL", keys.job(id))
        guard let fields = reply.stringDictionary, !fields.isEmpty else { return nil }
        return JobRecord(fields: fields)
    }

    public func cancel(_ id: String) async throws -> TransitionResult {
        try await transition(CancelJobScript.script, id: id)
    }

    public func retry(_ id: String) async throws -> TransitionResult {
        try await transition(RetryJobScript.script, id: id)
    }

    /// Cancels every queued job of the endpoint; returns how many.
    public func purgeQueue(endpoint: String, batch: Int = 1000) async throws -> Int {
        var total = 0
        while true {
            let reply = try await PurgeQueueScript.script.run(on: redis, arguments: [keys.prefix, endpoint, batch])
            let counts = reply.array?.compactMap(\.int) ?? []
            total += counts.first ?? 0
            if (counts.last ?? 0) < batch { return total }
        }
    }

    public func health(endpoint: String, workerDeadAfter: Duration) async throws -> EndpointHealth {
        let now = try await serverTimeMilliseconds()
        let replies = try await redis.pipeline([
            RedisCommand("HGETALL", keys.endpointStats(endpoint)),
            RedisCommand("LLEN", keys.queue(endpoint)),
            RedisCommand("ZRANGEBYSCORE", keys.workers, now - workerDeadAfter.wholeMilliseconds, "+inf"),
        ])
        var health = EndpointHealth()
        let stats = replies[0].stringDictionary ?? [:]
        health.completed = stats["completed"].flatMap { Int($0) } ?? 0
        health.failed = stats["failed"].flatMap { Int($0) } ?? 0
        health.retried = stats["retried"].flatMap { Int($0) } ?? 0
        health.inProgress = max(0, stats["inProgress"].flatMap { Int($0) } ?? 0)
        health.inQueue = replies[1].int ?? 0
        let workerIDs = replies[2].array?.compactMap(\.string) ?? []
        guard !workerIDs.isEmpty else { return health }
        let workers = try await redis.pipeline(workerIDs.map {
            RedisCommand("HMGET", keys.worker($0), "endpoints", "concurrency", "running")
        })
        for worker in workers {
            guard let values = worker.array?.map(\.string), values.count == 3,
                  let endpoints = values[0], endpoints.split(separator: ",").contains(Substring(endpoint)) else { continue }
            let concurrency = values[1].flatMap { Int($0) } ?? 0
            let running = min(concurrency, values[2].flatMap { Int($0) } ?? 0)
            health.runningWorkers += running
            health.idleWorkers += concurrency - running
        }
        return health
    }

    /// Takes (hands out once) the partial outputs a streaming handler produced so far.
    public func takeStream(_ id: String) async throws -> (record: JobRecord?, chunks: [String]) {
        let replies = try await redis.transaction([
            RedisCommand("HGETALL", keys.job(id)),
            RedisCommand("LRANGE", keys.jobStream(id), 0, -1),
            RedisCommand("DEL", keys.jobStream(id)),
        ])
        let fields = replies[0].stringDictionary ?? [:]
        let chunks = replies[1].array?.compactMap(\.string) ?? []
        return (fields.isEmpty ? nil : JobRecord(fields: fields), chunks)
    }

    // MARK: Worker side

    /// Claims up to `max` queued jobs from `endpoints` (tried in order) without blocking.
    public func claimNext(workerID: String, endpoints: [String], max: Int, lease: Duration) async throws -> [ClaimedJob] {
        let reply = try await ClaimJobsScript.script.run(on: redis, arguments: [
            keys.prefix, workerID, lease.wholeMilliseconds, "pop", max,
        ] + endpoints)
        return try claimed(reply)
    }

    /// Waits on a dedicated connection until a job arrives on `endpoint` (moving its id into
    /// this worker's claiming list, so it is never only in memory), then claims it.
    /// Returns nil when nothing arrived within `timeout` or the job was no longer claimable.
    public func waitAndClaim(
        on connection: RedisDedicatedConnection,
        workerID: String,
        endpoint: String,
        timeout: Duration,
        lease: Duration
    ) async throws -> ClaimedJob? {
        let seconds = Double(timeout.wholeMilliseconds) / 1000
        let moved = try await connection.send(
            RedisCommand("BLMOVE", keys.queue(endpoint), keys.workerClaiming(workerID, endpoint: endpoint), "RIGHT", "LEFT", seconds),
            blockingFor: timeout
        )
        guard let id = moved.string else { return nil }
        let reply = try await ClaimJobsScript.script.run(on: redis, arguments: [
            keys.prefix, workerID, lease.wholeMilliseconds, "moved", endpoint, id,
        ])
        return try claimed(reply).first
    }

    /// Ends a run. Refused when the job is no longer this worker's (cancelled, or reaped).
    public func finish(_ id: String, workerID: String, outcome: JobOutcome) async throws -> TransitionResult {
        var output = "", error = ""
        switch outcome {
        case .completed(let value): output = value
        case .failed(let message, let value): error = message; output = value ?? ""
        case .timedOut(let message): error = message
        }
        let reply = try await FinishJobScript.script.run(on: redis, arguments: [
            keys.prefix, id, workerID, outcome.status.rawValue, output, error,
        ])
        let parts = reply.array?.compactMap(\.string) ?? []
        if parts.first == "OK" { return .applied(from: .inProgress) }
        return .refused(current: parts.count > 1 ? JobStatus(rawValue: parts[1]) : nil)
    }

    /// Hands a running job back to the head of its queue (worker shutdown).
    public func release(_ id: String, workerID: String) async throws -> TransitionResult {
        let reply = try await ReleaseJobScript.script.run(on: redis, arguments: [keys.prefix, id, workerID])
        return TransitionResult(reply: reply.array?.compactMap(\.string) ?? [])
    }

    /// Registers the manager, extends its leases; returns ids it runs that are no longer its own.
    public func heartbeat(_ worker: WorkerInfo, running: [String], lease: Duration, registrationTTL: Duration) async throws -> [String] {
        let reply = try await HeartbeatScript.script.run(on: redis, arguments: [
            keys.prefix, worker.id, lease.wholeMilliseconds, registrationTTL.wholeMilliseconds,
            worker.host, Int(worker.pid), worker.endpoints.joined(separator: ","), worker.concurrency, worker.startedAt,
        ] + running)
        return reply.array?.compactMap(\.string) ?? []
    }

    /// Removes a manager's registration at a clean exit.
    public func unregister(workerID: String) async throws {
        _ = try await redis.pipeline([
            RedisCommand("ZREM", keys.workers, workerID),
            RedisCommand("DEL", keys.worker(workerID)),
        ])
    }

    /// Appends one partial output of a streaming handler.
    public func appendStream(_ id: String, chunk: String) async throws {
        _ = try await redis.pipeline([
            RedisCommand("RPUSH", keys.jobStream(id), chunk),
            RedisCommand("PEXPIRE", keys.jobStream(id), defaults.retention.wholeMilliseconds),
        ])
    }

    /// Takes the reaper lock for `duration` if nobody holds it.
    public func acquireReaperLock(workerID: String, for duration: Duration) async throws -> Bool {
        let reply = try await redis.send("SET", keys.reaperLock, workerID, "NX", "PX", duration.wholeMilliseconds)
        return !reply.isNull
    }

    public func reap(maxRequeues: Int, batch: Int = 500, workerDeadAfter: Duration) async throws -> ReapSummary {
        let reply = try await ReapScript.script.run(on: redis, arguments: [
            keys.prefix, maxRequeues, batch, workerDeadAfter.wholeMilliseconds,
        ])
        let counts = reply.array?.compactMap(\.int) ?? []
        guard counts.count == 5 else { throw JobStoreError.unexpectedReply(script: "reap", reply: "\(reply)") }
        var summary = ReapSummary()
        summary.requeued = counts[0]
        summary.failed = counts[1]
        summary.expired = counts[2]
        summary.workersRemoved = counts[3]
        summary.claimsReturned = counts[4]
        return summary
    }

    /// One step of the orphan sweep: scans a page of job hashes from `cursor` and gives every
    /// IN_PROGRESS job without a lease an expired one (see ``AdoptOrphansScript``). Returns the
    /// cursor to go on from ("0" when a full cycle ended) and how many were adopted.
    public func sweepOrphans(cursor: String, count: Int = 1000) async throws -> (cursor: String, adopted: Int) {
        let reply = try await redis.send("SCAN", cursor, "MATCH", keys.job("*"), "COUNT", count, "TYPE", "hash").array ?? []
        guard reply.count == 2, let next = reply[0].string else {
            throw JobStoreError.unexpectedReply(script: "SCAN", reply: "\(reply)")
        }
        let prefix = keys.job("")
        let ids = (reply[1].array ?? []).compactMap(\.string).map { String($0.dropFirst(prefix.count)) }
        guard !ids.isEmpty else { return (next, 0) }
        let adopted = try await AdoptOrphansScript.script.run(on: redis, arguments: [keys.prefix] + ids).int ?? 0
        return (next, adopted)
    }

    // MARK: Helpers

    public func serverTimeMilliseconds() async throws -> Int {
        let parts = try await redis.send("TIME").array?.compactMap(\.int) ?? []
        guard parts.count == 2 else { throw JobStoreError.unexpectedReply(script: "TIME", reply: "\(parts)") }
        return parts[0] * 1000 + parts[1] / 1000
    }

    private func transition(_ script: RedisScript, id: String) async throws -> TransitionResult {
        let reply = try await script.run(on: redis, arguments: [keys.prefix, id])
        return TransitionResult(reply: reply.array?.compactMap(\.string) ?? [])
    }

    private func claimed(_ reply: RedisValue) throws -> [ClaimedJob] {
        try (reply.array ?? []).map { entry in
            let parts = entry.array?.map { $0.string ?? "" } ?? []
            guard parts.count == 5 else { throw JobStoreError.unexpectedReply(script: "claim", reply: "\(entry)") }
            return ClaimedJob(
                id: parts[0], endpoint: parts[1], input: parts[2],
                executionTimeout: Int(parts[3]) ?? defaults.executionTimeout.wholeMilliseconds,
                attempt: Int(parts[4]) ?? 1
            )
        }
    }
}
