import Foundation
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle
import Synchronization

/// A worker manager: claims jobs of its endpoints, runs each in the runtime under its
/// execution timeout, records how it ended, heartbeats its lease, stops cancelled jobs, stops
/// every handler when it cannot renew its lease (fencing), and takes its turn at the reaper.
///
/// `run` is the service: the claim loops and the reaper are child tasks cancelled at graceful
/// shutdown; every job runs in a child task of its own; the heartbeat, the cancel listener and
/// the fence watchdog run until the last job ended (after the grace period, the rest are
/// handed back to the head of their queue).
public final class WorkerManager: Service, Sendable {
    public let configuration: WorkerConfiguration
    let store: JobStore
    let runtime: any JobRuntime
    let logger: Logger
    let slots: SlotPool
    let running = RunningJobs()
    let info: WorkerInfo
    /// When the last heartbeat that Redis accepted was sent (the lease runs from then).
    let lastRenewal = Mutex(ContinuousClock.now)
    /// Set while the lease has run out without renewal: no claims, handlers stopped.
    let fenced = Mutex(false)

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

    public func run() async throws {
        try await runtime.start()
        logger.info("worker manager started", metadata: [
            "endpoints": "\(configuration.endpoints.joined(separator: ","))",
            "concurrency": "\(configuration.concurrency)",
            "runtime": "\(runtime.name)",
        ])
        await recoverPreviousRun()
        await heartbeatOnce()
        await withTaskGroup(of: Void.self) { support in
            support.addTask { await self.heartbeatLoop() }
            support.addTask { await self.fenceWatchdog() }
            support.addTask { await self.cancelListener() }
            await runJobs()
            support.cancelAll()
        }
        await runtime.shutdown()
        try? await store.unregister(workerID: configuration.workerID)
        logger.info("worker manager stopped")
    }

    /// Claims and runs jobs until graceful shutdown, then drains: running jobs get the grace
    /// period, then are stopped and handed back.
    private func runJobs() async {
        let (claimed, sink) = AsyncStream<ClaimedJob>.makeStream()
        await withDiscardingTaskGroup { group in
            group.addTask {
                await withDiscardingTaskGroup { loops in
                    for endpoint in self.configuration.endpoints {
                        loops.addTask { try? await cancelWhenGracefulShutdown { await self.claimLoop(endpoint: endpoint, into: sink) } }
                    }
                    loops.addTask { try? await cancelWhenGracefulShutdown { await self.reaperLoop() } }
                }
                sink.finish()
                self.logger.info("worker manager stopping: no new claims", metadata: ["running": "\(self.running.count)"])
                await self.returnStrayClaims()
                await self.graceThenHandBack()
            }
            for await job in claimed {
                running.insert(job)
                group.addTask {
                    let task = Task { await self.execute(job) }
                    self.running.attach(job.id, task: task)
                    await task.value
                    self.running.remove(job.id)
                    await self.slots.release()
                }
            }
        }
    }

    /// After claims stopped: waits up to the grace period for running jobs, then stops the rest
    /// (they go back to their queue's head).
    private func graceThenHandBack() async {
        let finished = await withTaskGroup(of: Bool.self) { group in
            group.addTask { await self.running.waitUntilEmpty(); return true }
            group.addTask {
                try? await Task.sleep(for: self.configuration.gracePeriod)
                return false
            }
            let first = await group.next() ?? true
            group.cancelAll()
            return first
        }
        if !finished && running.count > 0 {
            logger.notice("grace period over; handing running jobs back", metadata: ["running": "\(running.count)"])
            running.stopAll(reason: .shutdown)
        }
    }
}
