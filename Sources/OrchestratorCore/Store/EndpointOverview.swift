import Redis

/// One endpoint at a glance, read at once (for `/api/endpoints`, the dashboard and the metrics
/// read at scrape time).
public struct EndpointOverview: Sendable, Equatable {
    public var endpoint: String
    /// Jobs waiting (tombstones not counted).
    public var depth = 0
    /// How long the oldest waiting job has waited (nil: none waits).
    public var oldestAge: Duration?
    /// Jobs held by workers (IN_PROGRESS).
    public var running = 0
    /// Free and busy handler slots of live workers serving it.
    public var idleSlots = 0
    public var busySlots = 0
    public var completed = 0
    public var failed = 0
    public var cancelled = 0
    public var timedOut = 0
    public var retried = 0

    public init(endpoint: String) { self.endpoint = endpoint }

    public var json: String {
        JSONText.object([
            ("endpoint", .string(endpoint)), ("depth", .int(depth)),
            ("oldestAgeMs", oldestAge.map { .int($0.wholeMilliseconds) }), ("running", .int(running)),
            ("workers", .raw(JSONText.object([("idle", .int(idleSlots)), ("busy", .int(busySlots))]))),
            ("completed", .int(completed)), ("failed", .int(failed)), ("cancelled", .int(cancelled)),
            ("timedOut", .int(timedOut)), ("retried", .int(retried)),
        ])
    }
}

/// A worker as the registry describes it (for `/api/workers` and the overview).
public struct WorkerEntry: Sendable, Equatable {
    public var id: String
    public var fields: [String: String]
    /// ms, Redis' clock.
    public var leaseDeadline: Int
    /// Jobs it holds, per endpoint it serves.
    public var held: [String: [String]] = [:]

    public var endpoints: [String] { (fields["endpoints"] ?? "").split(separator: ",").map(String.init) }
    public var concurrency: Int { Int(fields["concurrency"] ?? "") ?? 0 }
    /// Jobs it holds now, from its leases (the heartbeat's `running` field is up to a beat old).
    public var busy: Int { held.values.reduce(0) { $0 + $1.count } }
    public var heartbeat: Int? { fields["heartbeat"].flatMap { Int($0) } }
    /// Its slots count through the manager supervising it (a `runpod` runtime's replica).
    public var supervisor: String? { fields["supervisor"] }
}

extension JobStore {
    /// Every registered worker, with the jobs it holds; `now` is Redis' time (ms).
    public func workers() async throws -> (entries: [WorkerEntry], now: Int) {
        let first = try await client.pipeline([RedisCommand("ZRANGE", keys.global.workers, 0, -1, "WITHSCORES"), RedisCommand("TIME")])
        let now = Self.milliseconds(time: first[1])
        let registry = first[0].array ?? []
        var ids: [(String, Int)] = []
        var index = 0
        while index + 1 < registry.count {
            if let id = registry[index].string, let score = registry[index + 1].int { ids.append((id, score)) }
            index += 2
        }
        guard !ids.isEmpty else { return ([], now) }
        let hashes = try await client.pipeline(ids.map { RedisCommand("HGETALL", keys.global.worker($0.0)) })
        var entries = zip(ids, hashes).map { WorkerEntry(id: $0.0.0, fields: $0.1.stringDictionary ?? [:], leaseDeadline: $0.0.1) }
        let pairs = entries.enumerated().flatMap { offset, entry in entry.endpoints.map { (offset, $0) } }
        let held = try await client.pipeline(pairs.map { RedisCommand("SMEMBERS", keys.endpoint($0.1).running(entries[$0.0].id)) })
        for ((offset, endpoint), reply) in zip(pairs, held) {
            entries[offset].held[endpoint] = reply.array?.compactMap(\.string).sorted() ?? []
        }
        return (entries, now)
    }

    /// Every endpoint in use (or the given ones), at a glance: two round trips for all of them
    /// plus the registry's.
    public func overview(endpoints given: [String]? = nil) async throws -> [EndpointOverview] {
        let endpoints: [String]
        if let given { endpoints = given } else { endpoints = try await directory.all() }
        let (workers, _) = try await self.workers()
        // Sent at once: the connection pipelines script calls that wait together (one round trip).
        let stats = try await withThrowingTaskGroup(of: (Int, RedisValue).self) { group in
            for (offset, endpoint) in endpoints.enumerated() {
                let ep = keys.endpoint(endpoint)
                group.addTask {
                    (offset, try await QueueStatsScript.script.run(on: self.client, keys: [ep.base, ep.queue, ep.lowQueue, ep.stats]))
                }
            }
            var replies = Array(repeating: RedisValue.null, count: endpoints.count)
            for try await (offset, reply) in group { replies[offset] = reply }
            return replies
        }
        return zip(endpoints, stats).map { endpoint, reply in
            var overview = EndpointOverview(endpoint: endpoint)
            let values = reply.array?.map { $0.int ?? 0 } ?? []
            if values.count == 10 {
                overview.depth = max(0, values[0] + values[1] - values[2])
                overview.completed = values[3]
                overview.failed = values[4]
                overview.cancelled = values[5]
                overview.timedOut = values[6]
                overview.retried = values[7]
                if values[8] >= 0, overview.depth > 0 { overview.oldestAge = .milliseconds(max(0, values[9] - values[8])) }
                let now = values[9]
                for worker in workers {
                    overview.running += worker.held[endpoint]?.count ?? 0
                    guard worker.leaseDeadline >= now, worker.supervisor == nil, worker.endpoints.contains(endpoint) else { continue }
                    // A worker's slots are shared by its endpoints: each sees all the free ones.
                    overview.busySlots += worker.held[endpoint]?.count ?? 0
                    overview.idleSlots += max(0, worker.concurrency - worker.busy)
                }
            }
            return overview
        }
    }
}
