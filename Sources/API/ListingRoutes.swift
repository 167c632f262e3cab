import Hummingbird
import Logging
import OrchestratorCore
import Redis
import Webhooks

/// `/api/jobs`, `/api/jobs/{id}`, `/api/workers`, `/api/endpoints`: what runs where, for operators,
/// the CLI and the dashboard, in pages that cost the same at any queue depth.
struct ListingRoutes: Sendable {
    let store: JobStore
    let deliveryLog: DeliveryLogStore
    let configuration: APIConfiguration
    let logger: Logger

    /// Outputs and inputs shown in a listing up to this size; larger ones are left for the job's page.
    static let listedValueBytes = 1024
    /// A job's page shows values up to this size; larger ones are cut and offered for download.
    static let shownValueBytes = 256 * 1024

    func register(on router: Router<APIRequestContext>) {
        router.get("/api/jobs") { request, _ in
            let query = request.uri.queryParameters
            let endpoint = try query.get("endpoint").map(Self.endpoint)
            let listing = try Self.listing(query.get("status"))
            let limitText = query.get("limit") ?? "50"
            guard let limit = Int(limitText), (1...1000).contains(limit) else {
                throw APIError(.badRequest, "'limit' must be a whole number from 1 to 1000, got '\(limitText)'")
            }
            let page = try await withStorage(logger: logger) {
                try await store.list(listing, endpoint: endpoint, limit: limit, cursor: query.get("cursor"))
            }
            return JSONResponse.make(JSONText.object([
                ("jobs", .raw(JSONText.array(page.jobs.map { .raw(Self.summary($0, valueLimit: Self.listedValueBytes)) }))),
                ("next", page.next.map { .string($0) }),
            ]))
        }
        router.get("/api/jobs/:id") { request, context in
            let id = context.parameters.get("id") ?? ""
            let (record, endpoint) = try await find(id, endpoint: request.uri.queryParameters.get("endpoint"))
            let attempts = try await withStorage(logger: logger) { try await deliveryLog.attempts(endpoint: endpoint, job: id) } ?? []
            let pending = try await withStorage(logger: logger) { try await store.pendingStreamChunks(endpoint: endpoint, id: id) }
            var members = Self.members(record, valueLimit: Self.shownValueBytes)
            members += [
                ("input", record.input.map { Self.value($0, limit: Self.shownValueBytes) }),
                ("inputInQueueEntry", record.input == nil && record.status == .inQueue ? .bool(true) : nil),
                ("policy", record[.policy].map { .raw($0) }),
                ("webhook", record.webhook.map { .string($0) }), ("webhookv2", record.webhookv2.map { .string($0) }),
                ("attempt", .int(record.attempt)), ("requeues", .int(record.requeues)),
                ("streamChunksPending", .int(pending)),
                ("deliveries", .raw(JSONText.array(attempts.map { .raw($0) }))),
            ]
            return JSONResponse.make(JSONText.object(members))
        }
        router.get("/api/jobs/:id/output") { request, context in
            let id = context.parameters.get("id") ?? ""
            let (record, _) = try await find(id, endpoint: request.uri.queryParameters.get("endpoint"))
            guard let output = record.output ?? record.progress else { throw APIError(.notFound, "job \(id) has no output") }
            var response = JSONResponse.make(output)
            response.headers[.contentDisposition] = "attachment; filename=\"\(id).json\""
            return response
        }
        router.get("/api/workers") { _, _ in
            let (workers, now) = try await withStorage(logger: logger) { try await store.workers() }
            return JSONResponse.make(JSONText.object([("workers", .raw(JSONText.array(workers.map { .raw(Self.worker($0, now: now)) })))]))
        }
        router.get("/api/endpoints") { _, _ in
            let overview = try await withStorage(logger: logger) { try await store.overview() }
            return JSONResponse.make(JSONText.object([("endpoints", .raw(JSONText.array(overview.map { .raw($0.json) })))]))
        }
    }

