import Logging
import OrchestratorCore
import Redis

extension WorkerManager {
    func heartbeatLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.heartbeatInterval)
            if Task.isCancelled { break }
            await heartbeatOnce()
        }
    }

    /// Renews the lease (registration) and stops runs Redis no longer counts as this worker's
    /// (cancelled, or the job was taken from a worker declared lost).
    func heartbeatOnce() async {
        let sent = ContinuousClock.now
        let local = running.ids
        do {
            try await store.heartbeat(info, running: local.count, lease: configuration.workerDeadAfter, registrationTTL: configuration.lease * 3)
            lastRenewal.withLock { $0 = max($0, sent) }
            if fenced.withLock({ fenced in defer { fenced = false }; return fenced }) {
                logger.notice("lease renewed again; claiming resumes")
            }
            guard !local.isEmpty else { return }
            let held = try await store.held(workerID: configuration.workerID, endpoints: configuration.endpoints)
            let all = held.values.reduce(into: Set<String>()) { $0.formUnion($1) }
            for id in local where !all.contains(id) {
                running.stop(id, reason: .lost)
            }
        } catch {
            logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
        }
    }

    /// Fencing: when no heartbeat got through for a lease (measured from when the last accepted
    /// one was sent), every handler is stopped. The reaper gives the jobs to another worker only
    /// after the lease plus ``WorkerConfiguration/fenceMargin``, so a job cut off from Redis
    /// with its manager never runs on two machines at once.
    func fenceWatchdog() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.heartbeatInterval / 2)
            if Task.isCancelled { break }
            let silent = ContinuousClock.now - lastRenewal.withLock { $0 }
            guard silent >= configuration.lease else { continue }
            let first = fenced.withLock { fenced in defer { fenced = true }; return !fenced }
            if first || running.count > 0 {
                if first {
                    logger.error("lease not renewed for a lease period; stopping every handler and claiming nothing until Redis answers", metadata: [
                        "silentFor": "\(silent)", "running": "\(running.count)",
                    ])
                }
                running.stopAll(reason: .fenced)
            }
        }
    }

    func cancelListener() async {
        let subscriber = RedisSubscriber(configuration: store.redisConfiguration, logger: logger)
        defer { subscriber.close() }
        let channel = store.keys.global.workerCancelChannel(configuration.workerID)
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

    func reaperLoop() async {
        await ReaperLoop(store: store, holder: configuration.workerID, interval: configuration.reaperInterval,
                         maxRequeues: configuration.maxRequeues, logger: logger).run()
    }
}
