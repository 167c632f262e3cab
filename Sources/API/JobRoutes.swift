import Foundation
import Hummingbird
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle

/// RunPod Serverless' job routes over the job store.
struct JobRoutes: Sendable {
    let store: JobStore
    let subscriber: RedisSubscriber
    let configuration: APIConfiguration
    let logger: Logger

    /// Adds the routes under `prefix` (`/v2/:endpoint` or, for the `default` endpoint, ``).
    func register(on router: Router<APIRequestContext>, prefix: String, fixedEndpoint: String?) {
        let endpointOf: @Sendable (APIRequestContext) throws -> String = { context in
            let name = fixedEndpoint ?? context.parameters.get("endpoint") ?? ""
            guard EndpointName.isValid(name) else {
                throw APIError(.badRequest, "invalid endpoint name '\(name)': use letters, digits, '-', '_' or '.' (at most 128)")
            }
            return name
        }
        router.post("\(prefix)/run") { request, context in
            try await run(request: request, endpoint: try endpointOf(context), wait: nil)
        }
        router.post("\(prefix)/run-batch") { request, context in
            try await runBatch(request: request, endpoint: try endpointOf(context))
        }
        router.post("\(prefix)/runsync") { request, context in
            try await run(request: request, endpoint: try endpointOf(context), wait: try runsyncWait(request))
        }
        // RunPod's clients use GET or POST for these.
        for method in [HTTPRequest.Method.get, .post] {
            router.on("\(prefix)/status/:id", method: method) { _, context in
                try await status(endpoint: try endpointOf(context), id: context.parameters.get("id") ?? "")
            }
            router.on("\(prefix)/stream/:id", method: method) { _, context in
                try await stream(endpoint: try endpointOf(context), id: context.parameters.get("id") ?? "")
            }
        }
        router.post("\(prefix)/cancel/:id") { _, context in
            try await cancel(endpoint: try endpointOf(context), id: context.parameters.get("id") ?? "")
        }
        router.post("\(prefix)/retry/:id") { _, context in
            try await retry(endpoint: try endpointOf(context), id: context.parameters.get("id") ?? "")
        }
        router.get("\(prefix)/health") { _, context in
            let health = try await storage { try await store.health(endpoint: try endpointOf(context)) }
            return JSONResponse.make(health.json)
        }
        router.post("\(prefix)/purge-queue") { _, context in
            let endpoint = try endpointOf(context)
            let removed = try await storage { try await store.purgeQueue(endpoint: endpoint) }
            logger.notice("queue purged", metadata: ["endpoint": "\(endpoint)", "removed": "\(removed)"])
            return JSONResponse.make(JSONText.object([("removed", .int(removed)), ("status", .string("completed"))]))
        }
    }

    // MARK: Handlers

    private func run(request: Request, endpoint: String, wait: Duration?) async throws -> Response {
        let run = try RunRequest(body: try await readBody(request, limit: configuration.maxBodyBytes))
        let id = JobID.make()
        let job = JobSubmission(id: id, endpoint: endpoint, input: run.input, webhook: run.webhook, webhookv2: run.webhookv2,
                                policy: run.policy, waitsForEnd: wait != nil)

        guard let wait else {
            try await storage { try await store.submit(job) }
            logger.info("job queued", metadata: ["job": "\(id)", "endpoint": "\(endpoint)"])
            return JSONResponse.make(JSONText.object([("id", .string(id)), ("status", .string(JobStatus.inQueue.rawValue))]))
        }
        // Subscribe before submitting, so the terminal transition cannot slip past unseen.
        let subscription = try await storage { try await subscriber.subscribe(store.keys.endpoint(endpoint).doneChannel(id)) }
        defer { subscription.cancel() }
        try await storage { try await store.submit(job) }
        logger.info("job queued (runsync)", metadata: ["job": "\(id)", "endpoint": "\(endpoint)"])
        let record = try await waitForEnd(endpoint: endpoint, id: id, subscription: subscription, wait: wait)
        return JSONResponse.make(record?.statusBody ?? JSONText.object([("id", .string(id)), ("status", .string("IN_QUEUE"))]))
    }

    /// Queues every job of the batch in one script call, or none of them.
    private func runBatch(request: Request, endpoint: String) async throws -> Response {
        let batch = try RunBatchRequest(body: try await readBody(request, limit: configuration.maxBodyBytes), limit: configuration.maxBatchJobs)
        let jobs = batch.jobs.map { run in
            JobSubmission(id: JobID.make(), endpoint: endpoint, input: run.input, webhook: run.webhook, webhookv2: run.webhookv2,
                          policy: run.policy, waitsForEnd: false)
        }
        try await storage { try await store.submit(batch: jobs, endpoint: endpoint) }
        logger.info("jobs queued (batch)", metadata: ["endpoint": "\(endpoint)", "count": "\(jobs.count)", "first": "\(jobs[0].id)"])
        return JSONResponse.make(JSONText.object([("ids", .raw(JSONText.array(jobs.map { .string($0.id) })))]))
    }

