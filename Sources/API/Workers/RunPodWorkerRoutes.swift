import Foundation
import Hummingbird
import Logging
import NIOCore
import OrchestratorCore
import Redis
import ServiceLifecycle

/// The worker side of RunPod's protocol, so unmodified `runpod.serverless.start` workers take
/// jobs from this API: `job-take` (a claim, under the worker's id), `job-take-batch`, `job-done`,
/// `job-stream`, `job-stop` and `ping`, all under `/v2/{endpoint}/`.
///
/// A degraded API (Redis unreachable, shutting down) answers 429 with `Retry-After`: the only
/// answer the SDK backs off on (on anything else it asks again at once).
struct RunPodWorkerRoutes: Sendable {
    let store: JobStore
    let subscriber: RedisSubscriber
    let configuration: APIConfiguration
    let watch: QueueWatch
    let logger: Logger

    func register(on router: Router<APIRequestContext>) {
        let prefix = "/v2/:endpoint"
        router.get("\(prefix)/job-take/:worker") { request, context in
            try await take(request, context, batch: false)
        }
        router.get("\(prefix)/job-take-batch/:worker") { request, context in
            try await take(request, context, batch: true)
        }
        router.post("\(prefix)/job-done/:worker/:job") { request, context in
            try await done(request, context)
        }
        router.post("\(prefix)/job-stream/:worker/:job") { request, context in
            try await stream(request, context)
        }
        router.get("\(prefix)/job-stop/:worker") { _, context in
            try await stops(context)
        }
        router.get("\(prefix)/ping/:worker") { request, context in
            try await ping(request, context)
        }
    }

    // MARK: Taking jobs

    private func take(_ request: Request, _ context: APIRequestContext, batch: Bool) async throws -> Response {
        let (endpoint, worker) = try names(context)
        var size = 1
        if batch {
            let text = request.uri.queryParameters.get("batch_size") ?? "1"
            guard let value = Int(text), (1...configuration.maxBatchTake).contains(value) else {
                throw APIError(.badRequest, "'batch_size' must be a whole number from 1 to \(configuration.maxBatchTake), got '\(text)'")
            }
            size = value
        }
        try await degraded { try await register(worker: worker, endpoint: endpoint, listing: nil, request: request) }
        let deadline = ContinuousClock.now + configuration.takeLongPoll
        while true {
            let jobs = try await degraded { try await store.claimNext(workerID: worker, endpoint: endpoint, max: size) }
            if !jobs.isEmpty {
                guard context.channel.isActive else {
                    // The worker gave up on this poll: the jobs go back to the head of their queue.
                    for job in jobs { _ = try? await store.release(job, workerID: worker) }
                    logger.notice("worker left its poll; jobs handed back", metadata: ["worker": "\(worker)", "jobs": "\(jobs.count)"])
                    return Response(status: .noContent)
                }
                for job in jobs {
                    logger.info("job taken by a RunPod worker", metadata: ["job": "\(job.id)", "worker": "\(worker)", "endpoint": "\(endpoint)"])
                }
                let bodies = jobs.map { JSONText.object([("id", .string($0.id)), ("input", .raw($0.input))]) }
                return JSONResponse.make(batch ? "[" + bodies.joined(separator: ",") + "]" : bodies[0])
            }
            if ContinuousClock.now >= deadline || !context.channel.isActive || Task.isShuttingDownGracefully {
                return Response(status: .noContent)
            }
            await waitForWork(endpoint: endpoint, channel: context.channel, until: deadline)
        }
    }

