import Redis

/// The reaper: one worker manager at a time (a lock) recovers what lost workers left behind,
/// expires queued jobs past their `policy.ttl`, and finds orphans, endpoint by endpoint (each
/// endpoint's keys in one script call; the registry's own writes in another).
public struct Reaper: Sendable {
    let store: JobStore

    public init(store: JobStore) {
        self.store = store
    }

    private var keys: KeySpace { store.keys }
    private var redis: RedisClient { store.client }

    /// Takes the reaper lock for `duration` if nobody holds it.
    public func acquireLock(workerID: String, for duration: Duration) async throws -> Bool {
        let reply = try await redis.send("SET", keys.global.reaperLock, workerID, "NX", "PX", duration.wholeMilliseconds)
        return !reply.isNull
    }

    /// One pass. Workers whose lease deadline (their registry score) has passed are lost; the
    /// orphan sweep looks at one page (`orphanPage` keys) of job hashes from `orphanCursor`.
    /// Returns what it did and the cursor to go on from ("0" when a full cycle ended).
    public func pass(maxRequeues: Int, orphanCursor: String = "0", orphanPage: Int = 1000,
                     batch: Int = 500) async throws -> (summary: ReapSummary, cursor: String) {
        let replies = try await redis.pipeline([
            RedisCommand("TIME"),
            RedisCommand("ZRANGE", keys.global.workers, 0, -1, "WITHSCORES"),
            RedisCommand("SMEMBERS", keys.global.endpoints),
            RedisCommand("SCAN", orphanCursor, "MATCH", "\(keys.prefix){*}:job:*", "COUNT", orphanPage, "TYPE", "hash"),
        ])
        let now = JobStore.milliseconds(time: replies[0])
        var lost: [String] = [], live: [String] = []
        let registry = replies[1].array ?? []
        var index = 0
        while index + 1 < registry.count {
            if let id = registry[index].string, let score = registry[index + 1].int {
                if score < now { lost.append(id) } else { live.append(id) }
            }
            index += 2
        }
        var endpoints = Set(replies[2].array?.compactMap(\.string) ?? [])
        let scan = replies[3].array ?? []
        guard scan.count == 2, let cursor = scan[0].string else {
            throw JobStoreError.unexpectedReply(script: "SCAN", reply: "\(replies[3])")
        }
        let candidates = orphanCandidates((scan[1].array ?? []).compactMap(\.string))
        endpoints.formUnion(candidates.keys)

        var summary = ReapSummary()
        for endpoint in endpoints.sorted() {
            let ep = keys.endpoint(endpoint)
            let arguments: [any RedisArgumentConvertible] = [maxRequeues, batch, lost.count] + lost + [live.count] + live
                + (candidates[endpoint] ?? [])
            let reply = try await ReapScript.script.run(
                on: redis, keys: [ep.base, ep.queue, ep.lowQueue, ep.events, ep.stats, ep.queueDeadlines], arguments: arguments)
            let done = try ReapSummary(reply: reply)
            JobMetrics.transitioned(endpoint: endpoint, to: .inQueue, count: done.requeued)
            JobMetrics.requeued(endpoint: endpoint, reason: "worker_lost", count: done.requeued)
            JobMetrics.transitioned(endpoint: endpoint, to: .failed, count: done.failed)
            JobMetrics.transitioned(endpoint: endpoint, to: .timedOut, count: done.expired)
            summary = summary + done
        }
        for worker in lost {
            let removed = try await ForgetWorkerScript.script.run(
                on: redis, keys: [keys.global.workers, keys.global.worker(worker), keys.global.events],
                arguments: [worker])
            summary.workersRemoved += removed.int ?? 0
        }
        return (summary, cursor)
    }

    /// Job ids by endpoint from scanned keys `orch:{<endpoint>}:job:<id>` (other hashes under
    /// `job:`, such as `job:<id>:ended:<seq>`, are not jobs).
    private func orphanCandidates(_ scanned: [String]) -> [String: [String]] {
        var byEndpoint: [String: [String]] = [:]
        let start = "\(keys.prefix){"
        for key in scanned where key.hasPrefix(start) {
            let rest = key.dropFirst(start.count)
            guard let close = rest.range(of: "}:job:") else { continue }
            let endpoint = String(rest[..<close.lowerBound])
            let id = String(rest[close.upperBound...])
            guard EndpointName.isValid(endpoint), JobID.isPlausible(id) else { continue }
            byEndpoint[endpoint, default: []].append(id)
        }
        return byEndpoint
    }
}