    /// Waits for the job's terminal state: woken by its done channel, and re-reading the hash
    /// every few seconds in case a message was lost (Pub/Sub drops messages across reconnects).
    /// A graceful shutdown ends the wait at once.
    private func waitForEnd(endpoint: String, id: String, subscription: RedisSubscription, wait: Duration) async throws -> JobRecord? {
        let store = self.store
        if let record = try await storage({ try await store.record(endpoint: endpoint, id: id) }), record.status?.isTerminal != false {
            return record
        }
        let deadline = ContinuousClock.now + wait
        await withTaskGroup(of: Void.self) { group in
            // Shutting down: answer the current status now, so the client polls elsewhere.
            group.addTask { try? await gracefulShutdown() }
            group.addTask {
                var messages = subscription.messages.makeAsyncIterator()
                _ = await messages.next()
            }
            group.addTask {
                while ContinuousClock.now < deadline {
                    try? await Task.sleep(for: min(deadline - ContinuousClock.now, .seconds(5)))
                    if Task.isCancelled { return }
                    if (try? await store.record(endpoint: endpoint, id: id))?.status?.isTerminal == true { return }
                }
            }
            await group.next()
            group.cancelAll()
        }
        return try await storage { try await store.record(endpoint: endpoint, id: id) }
    }

    private func runsyncWait(_ request: Request) throws -> Duration {
        guard let text = request.uri.queryParameters.get("wait") else { return configuration.runsyncDefaultWait }
        guard let ms = Int(text), ms >= 0 else {
            throw APIError(.badRequest, "'wait' must be a whole number of milliseconds, got '\(text)'")
        }
        return min(max(.milliseconds(ms), .seconds(1)), configuration.runsyncMaxWait)
    }

    private func status(endpoint: String, id: String) async throws -> Response {
        let record = try await existing(endpoint: endpoint, id: id)
        return JSONResponse.make(record.statusBody)
    }

    private func cancel(endpoint: String, id: String) async throws -> Response {
        _ = try await existing(endpoint: endpoint, id: id)
        let result = try await storage { try await store.cancel(endpoint: endpoint, id: id) }
        switch result {
        case .applied(let from):
            logger.info("job cancelled", metadata: ["job": "\(id)", "from": "\(from.rawValue)"])
            return JSONResponse.make(JSONText.object([("id", .string(id)), ("status", .string(JobStatus.cancelled.rawValue))]))
        case .refused(let current):
            // Already over (a cancel racing a completion, say): report how it ended, unchanged.
            let status = current?.rawValue ?? "UNKNOWN"
            return JSONResponse.make(JSONText.object([
                ("id", .string(id)), ("status", .string(status)),
                ("message", .string("not cancelled: the job had already ended as \(status)")),
            ]))
        case .notFound:
            throw notFound(id)
        }
    }

    private func retry(endpoint: String, id: String) async throws -> Response {
        _ = try await existing(endpoint: endpoint, id: id)
        switch try await storage({ try await store.retry(endpoint: endpoint, id: id) }) {
        case .applied(let from):
            logger.info("job retried", metadata: ["job": "\(id)", "from": "\(from.rawValue)"])
            return JSONResponse.make(JSONText.object([("id", .string(id)), ("status", .string(JobStatus.inQueue.rawValue))]))
        case .refused(let current):
            throw APIError(.conflict, "only FAILED, TIMED_OUT or CANCELLED jobs can be retried; job \(id) is \(current?.rawValue ?? "gone")")
        case .notFound:
            throw notFound(id)
        }
    }

    private func stream(endpoint: String, id: String) async throws -> Response {
        let (record, chunks) = try await storage { try await store.takeStream(endpoint: endpoint, id: id) }
        guard let record else { throw notFound(id) }
        let items = chunks.map { JSONText.Value.raw(JSONText.object([("output", .raw($0))])) }
        return JSONResponse.make(JSONText.object([
            ("id", .string(id)),
            ("status", .string(record[.status] ?? "")),
            ("stream", .raw(JSONText.array(items))),
        ]))
    }

    // MARK: Helpers

    private func existing(endpoint: String, id: String) async throws -> JobRecord {
        guard let record = try await storage({ try await store.record(endpoint: endpoint, id: id) }) else {
            throw notFound(id)
        }
        return record
    }

    private func notFound(_ id: String) -> APIError {
        APIError(.notFound, "no job \(id) on this endpoint (unknown id, or it expired)")
    }

    @discardableResult
    private func storage<T>(_ operation: () async throws -> T) async throws -> T {
        try await withStorage(logger: logger, operation)
    }
}
