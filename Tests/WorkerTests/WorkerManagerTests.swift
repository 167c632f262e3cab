import Foundation
import Logging
import OrchestratorCore
import Redis
import RedisTestSupport
import ServiceLifecycle
import Synchronization
import Testing
@testable import Worker

@Suite("Worker manager against Redis")
struct WorkerManagerTests {
    /// Runs a manager with `runtime` on a throwaway Redis while `body` runs, then shuts it down
    /// gracefully as a service group does on SIGTERM.
    func withManager(
        runtime: any JobRuntime,
        concurrency: Int = 2,
        grace: Duration = .seconds(5),
        _ body: @escaping @Sendable (JobStore, WorkerManager, RedisClient) async throws -> Void
    ) async throws {
        try await withRedisClient { redis, _ in
            let store = JobStore(redis: redis)
            let configuration = WorkerConfiguration(
                endpoints: ["ep"], concurrency: concurrency, lease: .seconds(6), gracePeriod: grace, claimBlock: .milliseconds(500))
            let manager = WorkerManager(configuration: configuration, store: store, runtime: runtime, logger: Logger(label: "worker-test"))
            try await Self.running(manager) { try await body(store, manager, redis) }
        }
    }

    /// Runs `manager` in a service group around `body`, then triggers its graceful shutdown and
    /// waits for it to end.
    static func running(_ manager: WorkerManager, _ body: () async throws -> Void) async throws {
        let group = ServiceGroup(services: [manager], gracefulShutdownSignals: [], logger: Logger(label: "worker-test-group"))
        let running = Task { try await group.run() }
        do {
            try await body()
        } catch {
            await group.triggerGracefulShutdown()
            try? await running.value
            throw error
        }
        await group.triggerGracefulShutdown()
        try await running.value
    }

    func submit(_ store: JobStore, input: String = "{}", policy: JobPolicy = JobPolicy()) async throws -> String {
        let id = UUID().uuidString.lowercased()
        try await store.submit(JobSubmission(id: id, endpoint: "ep", input: input, policy: policy))
        return id
    }

    func waitForStatus(_ store: JobStore, _ id: String, _ status: JobStatus, within limit: Duration = .seconds(10)) async throws -> JobRecord {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if let record = try await store.record(endpoint: "ep", id: id), record.status == status { return record }
            try await Task.sleep(for: .milliseconds(20))
        }
        let current = try await store.record(endpoint: "ep", id: id)?.status
        throw TestFailure("job \(id) is \(String(describing: current)), expected \(status)")
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    @Test func runsJobsToCompletionAndFailure() async throws {
        let runtime = ProcessRuntime(handler: #"read line; case "$line" in *fail*) echo '{"error":"asked to fail"}';; *) echo '{"output":{"ok":true}}';; esac"#)
        try await withManager(runtime: runtime) { store, manager, redis in
            let good = try await submit(store)
            let bad = try await submit(store, input: #"{"fail":true}"#)
            #expect(try await waitForStatus(store, good, .completed).output == #"{"ok":true}"#)
            #expect(try await waitForStatus(store, bad, .failed).error == "asked to fail")
            let stats = try await redis.send("HGETALL", store.keys.endpoint("ep").stats).stringDictionary ?? [:]
            #expect(stats["completed"] == "1" && stats["failed"] == "1")
            #expect(try await redis.send("SCARD", store.keys.endpoint("ep").running(manager.configuration.workerID)) == .integer(0))
        }
    }

    @Test func executionTimeoutEndsTimedOut() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = ProcessRuntime(handler: "echo $$ > \(directory.path)/pid; sleep 30")
        try await withManager(runtime: runtime) { store, _, redis in
            let id = try await submit(store, policy: JobPolicy(executionTimeout: 700))
            let record = try await waitForStatus(store, id, .timedOut)
            #expect(record.error?.contains("execution timeout of 700 ms exceeded") == true)
            #expect((record.executionTime ?? 0) >= 700)
            let pid = try #require(Int32(String(contentsOfFile: "\(directory.path)/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(!processGroupAlive(pid))
        }
    }

    @Test func cancellingARunningJobKillsItsHandlerWithinASecond() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let runtime = ProcessRuntime(handler: "echo $$ > \(directory.path)/pid; sleep 30")
        try await withManager(runtime: runtime) { store, manager, redis in
            let id = try await submit(store)
            _ = try await waitForStatus(store, id, .inProgress)
            let pidFile = "\(directory.path)/pid"
            while !FileManager.default.fileExists(atPath: pidFile) { try await Task.sleep(for: .milliseconds(10)) }
            try await Task.sleep(for: .milliseconds(50))
            let pid = try #require(Int32(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            let started = ContinuousClock.now
            #expect(try await store.cancel(endpoint: "ep", id: id) == .applied(from: .inProgress))
            while processGroupAlive(pid) && ContinuousClock.now - started < .seconds(15) {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(!processGroupAlive(pid))
            #expect(ContinuousClock.now - started < .seconds(10))
            #expect(try await store.record(endpoint: "ep", id: id)?.status == .cancelled)
            while manager.runningCount > 0 { try await Task.sleep(for: .milliseconds(10)) }
        }
    }

    @Test func shutdownHandsUnfinishedJobsBackToTheQueue() async throws {
        let runtime = ProcessRuntime(handler: "sleep 30")
        try await withRedisClient { redis, _ in
            let store = JobStore(redis: redis)
            let configuration = WorkerConfiguration(endpoints: ["ep"], concurrency: 1, lease: .seconds(6), gracePeriod: .milliseconds(300), claimBlock: .milliseconds(500))
            let manager = WorkerManager(configuration: configuration, store: store, runtime: runtime, logger: Logger(label: "t"))
            let idBox = Mutex("")
            try await Self.running(manager) {
                let id = try await submit(store)
                _ = try await waitForStatus(store, id, .inProgress)
                idBox.withLock { $0 = id }
            }
            let id = idBox.withLock { $0 }
            let record = try #require(try await store.record(endpoint: "ep", id: id))
            #expect(record.status == .inQueue)
            #expect(record.worker == nil)
            let entry = try await redis.send("LRANGE", store.keys.endpoint("ep").queue, 0, -1).array?.first?.string
            #expect(entry.flatMap(QueueEntry.init)?.id == id)
            #expect(try await redis.send("EXISTS", store.keys.global.worker(configuration.workerID)) == .integer(0))
        }
    }

    @Test func concurrencyIsRespected() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Each run records start and end; overlapping runs must never exceed 3.
        let log = directory.appendingPathComponent("log").path
        let runtime = ProcessRuntime(handler: "echo start >> \(log); sleep 0.3; echo end >> \(log); echo '{\"output\":1}'")
        try await withManager(runtime: runtime, concurrency: 3) { store, _, _ in
            var ids: [String] = []
            for _ in 0..<9 { ids.append(try await submit(store)) }
            for id in ids { _ = try await waitForStatus(store, id, .completed) }
            var current = 0, peak = 0
            for line in try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n") {
                current += line == "start" ? 1 : -1
                peak = max(peak, current)
            }
            #expect(peak == 3)
        }
    }
}
