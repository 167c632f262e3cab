import Foundation
import Redis

/// Which jobs a listing shows.
public enum JobListing: Sendable, Equatable {
    /// Waiting, oldest first (from the queues).
    case queued
    /// Held by workers now (from their running sets), oldest start first.
    case running
    /// Jobs with recent activity, newest first (from the events streams: capped at
    /// `--events-max-age` / `--events-max-length`), optionally only those now in `status`.
    case recent(JobStatus?)
    /// Ended jobs, newest first (recent activity whose current state is terminal).
    case ended
}

/// One page of a listing and where the next begins (nil: none).
public struct JobPage: Sendable {
    public var jobs: [JobRecord]
    public var next: String?
}

extension JobStore {
    /// A page of `listing` on `endpoint` (nil: every endpoint). Each page costs O(limit) Redis
    /// work whatever the depth of the queues (a `queued` page far down a queue walks to it).
    public func list(_ listing: JobListing, endpoint: String?, limit: Int, cursor: String?) async throws -> JobPage {
        let endpoints: [String]
        if let endpoint { endpoints = [endpoint] } else { endpoints = try await directory.all() }
        switch listing {
        case .queued: return try await queued(endpoints, limit: limit, cursor: cursor)
        case .running: return try await running(endpoints, limit: limit, cursor: cursor)
        case .recent(let status):
            return try await recent(endpoints, limit: limit, cursor: cursor) { status == nil || $0.status == status }
        case .ended: return try await recent(endpoints, limit: limit, cursor: cursor) { $0.status?.isTerminal == true }
        }
    }

    /// Reads many jobs in one round trip (gone ones left out, order kept).
    func records(_ ids: [(endpoint: String, id: String)]) async throws -> [JobRecord] {
        guard !ids.isEmpty else { return [] }
        let replies = try await client.pipeline(ids.map { RedisCommand("HGETALL", keys.endpoint($0.endpoint).job($0.id)) })
        return zip(ids, replies).compactMap { pair, reply in
            guard let fields = reply.stringDictionary, !fields.isEmpty else { return nil }
            return JobRecord(id: pair.id, endpoint: pair.endpoint, fields: fields)
        }
    }

    // Cursor: "<endpoint index>:<offset>" for queues, running; per-endpoint stream ids otherwise.

    private func queued(_ endpoints: [String], limit: Int, cursor: String?) async throws -> JobPage {
        var (index, offset) = Self.position(cursor)
        var jobs: [JobRecord] = []
        while index < endpoints.count && jobs.count < limit {
            let ep = keys.endpoint(endpoints[index])
            // From the tail (the oldest end): the next `limit` entries past `offset`.
            let want = limit - jobs.count
            let entries = try await client.send("LRANGE", ep.queue, -(offset + want), -(offset + 1)).array?.compactMap(\.string) ?? []
            let ids = entries.reversed().compactMap(QueueEntry.init).map { (endpoint: endpoints[index], id: $0.id) }
            jobs += try await records(ids).filter { $0.status == .inQueue }
            offset += entries.count
            if entries.count < want { index += 1; offset = 0 }
        }
        return JobPage(jobs: jobs, next: index < endpoints.count ? "\(index):\(offset)" : nil)
    }

    private func running(_ endpoints: [String], limit: Int, cursor: String?) async throws -> JobPage {
        let (workers, _) = try await self.workers()
        var ids: [(endpoint: String, id: String)] = []
        for endpoint in endpoints {
            for worker in workers { ids += (worker.held[endpoint] ?? []).map { (endpoint, $0) } }
        }
        let all = try await records(ids).sorted { ($0.startedAt ?? 0, $0.id) < ($1.startedAt ?? 0, $1.id) }
        let offset = Self.position(cursor).offset
        let page = Array(all.dropFirst(offset).prefix(limit))
        return JobPage(jobs: page, next: offset + page.count < all.count ? "0:\(offset + page.count)" : nil)
    }

