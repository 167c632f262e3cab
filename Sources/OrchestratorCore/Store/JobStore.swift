import Redis
import Synchronization

/// Every job operation; each is one Redis round trip (a Lua script where it writes), or fewer
/// when concurrent submits or results share a script call (``GroupCommit``). The API and the
/// workers share it; nothing else writes a job's status. Each move it makes is counted here
/// (``JobMetrics``), in whichever role made it.
public final class JobStore: Sendable {
    private let redis: RedisClient
    public let keys: KeySpace
    public let defaults: JobDefaults
    public let directory: EndpointDirectory
    private let submitBatches = Mutex<[String: GroupCommit<JobSubmission, Int>]>([:])
    let finishBatches = Mutex<[String: GroupCommit<FinishRequest, TransitionResult>]>([:])

    public init(redis: RedisClient, keys: KeySpace = KeySpace(), defaults: JobDefaults = JobDefaults()) {
        self.redis = redis
        self.keys = keys
        self.defaults = defaults
        self.directory = EndpointDirectory(redis: redis, keys: keys)
    }

    var client: RedisClient { redis }

    // MARK: Submitting

    /// Writes the job and queues it (IN_QUEUE). Returns its creation time (ms since the epoch).
    /// Concurrent submits to one endpoint go out together in one script call.
    @discardableResult
    public func submit(_ job: JobSubmission) async throws -> Int {
        try await directory.register(job.endpoint)
        let batches = submitBatches.withLock { batches in
            if let batch = batches[job.endpoint] { return batch }
            let endpoint = job.endpoint
            let batch = GroupCommit<JobSubmission, Int> { [self] jobs in
                let created = try await self.write(jobs, endpoint: endpoint)
                return Array(repeating: created, count: jobs.count)
            }
            batches[job.endpoint] = batch
            return batch
        }
        return try await batches.run(job)
    }

    /// Writes and queues every job of `jobs` (one endpoint) in one script call: all or nothing.
    @discardableResult
    public func submit(batch jobs: [JobSubmission], endpoint: String) async throws -> Int {
        try await directory.register(endpoint)
        return try await write(jobs, endpoint: endpoint)
    }

    private func write(_ jobs: [JobSubmission], endpoint: String) async throws -> Int {
        let ep = keys.endpoint(endpoint)
        var arguments: [any RedisArgumentConvertible] = [jobs.count]
        arguments.reserveCapacity(1 + jobs.count * SubmitJobScript.fieldsPerJob)
        for job in jobs {
            // The key outlives the queue deadline, so a job that timed out in the queue can still be read.
            let retention = max(job.policy.ttl ?? 0, defaults.retention.wholeMilliseconds)
            let execution = job.policy.executionTimeout ?? defaults.executionTimeout.wholeMilliseconds
            let flags = (job.waitsForEnd ? "s" : "") + (job.policy.lowPriority ? "l" : "")
            arguments += [
                job.id, job.input, job.webhook ?? "", job.webhookv2 ?? "", job.policy == JobPolicy() ? "" : job.policy.json,
                retention, execution, job.policy.ttl ?? 0, flags,
            ]
        }
        let reply: RedisValue
        do {
            reply = try await SubmitJobScript.script.run(
                on: redis, keys: [ep.base, ep.queue, ep.lowQueue, ep.events, ep.queueDeadlines], arguments: arguments)
        } catch RedisError.server(_, let message) where message.hasPrefix("EXISTS ") {
            throw JobStoreError.duplicateID(String(message.dropFirst(7)))
        }
        guard let created = reply.int else { throw JobStoreError.unexpectedReply(script: "submit", reply: "\(reply)") }
        JobMetrics.transitioned(endpoint: endpoint, to: .inQueue, count: jobs.count)
        return created
    }

    // MARK: Reading

    /// The job's hash, or nil when there is no such job on that endpoint (or it expired).
    public func record(endpoint: String, id: String) async throws -> JobRecord? {
        guard JobID.isPlausible(id) else { return nil }
        let reply = try await redis.send("HGETALL", keys.endpoint(endpoint).job(id))
        guard let fields = reply.stringDictionary, !fields.isEmpty else { return nil }
        return JobRecord(id: id, endpoint: endpoint, fields: fields)
    }

    /// Takes (hands out once) the partial outputs a streaming handler produced so far. The
    /// stream key is the endpoint's, so asking on the wrong endpoint touches nothing.
    public func takeStream(endpoint: String, id: String) async throws -> (record: JobRecord?, chunks: [String]) {
        guard JobID.isPlausible(id) else { return (nil, []) }
        let ep = keys.endpoint(endpoint)
        let replies = try await redis.transaction([
            RedisCommand("HGETALL", ep.job(id)),
            RedisCommand("LRANGE", ep.jobStream(id), 0, -1),
            RedisCommand("DEL", ep.jobStream(id)),
        ])
        let fields = replies[0].stringDictionary ?? [:]
        let chunks = replies[1].array?.compactMap(\.string) ?? []
        return (fields.isEmpty ? nil : JobRecord(id: id, endpoint: endpoint, fields: fields), chunks)
    }

