import Redis

/// A worker's end of a run, as the finish script takes it.
struct FinishRequest: Sendable {
    let job: ClaimedJob
    let outcome: JobOutcome
    /// ms the run took (the worker's monotonic clock).
    let elapsed: Int
    /// The last progress update was held back by the rate limit: announce it before the end.
    var progressPending = false
}

/// The worker side: claims, results, hand-backs, heartbeats.
extension JobStore {
    /// Claims up to `max` queued jobs of `endpoint` without blocking.
    public func claimNext(workerID: String, endpoint: String, max: Int) async throws -> [ClaimedJob] {
        let ep = keys.endpoint(endpoint)
        let reply = try await ClaimJobsScript.script.run(on: client, keys: claimKeys(ep, workerID), arguments: [workerID, "pop", max])
        return try Self.started((reply.array ?? []).map { try ClaimedJob(endpoint: endpoint, luaFields: $0) })
    }

    /// Claimed jobs, counted.
    private static func started(_ jobs: [ClaimedJob]) -> [ClaimedJob] {
        for job in jobs {
            JobMetrics.transitioned(endpoint: job.endpoint, to: .inProgress)
            JobMetrics.delay(endpoint: job.endpoint, milliseconds: job.delayTime)
        }
        return jobs
    }

    /// Waits on a dedicated connection until a job arrives on `endpoint` (moving its entry into
    /// this worker's claiming list, so it is never only in memory), then claims it.
    /// Returns nil when nothing arrived within `timeout` or the job was no longer claimable.
    public func waitAndClaim(on connection: RedisDedicatedConnection, workerID: String, endpoint: String, timeout: Duration) async throws -> ClaimedJob? {
        let ep = keys.endpoint(endpoint)
        let seconds = Double(timeout.wholeMilliseconds) / 1000
        let moved = try await connection.send(
            RedisCommand("BLMOVE", ep.queue, ep.claiming(workerID), "RIGHT", "LEFT", seconds), blockingFor: timeout)
        guard let entry = moved.bytes else { return nil }
        let reply = try await ClaimJobsScript.script.run(on: client, keys: claimKeys(ep, workerID), arguments: [workerID, "moved", entry])
        return try Self.started((reply.array ?? []).map { try ClaimedJob(endpoint: endpoint, luaFields: $0) }).first
    }

    private func claimKeys(_ ep: EndpointKeys, _ workerID: String) -> [any RedisArgumentConvertible] {
        [ep.base, ep.queue, ep.lowQueue, ep.claiming(workerID), ep.running(workerID), ep.events, ep.queueDeadlines, ep.stats]
    }

    /// Puts entries a blocking claim moved but never claimed back at the head of their queue.
    /// Returns the ids.
    public func returnStrayClaims(workerID: String, endpoint: String) async throws -> [String] {
        let ep = keys.endpoint(endpoint)
        var ids: [String] = []
        while let moved = try await client.send("LMOVE", ep.claiming(workerID), ep.queue, "RIGHT", "RIGHT").string {
            ids.append(QueueEntry(moved)?.id ?? moved)
        }
        return ids
    }

    /// Ends a run. Refused when the job is no longer this worker's (cancelled, or its worker was
    /// declared lost). Results of one worker's jobs recorded at the same time share a script call.
    public func finish(_ job: ClaimedJob, workerID: String, outcome: JobOutcome, elapsed: Duration,
                       progressPending: Bool = false) async throws -> TransitionResult {
        let batches = finishBatches.withLock { batches in
            let key = "\(job.endpoint)\u{0}\(workerID)"
            if let batch = batches[key] { return batch }
            let endpoint = job.endpoint
            let batch = GroupCommit<FinishRequest, TransitionResult> { [self] requests in
                try await self.writeResults(requests, endpoint: endpoint, workerID: workerID)
            }
            batches[key] = batch
            return batch
        }
        return try await batches.run(FinishRequest(
            job: job, outcome: outcome, elapsed: max(0, elapsed.wholeMilliseconds), progressPending: progressPending))
    }

    /// Ends a run for a caller that did not keep the claim's context (a RunPod HTTP worker's
    /// result): the script reads it from the job.
    public func finish(endpoint: String, id: String, workerID: String, outcome: JobOutcome) async throws -> TransitionResult {
        let job = ClaimedJob(id: id, endpoint: endpoint, input: "", executionTimeout: 0, startedAt: -1)
        return try await writeResults([FinishRequest(job: job, outcome: outcome, elapsed: 0)], endpoint: endpoint, workerID: workerID)[0]
    }

