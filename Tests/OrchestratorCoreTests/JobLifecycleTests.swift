import Foundation
import OrchestratorCore
import Redis
import Testing

@Suite("Job lifecycle in Redis")
struct JobLifecycleTests {
    @Test func submitWritesReadableHashQueueAndEvent() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(input: #"{"prompt":"a cat","list":[]}"#, webhook: "http://127.0.0.1:9/hook",
                                              policy: JobPolicy(executionTimeout: 5000))
            let fields = try await fixture.redis.send("HGETALL", fixture.keys.job(id)).stringDictionary ?? [:]
            #expect(fields["status"] == "IN_QUEUE")
            #expect(fields["input"] == #"{"prompt":"a cat","list":[]}"#)
            #expect(fields["webhook"] == "http://127.0.0.1:9/hook")
            #expect(fields["executionTimeout"] == "5000")
            #expect(fields["endpoint"] == "ep")
            #expect(Int(fields["createdAt"] ?? "") ?? 0 > 1_700_000_000_000)
            #expect(try await fixture.redis.send("LRANGE", fixture.keys.queue("ep"), 0, -1).array?.first?.string == id)
            let event = try #require(try await fixture.events(for: id).first)
            #expect(event["from"] == "" && event["to"] == "IN_QUEUE")
            #expect(event["payload"] == #"{"id":"\#(id)","status":"IN_QUEUE"}"#)
            #expect(event["webhook"] == "http://127.0.0.1:9/hook")
            await #expect(throws: JobStoreError.duplicateID(id)) {
                try await fixture.store.submit(JobSubmission(id: id, endpoint: "ep", input: "{}"))
            }
        }
    }

    @Test func payloadsFollowRunPodShapes() async throws {
        try await JobFixture.run { fixture in
            let (id, _) = try await fixture.job(in: .completed)
            let payloads = try await fixture.events(for: id).map { $0["payload"] ?? "" }
            #expect(payloads.count == 3)
            #expect(payloads[0] == #"{"id":"\#(id)","status":"IN_QUEUE"}"#)
            let started = try JSONScanner.topLevelMembers(Array(payloads[1].utf8))
            #expect(Set(started.keys) == ["id", "status", "delayTime"])
            let done = try JSONScanner.topLevelMembers(Array(payloads[2].utf8))
            #expect(Set(done.keys) == ["id", "status", "delayTime", "executionTime", "output"])
            #expect(done["output"]?.text == #"{"ok":true}"#)

            let (failedID, _) = try await fixture.job(in: .failed)
            let failed = try JSONScanner.topLevelMembers(Array((try await fixture.events(for: failedID).last?["payload"] ?? "").utf8))
            #expect(failed["error"]?.text == #""boom""#)
            #expect(failed["output"]?.text == "null")
        }
    }

    @Test func fifoOrderAndBatchClaims() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await fixture.submit(endpoint: "fifo")) }
            let first = try await fixture.store.claimNext(workerID: "w", endpoints: ["fifo"], max: 3, lease: .seconds(30))
            #expect(first.map(\.id) == Array(ids.prefix(3)))
            #expect(first.allSatisfy { $0.attempt == 1 && $0.input == #"{"n":1}"# && $0.executionTimeout == 600_000 })
            let rest = try await fixture.store.claimNext(workerID: "w", endpoints: ["other", "fifo"], max: 10, lease: .seconds(30))
            #expect(rest.map(\.id) == Array(ids.suffix(2)))
            let health = try await fixture.store.health(endpoint: "fifo", workerDeadAfter: .seconds(30))
            #expect(health.inProgress == 5 && health.inQueue == 0)
        }
    }

    @Test func blockingClaimMovesBeforeClaiming() async throws {
        try await JobFixture.run { fixture in
            let connection = fixture.redis.makeDedicatedConnection()
            defer { connection.close() }
            let waiter = Task {
                try await fixture.store.waitAndClaim(on: connection, workerID: "w", endpoint: "blk", timeout: .seconds(10), lease: .seconds(30))
            }
            try await Task.sleep(for: .milliseconds(100))
            let id = try await fixture.submit(endpoint: "blk")
            let claimed = try await waiter.value
            #expect(claimed?.id == id)
            #expect(try await fixture.status(id) == .inProgress)
            #expect(try await fixture.redis.send("LLEN", fixture.keys.workerClaiming("w", endpoint: "blk")) == .integer(0))
        }
    }

    @Test func deadWorkersClaimingListGoesBackToTheQueueHead() async throws {
        try await JobFixture.run { fixture in
            let first = try await fixture.submit(endpoint: "r")
            let second = try await fixture.submit(endpoint: "r")
            let info = WorkerInfo(id: "dead", host: "h", pid: 1, endpoints: ["r"], concurrency: 1, startedAt: 0)
            _ = try await fixture.store.heartbeat(info, running: [], lease: .seconds(30), registrationTTL: .seconds(60))
            // The manager moved the first job into its claiming list and died before claiming it.
            try await fixture.redis.send("LMOVE", fixture.keys.queue("r"), fixture.keys.workerClaiming("dead", endpoint: "r"), "RIGHT", "LEFT")
            try await fixture.redis.send("ZADD", fixture.keys.workers, 0, "dead")
            let summary = try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(10))
            #expect(summary.workersRemoved == 1 && summary.claimsReturned == 1)
            let next = try await fixture.store.claimNext(workerID: "alive", endpoints: ["r"], max: 2, lease: .seconds(30))
            #expect(next.map(\.id) == [first, second])
        }
    }

    @Test func orphansWithoutALeaseAreFoundAndRequeued() async throws {
        try await JobFixture.run { fixture in
            let orphan = try await fixture.submit(endpoint: "o")
            let healthy = try await fixture.submit(endpoint: "o")
            _ = try await fixture.store.claimNext(workerID: "w1", endpoints: ["o"], max: 2, lease: .seconds(30))
            // The lease write was lost (failover, or deleted by hand): nothing would ever reap it.
            try await fixture.redis.send("ZREM", fixture.keys.leases, orphan)
            try await fixture.redis.send("RPUSH", fixture.keys.jobDeliveries(orphan), "{}")  // a list under job:*, skipped
            var cursor = "0"
            var adopted = 0
            repeat {
                let step = try await fixture.store.sweepOrphans(cursor: cursor, count: 1)
                cursor = step.cursor
                adopted += step.adopted
            } while cursor != "0"
            #expect(adopted == 1)
            #expect(try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(60)).requeued == 1)
            #expect(try await fixture.status(orphan) == .inQueue)
            #expect(try await fixture.status(healthy) == .inProgress)
            // A second sweep finds nothing.
            #expect(try await fixture.store.sweepOrphans(cursor: "0", count: 1000).adopted == 0)
        }
    }

    @Test func requeuedJobRunsNextThenFailsWhenRequeuesRunOut() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(endpoint: "rq")
            let other = try await fixture.submit(endpoint: "rq")
            _ = try await fixture.store.claimNext(workerID: "w1", endpoints: ["rq"], max: 1, lease: .seconds(30))
            try await fixture.redis.send("ZADD", fixture.keys.leases, 0, id)
            #expect(try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(60)).requeued == 1)
            let again = try await fixture.store.claimNext(workerID: "w2", endpoints: ["rq"], max: 1, lease: .seconds(30))
            #expect(again.map(\.id) == [id] && again.first?.attempt == 2)
            // The first worker comes back from the dead: its completion is refused.
            #expect(try await fixture.store.finish(id, workerID: "w1", outcome: .completed(output: "1")) == .refused(current: .inProgress))
            try await fixture.redis.send("ZADD", fixture.keys.leases, 0, id)
            #expect(try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(60)).failed == 1)
            let record = try await fixture.store.record(id)
            #expect(record?.status == .failed)
            #expect(record?.error?.contains("worker w2 lost") == true)
            #expect(try await fixture.status(other) == .inQueue)
        }
    }

    @Test func heartbeatExtendsOwnLeasesAndReportsLostOnes() async throws {
        try await JobFixture.run { fixture in
            let mine = try await fixture.submit(endpoint: "hb")
            let cancelled = try await fixture.submit(endpoint: "hb")
            _ = try await fixture.store.claimNext(workerID: "w", endpoints: ["hb"], max: 2, lease: .seconds(5))
            _ = try await fixture.store.cancel(cancelled)
            let info = WorkerInfo(id: "w", host: "h", pid: 42, endpoints: ["hb"], concurrency: 4, startedAt: 1)
            let lost = try await fixture.store.heartbeat(info, running: [mine, cancelled], lease: .seconds(60), registrationTTL: .seconds(30))
            #expect(lost == [cancelled])
            let deadline = try await fixture.redis.send("ZSCORE", fixture.keys.leases, mine).int ?? 0
            let now = try await fixture.store.serverTimeMilliseconds()
            #expect(deadline > now + 50_000)
            let worker = try await fixture.redis.send("HGETALL", fixture.keys.worker("w")).stringDictionary ?? [:]
            #expect(worker["host"] == "h" && worker["running"] == "2" && worker["concurrency"] == "4")
            let health = try await fixture.store.health(endpoint: "hb", workerDeadAfter: .seconds(30))
            #expect(health.runningWorkers == 2 && health.idleWorkers == 2)
        }
    }

    @Test func queueTTLExpiresWaitingJobs() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(endpoint: "ttl", policy: JobPolicy(ttl: 100))
            try await Task.sleep(for: .milliseconds(150))
            // Whichever comes first, a claim or the reaper, ends it TIMED_OUT.
            let claimed = try await fixture.store.claimNext(workerID: "w", endpoints: ["ttl"], max: 1, lease: .seconds(30))
            #expect(claimed.isEmpty)
            let record = try await fixture.store.record(id)
            #expect(record?.status == .timedOut)
            #expect(record?.error == "job waited in the queue longer than its ttl")
        }
    }

    @Test func purgeCancelsQueuedJobs() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<7 { ids.append(try await fixture.submit(endpoint: "p")) }
            _ = try await fixture.store.cancel(ids[0])
            #expect(try await fixture.store.purgeQueue(endpoint: "p", batch: 2) == 6)
            for id in ids { #expect(try await fixture.status(id) == .cancelled) }
        }
    }

    @Test func cancelRacingCompletionHasExactlyOneWinner() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<200 { ids.append(try await fixture.submit(endpoint: "race")) }
            _ = try await fixture.store.claimNext(workerID: "w", endpoints: ["race"], max: 200, lease: .seconds(30))
            let results = try await withThrowingTaskGroup(of: (String, TransitionResult, TransitionResult).self) { group in
                for id in ids {
                    group.addTask {
                        async let cancel = fixture.store.cancel(id)
                        async let finish = fixture.store.finish(id, workerID: "w", outcome: .completed(output: "1"))
                        return (id, try await cancel, try await finish)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var cancelled = 0, completed = 0
            for (id, cancel, finish) in results {
                let status = try await fixture.status(id)
                switch (cancel, finish) {
                case (.applied, .refused(current: .cancelled)):
                    cancelled += 1
                    #expect(status == .cancelled)
                case (.refused(current: .completed), .applied):
                    completed += 1
                    #expect(status == .completed)
                default:
                    Issue.record("job \(id): cancel \(cancel), finish \(finish)")
                }
                let terminal = try await fixture.events(for: id).filter { JobStatus(rawValue: $0["to"] ?? "")?.isTerminal == true }
                #expect(terminal.count == 1)
            }
            #expect(cancelled + completed == 200)
            let stats = try await fixture.redis.send("HGETALL", fixture.keys.endpointStats("race")).stringDictionary ?? [:]
            #expect(stats["inProgress"] == "0")
            #expect(Int(stats["completed"] ?? "0") == completed && Int(stats["cancelled"] ?? "0") == cancelled)
        }
    }

    @Test func scriptsSurviveScriptFlush() async throws {
        try await JobFixture.run { fixture in
            _ = try await fixture.submit()
            try await fixture.redis.send("SCRIPT", "FLUSH")
            let id = try await fixture.submit()
            #expect(try await fixture.status(id) == .inQueue)
        }
    }
}
