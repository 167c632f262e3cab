import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle

extension WorkerManager {
    func execute(_ job: ClaimedJob) async {
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
                do { try await store.appendStream(endpoint: job.endpoint, id: job.id, chunk: chunk) } catch {
                    logger.warning("cannot store a stream chunk", metadata: ["error": "\(error)"])
                }
            }
        )
        let started = ContinuousClock.now
        let result = await runtime.run(context)
        let elapsed = ContinuousClock.now - started

        switch running.stopReason(job.id) {
        case .cancelled?:
            logger.info("job stopped: cancelled", metadata: ["ms": "\(elapsed.wholeMilliseconds)"])
            return
        case .lost?:
            logger.notice("job stopped: no longer held by this worker (cancelled or reaped)", metadata: ["ms": "\(elapsed.wholeMilliseconds)"])
            return
        case .fenced?:
            logger.warning("job stopped: the lease could not be renewed; the reaper gives it to another worker",
                           metadata: ["ms": "\(elapsed.wholeMilliseconds)"])
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
        await record(job, outcome: outcome, elapsed: elapsed, logger: logger)
    }

    /// Records the outcome, retrying while Redis is unreachable (for up to twice the lease:
    /// after that the reaper has requeued the job and the result would be refused anyway; at
    /// shutdown for 5 s at most, so the manager stops within its grace).
    private func record(_ job: ClaimedJob, outcome: JobOutcome, elapsed: Duration, logger: Logger) async {
        var deadline = ContinuousClock.now + configuration.lease * 2
        var delay = Duration.milliseconds(50)
        let ms = elapsed.wholeMilliseconds
        while true {
            do {
                switch try await store.finish(job, workerID: configuration.workerID, outcome: outcome, elapsed: elapsed) {
                case .applied:
                    switch outcome {
                    case .completed: logger.info("job completed", metadata: ["ms": "\(ms)"])
                    case .failed(let error, _): logger.notice("job failed", metadata: ["ms": "\(ms)", "error": "\(error)"])
                    case .timedOut: logger.notice("job timed out", metadata: ["ms": "\(ms)"])
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
                if Task.isShuttingDownGracefully { deadline = min(deadline, ContinuousClock.now + .seconds(5)) }
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
            let result = try await store.release(job, workerID: configuration.workerID)
            logger.notice("job handed back to the queue", metadata: ["result": "\(result)"])
        } catch {
            // The lease runs out and the reaper requeues it.
            logger.warning("cannot hand the job back; the reaper will requeue it", metadata: ["error": "\(error)"])
        }
    }
}
