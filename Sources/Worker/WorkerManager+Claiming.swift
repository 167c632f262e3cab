import OrchestratorCore
import Redis

extension WorkerManager {
    /// Claims jobs of `endpoint` while slots are free: a non-blocking claim of as many as there
    /// are free slots (up to 32), else a blocking wait for the next one. Ends when cancelled.
    func claimLoop(endpoint: String, into sink: AsyncStream<ClaimedJob>.Continuation) async {
        let connection = store.makeBlockingConnection(name: "claim-\(endpoint)")
        defer { connection.close() }
        var failures = 0
        while !Task.isCancelled {
            guard await slots.acquire() else { break }
            if fenced.withLock({ $0 }) {
                // Cut off from Redis for a lease: claim nothing until a heartbeat gets through.
                await slots.release()
                try? await Task.sleep(for: configuration.heartbeatInterval)
                continue
            }
            let held = 1 + (await slots.acquireAvailable(upTo: 31))
            var claimed: [ClaimedJob] = []
            do {
                claimed = try await store.claimNext(workerID: configuration.workerID, endpoint: endpoint, max: held)
                if claimed.isEmpty, !Task.isCancelled,
                   let job = try await store.waitAndClaim(
                    on: connection, workerID: configuration.workerID, endpoint: endpoint, timeout: configuration.claimBlock) {
                    claimed = [job]
                }
                failures = 0
            } catch {
                await slots.release(held)
                if Task.isCancelled { break }
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning("cannot claim jobs; retrying", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 4)), 1000)))
                // A BLMOVE whose reply was lost may have left an entry in the claiming list.
                await returnStrayClaims(endpoints: [endpoint])
                continue
            }
            await slots.release(held - claimed.count)
            for job in claimed { sink.yield(job) }
        }
    }

    /// Puts entries a blocking claim moved but never claimed back at the head of their queue.
    func returnStrayClaims(endpoints: [String]? = nil) async {
        for endpoint in endpoints ?? configuration.endpoints {
            do {
                for id in try await store.returnStrayClaims(workerID: configuration.workerID, endpoint: endpoint) {
                    logger.info("returned an unclaimed job to its queue", metadata: ["job": "\(id)", "endpoint": "\(endpoint)"])
                }
            } catch {
                logger.debug("cannot return stray claims yet", metadata: ["endpoint": "\(endpoint)", "error": "\(error)"])
            }
        }
    }

    /// A manager that starts with the id of one that died (a restarted container, a fixed
    /// `--worker-id`) first hands back the jobs Redis says the dead one held: they cannot be
    /// running here.
    func recoverPreviousRun() async {
        do {
            let held = try await store.held(workerID: configuration.workerID, endpoints: configuration.endpoints)
            for (endpoint, ids) in held {
                for id in ids {
                    let job = ClaimedJob(id: id, endpoint: endpoint, input: "", executionTimeout: 0)
                    let result = try await store.release(job, workerID: configuration.workerID)
                    logger.notice("handed back a job held by an earlier run of this worker id", metadata: [
                        "job": "\(id)", "endpoint": "\(endpoint)", "result": "\(result)",
                    ])
                }
            }
            await returnStrayClaims()
        } catch {
            logger.warning("cannot check for jobs of an earlier run; the reaper recovers them", metadata: ["error": "\(error)"])
        }
    }
}
