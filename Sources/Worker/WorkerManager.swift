import Foundation
import Logging
import OrchestratorCore
import Redis

/// A worker manager: claims jobs of its endpoints, runs each in the runtime under its
/// execution timeout, records how it ended, heartbeats its leases, stops cancelled jobs,
/// and takes its turn running the reaper.
public final class WorkerManager: Sendable {
    public let configuration: WorkerConfiguration
    private let store: JobStore
    private let runtime: any JobRuntime
    private let logger: Logger
    private let slots: SlotPool
    private let running = RunningJobs()
    private let shutdown = ShutdownSignal()
    private let info: WorkerInfo

    public init(configuration: WorkerConfiguration, store: JobStore, runtime: any JobRuntime, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.runtime = runtime
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
        self.slots = SlotPool(size: configuration.concurrency)
        self.info = WorkerInfo(
            id: configuration.workerID,
            host: ProcessInfo.processInfo.hostName,
            pid: getpid(),
            endpoints: configuration.endpoints,
            concurrency: configuration.concurrency,
            startedAt: Int(Date().timeIntervalSince1970 * 1000)
        )
    }

    /// Number of jobs running now.
    public var runningCount: Int { running.count }

    /// Stops claiming; running jobs get the grace period, then go back to the queue.
    public func beginShutdown() {
        shutdown.fire()
    }

    /// Runs until ``beginShutdown()`` (or cancellation of the calling task), then drains.
    public func run() async throws {
        try await runtime.start()
        logger.info("worker manager started", metadata: [
            "endpoints": "\(configuration.endpoints.joined(separator: ","))",
            "concurrency": "\(configuration.concurrency)",
            "runtime": "\(runtime.name)",
        ])
        await heartbeatOnce()
        let claimTasks = configuration.endpoints.map { endpoint in
            Task { await self.claimLoop(endpoint: endpoint) }
        }
        let heartbeatTask = Task { await self.heartbeatLoop() }
        let reaperTask = Task { await self.reaperLoop() }
        let cancelTask = Task { await self.cancelListener() }

        await withTaskCancellationHandler {
            await shutdown.wait()
        } onCancel: {
            self.shutdown.fire()
        }

        logger.info("worker manager stopping: no new claims", metadata: ["running": "\(running.count)"])
        await slots.wakeAll()
        reaperTask.cancel()
        for task in claimTasks { task.cancel() }
        for task in claimTasks { await task.value }
        await returnStrayClaims()

        if !(await waitForRunningJobs(upTo: configuration.gracePeriod)) {
            logger.notice("grace period over; handing running jobs back", metadata: ["running": "\(running.count)"])
            running.stopAll(reason: .shutdown)
            _ = await waitForRunningJobs(upTo: .seconds(15))
        }
        heartbeatTask.cancel()
        cancelTask.cancel()
        await runtime.shutdown()
        try? await store.unregister(workerID: configuration.workerID)
        logger.info("worker manager stopped")
    }

    // MARK: Claiming