    /// Waits until the queue may have work, the poll's time is up, its client left, or the API stops.
    private func waitForWork(endpoint: String, channel: any Channel, until deadline: ContinuousClock.Instant) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await watch.wait(endpoint: endpoint) }
            group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
            group.addTask { await ChannelClosure.wait(channel) }
            group.addTask { try? await gracefulShutdown() }
            await group.next()
            group.cancelAll()
        }
    }

    // MARK: Results, progress and streams

    private func done(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (endpoint, worker) = try names(context)
        let id = try jobID(context)
        let result = try WorkerResult(body: try await readBody(request, limit: configuration.maxBodyBytes))
        var metadata: Logger.Metadata = ["job": "\(id)", "worker": "\(worker)", "endpoint": "\(endpoint)"]
        switch result {
        case .progress(let value):
            let stored = try await degraded {
                try await store.reportProgress(endpoint: endpoint, id: id, workerID: worker, value: value, interval: configuration.progressInterval)
            }
            if stored == .refused { logger.info("late or foreign progress ignored: the job is not this worker's any more", metadata: metadata) }
            return JSONResponse.make(#"{}"#)
        case .completed(let output):
            return try await end(endpoint, id, worker, .completed(output: output), metadata)
        case .failed(let error, let output):
            metadata["error"] = "\(error.prefix(200))"
            return try await end(endpoint, id, worker, .failed(error: error, output: output), metadata)
        }
    }

    /// The first terminal state wins: a duplicate, late or foreign result answers 200 and changes nothing.
    private func end(_ endpoint: String, _ id: String, _ worker: String, _ outcome: JobOutcome, _ metadata: Logger.Metadata) async throws -> Response {
        let result = try await degraded { try await store.finish(endpoint: endpoint, id: id, workerID: worker, outcome: outcome) }
        switch result {
        case .applied: logger.info("RunPod worker's result recorded", metadata: metadata)
        case .refused(let current):
            logger.notice("result ignored: the job is not this worker's any more", metadata: metadata.merging(["status": "\(current?.rawValue ?? "?")"]) { $1 })
        case .notFound: logger.notice("result ignored: no such job", metadata: metadata)
        }
        return JSONResponse.make(#"{}"#)
    }

    private func stream(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (endpoint, worker) = try names(context)
        let id = try jobID(context)
        let body = try await readBody(request, limit: configuration.maxStreamChunk + 64 * 1024)
        let members: [String: (text: String, kind: JSONScanner.Kind)]
        do { members = try JSONScanner.topLevelMembers(body) } catch {
            throw APIError(.badRequest, "job-stream body is not a JSON object: \(error)")
        }
        guard let chunk = members["output"] else { throw APIError(.badRequest, "job-stream body needs 'output'") }
        guard chunk.text.utf8.count <= configuration.maxStreamChunk else {
            throw APIError(.contentTooLarge, "a stream chunk may be at most \(configuration.maxStreamChunk) bytes (RunPod's limit)")
        }
        if try await degraded({ try await store.holds(endpoint: endpoint, workerID: worker, id: id) }) {
            try await degraded { try await store.appendStream(endpoint: endpoint, id: id, chunk: chunk.text) }
        } else {
            logger.info("stream chunk ignored: the job is not this worker's any more", metadata: ["job": "\(id)", "worker": "\(worker)"])
        }
        return JSONResponse.make(#"{}"#)
    }

    // MARK: Stops and pings

    /// `{"jobsToStop": [...]}`: this worker's jobs it still runs (by its last ping) that were
    /// cancelled, timed out (enforced here) or taken from it; else, after a long poll, 204.
    private func stops(_ context: APIRequestContext) async throws -> Response {
        let (endpoint, worker) = try names(context)
        let cancels = try await degraded { try await subscriber.subscribe(store.keys.global.workerCancelChannel(worker)) }
        defer { cancels.cancel() }
        let deadline = ContinuousClock.now + configuration.stopLongPoll
        var told: Set<String> = []
        while true {
            let stop = try await degraded { try await jobsToStop(endpoint: endpoint, worker: worker) }.union(told)
            if !stop.isEmpty {
                logger.info("telling a RunPod worker to stop jobs", metadata: ["worker": "\(worker)", "jobs": "\(stop.sorted())"])
                return JSONResponse.make(JSONText.object([("jobsToStop", .raw(JSONText.array(stop.sorted().map { .string($0) })))]))
            }
            if ContinuousClock.now >= deadline || !context.channel.isActive || Task.isShuttingDownGracefully {
                return Response(status: .noContent)
            }
            // A cancel message, or a second (execution timeouts are checked each second).
            let channel = context.channel
            told = await withTaskGroup(of: String?.self) { group in
                group.addTask {
                    var messages = cancels.messages.makeAsyncIterator()
                    return await messages.next().map { String(decoding: $0, as: UTF8.self) }
                }
                group.addTask { try? await Task.sleep(for: .seconds(1)); return nil }
                group.addTask { await ChannelClosure.wait(channel); return nil }
                group.addTask { try? await gracefulShutdown(); return nil }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first.map { [$0] } ?? []
            }
        }
    }

    private func jobsToStop(endpoint: String, worker: String) async throws -> Set<String> {
        let expired = try await store.expireRuns(endpoint: endpoint, workerID: worker)
        let (reported, held) = try await store.reportedAndHeld(endpoint: endpoint, workerID: worker)
        return Set(expired).union(reported.subtracting(held))
    }

    private func ping(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let (endpoint, worker) = try names(context)
        let listed = (request.uri.queryParameters.get("job_id") ?? "").split(separator: ",").map(String.init).filter(JobID.isPlausible)
        let unhealthy = request.uri.queryParameters.get("status") == "unhealthy"
        try await degraded {
            try await register(worker: worker, endpoint: endpoint, listing: listed, request: request, unhealthy: unhealthy)
            let dropped = try await store.dropUnlisted(
                endpoint: endpoint, workerID: worker, listed: listed, grace: configuration.unlistedGrace, maxRequeues: configuration.maxRequeues)
            if dropped.requeued + dropped.failed > 0 {
                logger.warning("RunPod worker no longer reports jobs it took; they were recovered", metadata: [
                    "worker": "\(worker)", "requeued": "\(dropped.requeued)", "failed": "\(dropped.failed)",
                ])
            }
            _ = try await store.expireRuns(endpoint: endpoint, workerID: worker)
        }
        if unhealthy {
            logger.warning("RunPod worker reports itself unhealthy", metadata: [
                "worker": "\(worker)", "check": "\(request.uri.queryParameters.get("check") ?? "")",
                "reason": "\(request.uri.queryParameters.get("reason") ?? "")",
            ])
        }
        return JSONResponse.make(#"{}"#)
    }

    /// The worker's registry entry (its lease): renewed by every take and ping.
    /// The worker's registry entry (its lease): renewed by every take and ping. `supervisor` (in
    /// the URL's query, from the `runpod` runtime) names the manager whose slots count it.
    private func register(worker: String, endpoint: String, listing: [String]?, request: Request, unhealthy: Bool = false) async throws {
        let info = WorkerInfo(id: worker, kind: .runpod, host: "", pid: 0, endpoints: [endpoint], concurrency: 1, startedAt: 0)
        var extra: [(String, String)] = [("health", unhealthy ? "unhealthy" : "healthy")]
        if let listing { extra.append(("jobs", listing.joined(separator: ","))) }
        if let supervisor = request.uri.queryParameters.get("supervisor"), EndpointName.isValid(supervisor) {
            extra.append(("supervisor", supervisor))
        }
        if let version = request.uri.queryParameters.get("runpod_version"), version.count <= 32 { extra.append(("sdk", version)) }
        try await store.heartbeat(info, running: listing?.count ?? 0, lease: configuration.runpodWorkerLease,
                                  registrationTTL: configuration.runpodWorkerLease * 3, extra: extra)
    }

    // MARK: Helpers

    private func names(_ context: APIRequestContext) throws -> (endpoint: String, worker: String) {
        let endpoint = context.parameters.get("endpoint") ?? ""
        guard EndpointName.isValid(endpoint) else {
            throw APIError(.badRequest, "invalid endpoint name '\(endpoint)': use letters, digits, '-', '_' or '.' (at most 128)")
        }
        let worker = context.parameters.get("worker") ?? ""
        guard EndpointName.isValid(worker) else {
            throw APIError(.badRequest, "invalid worker id '\(worker)': use letters, digits, '-', '_' or '.' (at most 128)")
        }
        return (endpoint, worker)
    }

    private func jobID(_ context: APIRequestContext) throws -> String {
        let id = context.parameters.get("job") ?? ""
        guard JobID.isPlausible(id) else { throw APIError(.badRequest, "invalid job id '\(id)'") }
        return id
    }

    /// Redis unreachable or the API stopping: 429 with `Retry-After`, never 5xx (the SDK asks again
    /// at once after anything but 429, a hot loop against a degraded server).
    private func degraded<T>(_ operation: () async throws -> T) async throws -> T {
        guard !Task.isShuttingDownGracefully else { throw APIError.busy("the API is shutting down") }
        do {
            return try await operation()
        } catch let error as RedisError where error.isConnectionError {
            logger.warning("Redis unavailable; asking RunPod workers to back off", metadata: ["error": "\(error)"])
            throw APIError.busy("storage unavailable, try again later")
        }
    }
}
