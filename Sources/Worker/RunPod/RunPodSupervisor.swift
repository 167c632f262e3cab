import ChildProcess
import Foundation
import Logging
import OrchestratorCore
import Redis
import ServiceLifecycle
import Synchronization

/// The `runpod` runtime: a worker manager that does not run jobs itself but supervises
/// replicas of an unmodified RunPod worker, which take jobs over HTTP from the API. It
///
/// - starts `replicas` of them, each with its own `RUNPOD_POD_ID` (`<manager id>-<n>`), the URL
///   templates pointing at the API, and its GPU; restarts one that exits (capped backoff), and
///   fails the jobs it held at once ("container failure", with the exit and its last stderr
///   lines) instead of waiting for its lease;
/// - enforces execution timeouts and cancels for workers that cannot stop themselves (sync
///   handlers, SDKs before 1.10): a job the API wants stopped that a replica still reports
///   `stopGrace` later gets the replica killed and started again;
/// - registers itself with its replicas' slots (so `/health` counts them once) and takes its
///   turn at the reaper.
public final class RunPodSupervisor: Service, Sendable {
    public let configuration: RunPodSupervisorConfiguration
    private let store: JobStore
    private let logger: Logger
    private let replicas = Mutex<[Int: RunPodReplica]>([:])
    /// When each job was first seen that a replica reports but the API wants stopped.
    private let overdue = Mutex<[String: ContinuousClock.Instant]>([:])

    public init(configuration: RunPodSupervisorConfiguration, store: JobStore, logger: Logger) {
        self.configuration = configuration
        self.store = store
        var logger = logger
        logger[metadataKey: "worker"] = "\(configuration.workerID)"
        self.logger = logger
    }

    private var pods: [String] { (0..<configuration.replicas).map(configuration.podID) }

    public func run() async throws {
        logger.info("worker manager started", metadata: [
            "runtime": "runpod", "endpoint": "\(configuration.endpoint)", "replicas": "\(configuration.replicas)",
            "api": "\(configuration.environment.apiURL)",
        ])
        await recoverPreviousRun()
        await withTaskGroup(of: Void.self) { support in
            support.addTask { await self.heartbeatLoop() }
            support.addTask { try? await cancelWhenGracefulShutdown { await self.watchdog() } }
            support.addTask {
                try? await cancelWhenGracefulShutdown {
                    await ReaperLoop(store: self.store, holder: self.configuration.workerID, interval: self.configuration.reaperInterval,
                                     maxRequeues: self.configuration.maxRequeues, logger: self.logger).run()
                }
            }
            await withDiscardingTaskGroup { group in
                for index in 0..<configuration.replicas {
                    group.addTask { await self.supervise(index) }
                }
            }
            support.cancelAll()
        }
        try? await store.unregister(workerID: configuration.workerID)
        logger.info("worker manager stopped")
    }

    // MARK: Replicas