    private func writeResults(_ requests: [FinishRequest], endpoint: String, workerID: String) async throws -> [TransitionResult] {
        let ep = keys.endpoint(endpoint)
        var arguments: [any RedisArgumentConvertible] = [requests.count]
        arguments.reserveCapacity(1 + requests.count * FinishJobScript.fieldsPerJob)
        for request in requests {
            let job = request.job
            var output = "", error = ""
            switch request.outcome {
            case .completed(let value): output = value
            case .failed(let message, let value): error = message; output = value ?? ""
            case .timedOut(let message): error = message
            }
            arguments += [
                job.id, request.outcome.status.rawValue, output, error, job.startedAt < 0 ? "" : String(job.startedAt),
                request.elapsed, job.delayTime, job.seq, job.ttl, (job.sync ? "1" : "") + (request.progressPending ? "p" : ""),
                job.webhook ?? "", job.webhookv2 ?? "",
            ]
        }
        let reply = try await FinishJobScript.script.run(
            on: client, keys: [ep.base, ep.running(workerID), ep.events, ep.stats], arguments: arguments)
        let parts = reply.array?.map { $0.string ?? "" } ?? []
        guard parts.count == requests.count else { throw JobStoreError.unexpectedReply(script: "finish", reply: "\(reply)") }
        for (request, part) in zip(requests, parts) where part == "OK" {
            JobMetrics.transitioned(endpoint: endpoint, to: request.outcome.status)
            if request.job.startedAt >= 0 { JobMetrics.execution(endpoint: endpoint, milliseconds: request.elapsed) }
        }
        return parts.map { $0 == "OK" ? .applied(from: .inProgress) : $0.isEmpty ? .notFound : .refused(current: JobStatus(rawValue: $0)) }
    }

    /// Stores a running job's progress (and announces it, at most once per `interval`).
    /// Refused (nothing written) when the job is not this worker's any more.
    public func reportProgress(endpoint: String, id: String, workerID: String, value: String,
                               interval: Duration) async throws -> ProgressResult {
        let ep = keys.endpoint(endpoint)
        let reply = try await ProgressScript.script.run(
            on: client, keys: [ep.base, ep.running(workerID), ep.events], arguments: [id, value, interval.wholeMilliseconds])
        switch reply.string {
        case "EMITTED": return .announced
        case "STORED": return .heldBack
        case "REFUSED": return .refused
        default: throw JobStoreError.unexpectedReply(script: "progress", reply: "\(reply)")
        }
    }

    /// Ends TIMED_OUT the jobs of `workerID` on `endpoint` running past their execution timeout
    /// (for workers that cannot be trusted to enforce it); returns their ids.
    public func expireRuns(endpoint: String, workerID: String) async throws -> [String] {
        let ep = keys.endpoint(endpoint)
        let reply = try await ExpireRunsScript.script.run(
            on: client, keys: [ep.base, ep.running(workerID), ep.events, ep.stats], arguments: [])
        let expired = reply.array?.compactMap(\.string) ?? []
        JobMetrics.transitioned(endpoint: endpoint, to: .timedOut, count: expired.count)
        return expired
    }

    /// Recovers (requeue or fail) the jobs `workerID` holds on `endpoint` but did not list, taken
    /// more than `grace` ago (nothing listed and no grace: every job of a worker that is gone).
    /// Returns (requeued, failed).
    public func dropUnlisted(endpoint: String, workerID: String, listed: [String], grace: Duration,
                             maxRequeues: Int, reason: String = "no longer reported by its worker") async throws -> (requeued: Int, failed: Int) {
        let ep = keys.endpoint(endpoint)
        let reply = try await DropUnlistedScript.script.run(
            on: client, keys: [ep.base, ep.queue, ep.lowQueue, ep.running(workerID), ep.events, ep.stats],
            arguments: [workerID, grace.wholeMilliseconds, maxRequeues, reason] + listed)
        let counts = reply.array?.compactMap(\.int) ?? []
        guard counts.count == 2 else { throw JobStoreError.unexpectedReply(script: "drop-unlisted", reply: "\(reply)") }
        JobMetrics.transitioned(endpoint: endpoint, to: .inQueue, count: counts[0])
        JobMetrics.requeued(endpoint: endpoint, reason: "worker_lost", count: counts[0])
        JobMetrics.transitioned(endpoint: endpoint, to: .failed, count: counts[1])
        return (counts[0], counts[1])
    }