    /// The job on `endpoint`, or on whichever endpoint has it when none is given.
    private func find(_ id: String, endpoint: String?) async throws -> (JobRecord, String) {
        let endpoints: [String]
        if let endpoint { endpoints = [try Self.endpoint(endpoint)] } else {
            endpoints = try await withStorage(logger: logger) { try await store.directory.all() }
        }
        for endpoint in endpoints {
            if let record = try await withStorage(logger: logger, { try await store.record(endpoint: endpoint, id: id) }) {
                return (record, endpoint)
            }
        }
        throw APIError(.notFound, "no job \(id) (unknown id, or it expired)")
    }

    private static func endpoint(_ name: String) throws -> String {
        guard EndpointName.isValid(name) else { throw APIError(.badRequest, "invalid endpoint name '\(name)'") }
        return name
    }

    private static func listing(_ text: String?) throws -> JobListing {
        switch text {
        case nil, "", "any": return .recent(nil)
        case "queued", JobStatus.inQueue.rawValue?: return .queued
        case "running", JobStatus.inProgress.rawValue?: return .running
        case "ended": return .ended
        case let name?:
            guard let status = JobStatus(rawValue: name) else {
                throw APIError(.badRequest, "'status' must be any, queued, running, ended or one of \(JobStatus.allCases.map(\.rawValue).joined(separator: ", ")), got '\(name)'")
            }
            return .recent(status)
        }
    }

    /// The status body plus where and when.
    static func members(_ record: JobRecord, valueLimit: Int) -> [(String, JSONText.Value?)] {
        var body = RunPodBody(record: record)
        let output = body.output
        body.output = nil
        return body.members(for: .status) + [
            ("output", output.map { value($0, limit: valueLimit) }),
            ("outputBytes", output.map { .int($0.utf8.count) }),
            ("endpoint", .string(record.endpoint)),
            ("createdAt", record.createdAt.map { .string(ISOTime.string(milliseconds: $0)) }),
            ("startedAt", record.startedAt.map { .string(ISOTime.string(milliseconds: $0)) }),
            ("completedAt", record.completedAt.map { .string(ISOTime.string(milliseconds: $0)) }),
        ]
    }

    static func summary(_ record: JobRecord, valueLimit: Int) -> String {
        JSONText.object(members(record, valueLimit: valueLimit))
    }

    /// JSON as it is, or, past `limit` bytes, a string holding its start (the whole is downloadable).
    static func value(_ json: String, limit: Int) -> JSONText.Value {
        guard json.utf8.count > limit else { return .raw(json) }
        return .string(String(decoding: Array(json.utf8.prefix(limit)), as: UTF8.self) + "…")
    }

    static func worker(_ entry: WorkerEntry, now: Int) -> String {
        let held = entry.held.sorted { $0.key < $1.key }
        return JSONText.object([
            ("id", .string(entry.id)), ("kind", .string(entry.fields["kind"] ?? "manager")),
            ("live", .bool(entry.leaseDeadline >= now)),
            ("heartbeatAgeMs", entry.heartbeat.map { .int(max(0, now - $0)) }),
            ("host", entry.fields["host"].flatMap { $0.isEmpty ? nil : .string($0) }),
            ("pid", entry.fields["pid"].flatMap(Int.init).flatMap { $0 > 0 ? .int($0) : nil }),
            ("endpoints", .raw(JSONText.array(entry.endpoints.map { .string($0) }))),
            ("concurrency", .int(entry.concurrency)), ("running", .int(entry.busy)),
            ("jobs", .raw(JSONText.object(held.map { ($0.key, .raw(JSONText.array($0.value.map { .string($0) }))) }))),
            ("supervisor", entry.supervisor.map { .string($0) }),
            ("health", entry.fields["health"].map { .string($0) }),
            ("startedAt", entry.fields["startedAt"].flatMap(Int.init).flatMap { $0 > 0 ? .string(ISOTime.string(milliseconds: $0)) : nil }),
        ])
    }
}