    /// Keeps replica `index` running until graceful shutdown, then lets it drain.
    private func supervise(_ index: Int) async {
        let podID = configuration.podID(index)
        var failures = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let replica: RunPodReplica
            do {
                replica = try RunPodReplica.start(
                    podID: podID, launch: configuration.launch, label: configuration.workerID,
                    environment: configuration.environment.variables(podID: podID, gpu: gpu(index)),
                    gpu: gpu(index), logger: logger)
            } catch {
                failures += 1
                logger.error("cannot start a RunPod worker replica", metadata: ["pod": "\(podID)", "error": "\(error)"])
                try? await Task.sleep(for: backoff(failures))
                continue
            }
            replicas.withLock { $0[index] = replica }
            logger.notice("RunPod worker replica started", metadata: ["pod": "\(podID)", "pid": "\(replica.pid)"])
            let status = await withGracefulShutdownHandler {
                await replica.wait()
            } onGracefulShutdown: {
                replica.terminate()
                let grace = self.configuration.gracePeriod
                Task {
                    try? await Task.sleep(for: grace)
                    replica.kill()
                }
            }
            replicas.withLock { $0[index] = nil }
            await replica.stderrTail.waitForEnd()
            await settleJobs(of: podID, exit: status, stderr: replica.stderrTail.text)
            if Task.isShuttingDownGracefully { break }
            failures = ContinuousClock.now - replica.startedAt < .seconds(5) ? failures + 1 : 0
            logger.warning("RunPod worker replica exited; starting it again", metadata: [
                "pod": "\(podID)", "status": "\(status)", "restartIn": "\(backoff(failures))",
            ])
            if failures > 0 { try? await Task.sleep(for: backoff(failures)) }
        }
    }

    private func gpu(_ index: Int) -> String? {
        configuration.gpus.isEmpty ? nil : configuration.gpus[index % configuration.gpus.count]
    }

    private func backoff(_ failures: Int) -> Duration {
        min(.milliseconds(250) * (1 << min(max(failures - 1, 0), 6)), .seconds(10))
    }

    /// A replica ended: the jobs it still held go back to the head of their queue at once (not
    /// after its lease) while requeues remain, else fail with why: its exit and last stderr lines.
    /// At shutdown they are handed back without using a requeue.
    private func settleJobs(of podID: String, exit status: ChildProcessExit, stderr: String?) async {
        do {
            if Task.isShuttingDownGracefully {
                for id in try await store.held(workerID: podID, endpoints: [configuration.endpoint])[configuration.endpoint] ?? [] {
                    let job = ClaimedJob(id: id, endpoint: configuration.endpoint, input: "", executionTimeout: 0)
                    _ = try await store.release(job, workerID: podID)
                    logger.notice("job handed back: its RunPod worker stopped at shutdown", metadata: ["job": "\(id)", "pod": "\(podID)"])
                }
            } else {
                let tail = stderr.map { "; last stderr lines:\n\($0)" } ?? ""
                let recovered = try await store.dropUnlisted(
                    endpoint: configuration.endpoint, workerID: podID, listed: [], grace: .zero, maxRequeues: configuration.maxRequeues,
                    reason: "container failure: RunPod worker \(podID) ended (\(status))\(tail)")
                if recovered.requeued + recovered.failed > 0 {
                    logger.notice("jobs of an ended RunPod worker recovered", metadata: [
                        "pod": "\(podID)", "status": "\(status)", "requeued": "\(recovered.requeued)", "failed": "\(recovered.failed)",
                    ])
                }
            }
            try await store.forgetReported(workerID: podID)
        } catch {
            logger.warning("cannot settle the jobs of an ended replica; the reaper recovers them", metadata: ["pod": "\(podID)", "error": "\(error)"])
        }
    }

    /// Jobs an earlier run of this manager id's replicas held cannot be running now: back to the queue.
    private func recoverPreviousRun() async {
        do {
            for pod in pods {
                for id in try await store.held(workerID: pod, endpoints: [configuration.endpoint])[configuration.endpoint] ?? [] {
                    let job = ClaimedJob(id: id, endpoint: configuration.endpoint, input: "", executionTimeout: 0)
                    _ = try await store.release(job, workerID: pod)
                    logger.notice("handed back a job held by an earlier run of this replica", metadata: ["job": "\(id)", "pod": "\(pod)"])
                }
            }
        } catch {
            logger.warning("cannot check for jobs of an earlier run; the reaper recovers them", metadata: ["error": "\(error)"])
        }
    }

    // MARK: Liveness and enforcement

    private func heartbeatLoop() async {
        let info = WorkerInfo(id: configuration.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(),
                              endpoints: [configuration.endpoint], concurrency: configuration.replicas,
                              startedAt: Int(Date().timeIntervalSince1970 * 1000))
        while !Task.isCancelled {
            do {
                let held = try await pods.asyncReduce(0) { total, pod in
                    total + (try await store.held(workerID: pod, endpoints: [configuration.endpoint])[configuration.endpoint]?.count ?? 0)
                }
                try await store.heartbeat(info, running: held, lease: configuration.lease, registrationTTL: configuration.lease * 3,
                                          extra: [("runtime", "runpod")])
            } catch {
                logger.warning("heartbeat failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: configuration.lease / 6)
        }
    }

    /// Every second: execution timeouts of the replicas' jobs (so the API can tell them to stop at
    /// once), and replicas still running a job the API wants stopped past `stopGrace` are killed.
    private func watchdog() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            for (index, pod) in pods.enumerated() {
                do {
                    let timedOut = try await store.expireRuns(endpoint: configuration.endpoint, workerID: pod)
                    for id in timedOut { logger.notice("job timed out on a RunPod worker; telling it to stop", metadata: ["job": "\(id)", "pod": "\(pod)"]) }
                    let (reported, held) = try await store.reportedAndHeld(endpoint: configuration.endpoint, workerID: pod)
                    let unwanted = reported.subtracting(held)
                    let now = ContinuousClock.now
                    let stuck = overdue.withLock { overdue -> [String] in
                        for id in unwanted where overdue[id] == nil { overdue[id] = now }
                        for id in overdue.keys where !reported.contains(id) { overdue[id] = nil }
                        return unwanted.filter { (overdue[$0].map { now - $0 >= configuration.stopGrace }) ?? false }
                    }
                    if !stuck.isEmpty, let replica = replicas.withLock({ $0[index] }) {
                        logger.warning("RunPod worker keeps running jobs it was told to stop; killing it", metadata: [
                            "pod": "\(pod)", "jobs": "\(stuck.sorted())",
                        ])
                        overdue.withLock { overdue in for id in stuck { overdue[id] = nil } }
                        replica.kill()
                    }
                } catch {
                    logger.debug("watchdog pass failed", metadata: ["pod": "\(pod)", "error": "\(error)"])
                }
            }
        }
    }
}

typealias ChildProcessExit = ChildProcess.ExitStatus

extension Sequence {
    func asyncReduce<Result>(_ initial: Result, _ next: (Result, Element) async throws -> Result) async rethrows -> Result {
        var result = initial
        for element in self { result = try await next(result, element) }
        return result
    }
}