    private func claimLoop(endpoint: String) async {
        let connection = store.redis.makeDedicatedConnection(name: "claim-\(endpoint)")
        defer { connection.close() }
        var failures = 0
        while !shutdown.isFired {
            guard await slots.acquire(unless: shutdown) else { break }
            let held = 1 + (await slots.acquireAvailable(upTo: 31))
            var claimed: [ClaimedJob] = []
            do {
                claimed = try await store.claimNext(
                    workerID: configuration.workerID, endpoints: [endpoint], max: held, lease: configuration.lease)
                if claimed.isEmpty, !shutdown.isFired,
                   let job = try await store.waitAndClaim(
                    on: connection, workerID: configuration.workerID, endpoint: endpoint,
                    timeout: configuration.claimBlock, lease: configuration.lease) {
                    claimed = [job]
                }
                failures = 0
            } catch {
                if shutdown.isFired { await slots.release(held); break }
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning("cannot claim jobs; retrying", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
                await slots.release(held)
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 4)), 1000)))
                // A BLMOVE whose reply was lost may have left an id in the claiming list.
                await returnStrayClaims(endpoints: [endpoint])
                continue
            }
            await slots.release(held - claimed.count)
            for job in claimed { start(job) }
        }
    }

    /// Puts ids a blocking claim moved but never claimed back at the head of their queue.
    private func returnStrayClaims(endpoints: [String]? = nil) async {
        for endpoint in endpoints ?? configuration.endpoints {
            let claiming = store.keys.workerClaiming(configuration.workerID, endpoint: endpoint)
            while let moved = try? await store.redis.send("LMOVE", claiming, store.keys.queue(endpoint), "RIGHT", "RIGHT"),
                  let id = moved.string {
                logger.info("returned an unclaimed job to its queue", metadata: ["job": "\(id)", "endpoint": "\(endpoint)"])
            }
        }
    }

    // MARK: Running

    private func start(_ job: ClaimedJob) {
        running.insert(job.id)
        let task = Task {
            await self.execute(job)
            self.running.remove(job.id)
            await self.slots.release()
        }
        running.attach(job.id, task: task)
    }

    private func execute(_ job: ClaimedJob) async {
        var jobLogger = self.logger
        jobLogger[metadataKey: "job"] = "\(job.id)"
        let logger = jobLogger
        logger.info("job started", metadata: ["endpoint": "\(job.endpoint)", "attempt": "\(job.attempt)"])
        let store = self.store
        let context = JobContext(
            job: job,
            timeout: .milliseconds(max(1, job.executionTimeout)),
            logger: logger,
            onStream: { chunk in
                do { try await store.appendStream(job.id, chunk: chunk) } catch {
                    logger.warning("cannot store a stream chunk", metadata: ["error": "\(error)"])
                }
            }
        )
        let started = ContinuousClock.now
        let result = await runtime.run(context)
        let elapsed = (ContinuousClock.now - started).wholeMilliseconds

        switch running.stopReason(job.id) {
        case .cancelled?:
            logger.info("job stopped: cancelled", metadata: ["ms": "\(elapsed)"])
            return
        case .lost?:
            logger.notice("job stopped: no longer held by this worker (cancelled or reaped)", metadata: ["ms": "\(elapsed)"])
            return
        case .shutdown?:
            await handBack(job, logger: logger)
            return
        case nil:
            break
        }
        guard let outcome = result.outcome else {
            await handBack(job, logger: logger)
            return
        }
        await record(job, outcome: outcome, elapsedMilliseconds: elapsed, logger: logger)
    }

    /// Records the outcome, retrying while Redis is unreachable (for up to twice the lease:
    /// after that the reaper has requeued the job and the result would be refused anyway).
    private func record(_ job: ClaimedJob, outcome: JobOutcome, elapsedMilliseconds: Int, logger: Logger) async {
        let deadline = ContinuousClock.now + configuration.lease * 2
        var delay = Duration.milliseconds(50)
        while true {
            do {
                let result = try await store.finish(job.id, workerID: configuration.workerID, outcome: outcome)
                switch result {
                case .applied:
                    switch outcome {
                    case .completed: logger.info("job completed", metadata: ["ms": "\(elapsedMilliseconds)"])
                    case .failed(let error, _): logger.notice("job failed", metadata: ["ms": "\(elapsedMilliseconds)", "error": "\(error)"])
                    case .timedOut: logger.notice("job timed out", metadata: ["ms": "\(elapsedMilliseconds)"])
                    }
                case .refused(let current):
                    logger.notice("job result not recorded: job no longer held by this worker", metadata: [
                        "status": "\(current?.rawValue ?? "unknown")",
                    ])
                case .notFound:
                    logger.notice("job result not recorded: the job is gone (expired or deleted)")
                }
                return
            } catch let error as RedisError where error.isConnectionError && ContinuousClock.now < deadline {
                logger.warning("cannot record the job's result yet; retrying", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(2))
            } catch {
                logger.error("cannot record the job's result", metadata: ["error": "\(error)"])
                return
            }
        }
    }

    private func handBack(_ job: ClaimedJob, logger: Logger) async {
        do {
            let result = try await store.release(job.id, workerID: configuration.workerID)
            logger.notice("job handed back to the queue", metadata: ["result": "\(result)"])
        } catch {
            // The lease runs out and the reaper requeues it.
            logger.warning("cannot hand the job back; the reaper will requeue it", metadata: ["error": "\(error)"])
        }
    }

    private func waitForRunningJobs(upTo limit: Duration) async -> Bool {
        let deadline = ContinuousClock.now + limit
        while running.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return running.count == 0
    }

    // MARK: Heartbeat, cancellation, reaper

    private func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.heartbeatInterval)
            if Task.isCancelled { break }
            await heartbeatOnce()
        }
    }

    private func heartbeatOnce() async {
        do {
            let lost = try await store.heartbeat(
                info, running: running.ids, lease: configuration.lease, registrationTTL: configuration.lease * 3)
            for id in lost {
                running.stop(id, reason: .lost)
            }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    private func cancelListener() async {
        let subscriber = RedisSubscriber(configuration: store.redis.configuration, logger: logger)
        defer { subscriber.close() }
        let channel = store.keys.workerCancelChannel(configuration.workerID)
        while !Task.isCancelled {
            do {
                let subscription = try await subscriber.subscribe(channel)
                for await message in subscription.messages {
                    let id = String(decoding: message, as: UTF8.self)
                    logger.info("cancel requested", metadata: ["job": "\(id)"])
                    running.stop(id, reason: .cancelled)
                }
                subscription.cancel()
            } catch {
                // The heartbeat finds cancelled jobs too; this only makes it faster.
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func reaperLoop() async {
        // The orphan sweep walks the job keys a page per reaper turn, so its cost stays small
        // and steady however many jobs there are.
        var orphanCursor = "0"
        while !Task.isCancelled {
            let jitter = Double.random(in: 0.8...1.2)
            try? await Task.sleep(for: configuration.reaperInterval * jitter)
            if Task.isCancelled { break }
            do {
                guard try await store.acquireReaperLock(workerID: configuration.workerID, for: configuration.reaperInterval) else { continue }
                // Orphans first: adopted ones have an expired lease, so this same pass recovers them.
                let sweep = try await store.sweepOrphans(cursor: orphanCursor)
                orphanCursor = sweep.cursor
                if sweep.adopted > 0 {
                    logger.warning("found jobs IN_PROGRESS without a lease; the reaper recovers them", metadata: ["count": "\(sweep.adopted)"])
                }
                let summary = try await store.reap(maxRequeues: configuration.maxRequeues, workerDeadAfter: configuration.workerDeadAfter)
                if !summary.isEmpty {
                    logger.notice("reaper recovered work", metadata: [
                        "requeued": "\(summary.requeued)", "failed": "\(summary.failed)",
                        "expiredInQueue": "\(summary.expired)", "deadWorkers": "\(summary.workersRemoved)",
                        "returnedClaims": "\(summary.claimsReturned)",
                    ])
                }
            } catch {
                logger.warning("reaper pass failed", metadata: ["error": "\(error)"])
            }
        }
    }
}