    /// Newest transitions first across the endpoints' streams; a job shows once, at its latest
    /// transition (an entry whose `seq` is the job's current one), so pages never repeat it. Reads
    /// at most 20 × `limit` entries per page, so a rare status cannot make a page scan a stream.
    private func recent(_ endpoints: [String], limit: Int, cursor: String?, keep: (JobRecord) -> Bool) async throws -> JobPage {
        var positions = Self.streamPositions(cursor)
        var seen = Set<String>()
        var jobs: [JobRecord] = []
        var budget = limit * 20
        // Endpoints whose stream has nothing older than their position.
        var done = Set<String>()
        while jobs.count < limit && budget > 0 && done.count < endpoints.count {
            let batch = min(max(limit, 50), budget)
            var fetched: [(endpoint: String, entry: String, job: String?, seq: Int)] = []
            var oldestFetched: [String: String] = [:]
            var short = Set<String>()
            for endpoint in endpoints where !done.contains(endpoint) {
                let end = positions[endpoint].map { "(" + $0 } ?? "+"
                let entries = try await client.send("XREVRANGE", keys.endpoint(endpoint).events, end, "-", "COUNT", batch).array ?? []
                if entries.count < batch { short.insert(endpoint) }
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                    let fields = parts[1].stringDictionary ?? [:]
                    // Transitions only: notices and progress events are no state of a job.
                    let job = fields[StreamEvent.Field.type.rawValue] == nil ? fields[StreamEvent.Field.job.rawValue] : nil
                    fetched.append((endpoint, id, job, Int(fields[StreamEvent.Field.seq.rawValue] ?? "") ?? 0))
                    oldestFetched[endpoint] = id
                }
            }
            if fetched.isEmpty { break }
            fetched.sort { Self.entryOrder($0.entry) > Self.entryOrder($1.entry) }
            budget -= fetched.count
            var fresh: [(endpoint: String, id: String)] = []
            var seqs: [String: Int] = [:]
            for item in fetched {
                if fresh.count >= (limit - jobs.count) * 2 { break }
                positions[item.endpoint] = item.entry
                if let job = item.job, seen.insert("\(item.endpoint)\u{0}\(job)").inserted {
                    fresh.append((item.endpoint, job))
                    seqs["\(item.endpoint)\u{0}\(job)"] = item.seq
                }
            }
            for endpoint in short where positions[endpoint] == oldestFetched[endpoint] || oldestFetched[endpoint] == nil {
                done.insert(endpoint)
            }
            for record in try await records(fresh) where record.seq == seqs["\(record.endpoint)\u{0}\(record.id)"] && keep(record) && jobs.count < limit {
                jobs.append(record)
            }
        }
        return JobPage(jobs: jobs, next: done.count < endpoints.count ? Self.streamCursor(positions) : nil)
    }

    private static func position(_ cursor: String?) -> (index: Int, offset: Int) {
        let parts = (cursor ?? "").split(separator: ":").compactMap { Int($0) }
        return parts.count == 2 ? (max(0, parts[0]), max(0, parts[1])) : (0, 0)
    }

    private static func entryOrder(_ id: String) -> (Int, Int) {
        let parts = id.split(separator: "-").compactMap { Int($0) }
        return (parts.first ?? 0, parts.count > 1 ? parts[1] : 0)
    }

    /// `endpoint=entry,endpoint=entry` in base64url, so it survives a query string.
    private static func streamCursor(_ positions: [String: String]) -> String {
        let text = positions.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
    }

    private static func streamPositions(_ cursor: String?) -> [String: String] {
        guard let cursor, let data = Data(base64Encoded: cursor.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")) else { return [:] }
        var positions: [String: String] = [:]
        for pair in String(decoding: data, as: UTF8.self).split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2, EndpointName.isValid(String(parts[0])) { positions[String(parts[0])] = String(parts[1]) }
        }
        return positions
    }
}