    /// Hands a running job back to the head of its queue (worker shutdown).
    public func release(_ job: ClaimedJob, workerID: String) async throws -> TransitionResult {
        let ep = keys.endpoint(job.endpoint)
        let reply = try await ReleaseJobScript.script.run(
            on: client, keys: [ep.base, ep.running(workerID), ep.events], arguments: [job.id, workerID])
        let result = try TransitionResult(reply: reply, script: "release")
        if case .applied = result {
            JobMetrics.transitioned(endpoint: job.endpoint, to: .inQueue)
            JobMetrics.requeued(endpoint: job.endpoint, reason: "shutdown")
        }
        return result
    }

    /// Registers the worker and renews its lease: every job in its running sets is its own
    /// until `lease` from now (Redis' clock), when the reaper may declare it lost. Lists its
    /// endpoints. Returns Redis' time.
    @discardableResult
    public func heartbeat(_ worker: WorkerInfo, running: Int, lease: Duration, registrationTTL: Duration,
                          extra: [(String, String)] = []) async throws -> Int {
        var arguments: [any RedisArgumentConvertible] = [worker.id, registrationTTL.wholeMilliseconds, lease.wholeMilliseconds]
        for (field, value) in worker.hashFields(running: running) + extra { arguments += [field, value] }
        let reply = try await HeartbeatScript.script.run(
            on: client, keys: [keys.global.workers, keys.global.worker(worker.id), keys.global.endpoints], arguments: arguments)
        return reply.int ?? 0
    }

    /// The ids in the worker's running sets, per endpoint (one round trip): what Redis says it holds.
    public func held(workerID: String, endpoints: [String]) async throws -> [String: Set<String>] {
        let replies = try await client.pipeline(endpoints.map { RedisCommand("SMEMBERS", keys.endpoint($0).running(workerID)) })
        var held: [String: Set<String>] = [:]
        for (endpoint, reply) in zip(endpoints, replies) {
            held[endpoint] = Set(reply.array?.compactMap(\.string) ?? [])
        }
        return held
    }

    /// True when `workerID` holds the job `id` (it is in its running set).
    public func holds(endpoint: String, workerID: String, id: String) async throws -> Bool {
        try await client.send("SISMEMBER", keys.endpoint(endpoint).running(workerID), id).int == 1
    }

    /// The jobs a RunPod worker said it runs in its last ping (its registry's `jobs`), and those
    /// it holds, in one round trip.
    public func reportedAndHeld(endpoint: String, workerID: String) async throws -> (reported: Set<String>, held: Set<String>) {
        let replies = try await client.pipeline([
            RedisCommand("HGET", keys.global.worker(workerID), "jobs"),
            RedisCommand("SMEMBERS", keys.endpoint(endpoint).running(workerID)),
        ])
        let reported = (replies[0].string ?? "").split(separator: ",").map(String.init)
        return (Set(reported), Set(replies[1].array?.compactMap(\.string) ?? []))
    }

    /// Forgets what a RunPod worker reported running (its replica ended; a new one reports anew).
    public func forgetReported(workerID: String) async throws {
        try await client.send("HDEL", keys.global.worker(workerID), "jobs")
    }

    /// Removes a worker's registration at a clean exit.
    public func unregister(workerID: String) async throws {
        _ = try await client.pipeline([
            RedisCommand("ZREM", keys.global.workers, workerID),
            RedisCommand("DEL", keys.global.worker(workerID)),
        ])
    }

    /// Appends one partial output of a streaming handler.
    public func appendStream(endpoint: String, id: String, chunk: String) async throws {
        let key = keys.endpoint(endpoint).jobStream(id)
        _ = try await client.pipeline([
            RedisCommand("RPUSH", key, chunk),
            RedisCommand("PEXPIRE", key, defaults.retention.wholeMilliseconds),
        ])
    }

    /// A connection of its own for blocking claims.
    public func makeBlockingConnection(name: String) -> RedisDedicatedConnection {
        client.makeDedicatedConnection(name: name)
    }

    /// Where the Redis is (for a worker's own Pub/Sub connection).
    public var redisConfiguration: RedisConfiguration { client.configuration }
}