    /// RunPod's `/health`: counters, the queue's length without tombstones, jobs held, and the
    /// free and busy slots of live workers (lease deadline not passed) serving the endpoint.
    public func health(endpoint: String) async throws -> EndpointHealth {
        let ep = keys.endpoint(endpoint)
        let replies = try await redis.pipeline([
            RedisCommand("HGETALL", ep.stats),
            RedisCommand("LLEN", ep.queue),
            RedisCommand("LLEN", ep.lowQueue),
            RedisCommand("TIME"),
            RedisCommand("ZRANGE", keys.global.workers, 0, -1, "WITHSCORES"),
        ])
        var health = EndpointHealth()
        let stats = replies[0].stringDictionary ?? [:]
        func count(_ name: String) -> Int { stats[name].flatMap { Int($0) } ?? 0 }
        health.completed = count("completed")
        health.failed = count("failed")
        health.retried = count("retried")
        health.inQueue = max(0, (replies[1].int ?? 0) + (replies[2].int ?? 0) - count("tombstones"))
        let now = Self.milliseconds(time: replies[3])
        let registry = replies[4].array ?? []
        var workers: [(id: String, live: Bool)] = []
        var index = 0
        while index + 1 < registry.count {
            if let id = registry[index].string, let score = registry[index + 1].int {
                workers.append((id, score >= now))
            }
            index += 2
        }
        guard !workers.isEmpty else { return health }
        let details = try await redis.pipeline(workers.flatMap { worker in [
            RedisCommand("HMGET", keys.global.worker(worker.id), "endpoints", "concurrency", "running", "supervisor"),
            RedisCommand("SCARD", ep.running(worker.id)),
        ] })
        for (offset, worker) in workers.enumerated() {
            let held = details[offset * 2 + 1].int ?? 0
            health.inProgress += held
            // A supervised RunPod worker's slots are counted once, by its manager.
            guard worker.live, let values = details[offset * 2].array?.map(\.string), values.count == 4, values[3] == nil,
                  let endpoints = values[0], endpoints.split(separator: ",").contains(Substring(endpoint)) else { continue }
            let concurrency = values[1].flatMap { Int($0) } ?? 0
            let running = min(concurrency, values[2].flatMap { Int($0) } ?? 0)
            health.runningWorkers += running
            health.idleWorkers += concurrency - running
        }
        return health
    }

    // MARK: API moves

    public func cancel(endpoint: String, id: String) async throws -> TransitionResult {
        guard JobID.isPlausible(id) else { return .notFound }
        let ep = keys.endpoint(endpoint)
        let reply = try await CancelJobScript.script.run(
            on: redis, keys: [ep.base, ep.events, ep.stats, ep.queueDeadlines],
            arguments: [id, keys.global.workerCancelChannel("")])
        let result = try TransitionResult(reply: reply, script: "cancel")
        if case .applied = result { JobMetrics.transitioned(endpoint: endpoint, to: .cancelled) }
        return result
    }

    public func retry(endpoint: String, id: String) async throws -> TransitionResult {
        guard JobID.isPlausible(id) else { return .notFound }
        let ep = keys.endpoint(endpoint)
        let reply = try await RetryJobScript.script.run(
            on: redis, keys: [ep.base, ep.events, ep.stats, ep.queueDeadlines], arguments: [id])
        let result = try TransitionResult(reply: reply, script: "retry")
        if case .applied = result { JobMetrics.transitioned(endpoint: endpoint, to: .inQueue) }
        return result
    }

    /// Cancels every queued job of the endpoint, a slice of `batch` per script call; returns how many.
    public func purgeQueue(endpoint: String, batch: Int = 200) async throws -> Int {
        let ep = keys.endpoint(endpoint)
        var total = 0
        while true {
            let reply = try await PurgeQueueScript.script.run(
                on: redis, keys: [ep.base, ep.queue, ep.lowQueue, ep.events, ep.stats, ep.queueDeadlines], arguments: [batch])
            let counts = reply.array?.compactMap(\.int) ?? []
            guard counts.count == 2 else { throw JobStoreError.unexpectedReply(script: "purge-queue", reply: "\(reply)") }
            total += counts[0]
            JobMetrics.transitioned(endpoint: endpoint, to: .cancelled, count: counts[0])
            if counts[1] == 0 { return total }
        }
    }

    // MARK: Helpers

    public func serverTimeMilliseconds() async throws -> Int {
        Self.milliseconds(time: try await redis.send("TIME"))
    }

    static func milliseconds(time reply: RedisValue) -> Int {
        let parts = reply.array?.compactMap(\.int) ?? []
        return parts.count == 2 ? parts[0] * 1000 + parts[1] / 1000 : 0
    }
}

extension JobStore {
    /// Partial outputs of a streaming job not yet read through `/stream`.
    public func pendingStreamChunks(endpoint: String, id: String) async throws -> Int {
        guard JobID.isPlausible(id) else { return 0 }
        return try await redis.send("LLEN", keys.endpoint(endpoint).jobStream(id)).int ?? 0
    }
}
