import Foundation
import OrchestratorCore
import Redis
import Testing

@Suite("Job lifecycle in Redis")
struct JobLifecycleTests {
    @Test func submitWritesACompactHashAnEntryAndAnEvent() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(input: #"{"prompt":"a cat","list":[]}"#, webhook: "http://127.0.0.1:9/hook",
                                              policy: JobPolicy(executionTimeout: 5000))
            let fields = try await fixture.redis.send("HGETALL", fixture.ep("ep").job(id)).stringDictionary ?? [:]
            #expect(fields["status"] == "IN_QUEUE" && fields["seq"] == "1")
            #expect(fields["webhook"] == "http://127.0.0.1:9/hook")
            #expect(fields["executionTimeout"] == "5000")
            #expect(Int(fields["createdAt"] ?? "") ?? 0 > 1_700_000_000_000)
            // The input travels in the queue entry while the job waits, not in the hash.
            #expect(fields["input"] == nil)
            let entries = try await fixture.redis.send("LRANGE", fixture.ep("ep").queue, 0, -1).array?.compactMap(\.string) ?? []
            #expect(entries.map(QueueEntry.init) == [QueueEntry(id: id, input: #"{"prompt":"a cat","list":[]}"#)])
            // Redis keeps the hash compact, and a queued job never expires.
            #expect(try await fixture.redis.send("OBJECT", "ENCODING", fixture.ep("ep").job(id)).string == "listpack")
            #expect(try await fixture.redis.send("PTTL", fixture.ep("ep").job(id)).int == -1)
            let event = try #require(try await fixture.events(for: id).first)
            #expect(event == JobTransition(job: id, from: nil, to: .inQueue, seq: 1, webhook: "http://127.0.0.1:9/hook"))
            await #expect(throws: JobStoreError.duplicateID(id)) {
                try await fixture.store.submit(JobSubmission(id: id, endpoint: "ep", input: "{}"))
            }
        }
    }

    @Test func eventsCarryTimesAndBodiesFollowRunPodShapes() async throws {
        try await JobFixture.run { fixture in
            let (id, endpoint) = try await fixture.job(in: .completed)
            let events = try await fixture.events(for: id, endpoint: endpoint)
            #expect(events.map(\.seq) == [1, 2, 3])
            #expect(events.map(\.to) == [.inQueue, .inProgress, .completed])
            #expect(events[1].delayTime != nil && events[2].executionTime == 5)
            let record = try #require(try await fixture.record(id, endpoint: endpoint))
            #expect(record.completedAt == (record.startedAt ?? 0) + 5)
            let done = try JSONScanner.topLevelMembers(Array(RunPodBody(record: record).json(for: .webhook).utf8))
            #expect(Set(done.keys) == ["id", "status", "delayTime", "executionTime", "output"])
            #expect(done["output"]?.text == #"{"ok":true}"#)
            let status = try JSONScanner.topLevelMembers(Array(record.statusBody.utf8))
            #expect(status["workerId"]?.text == #""\#(JobFixture.worker)""#)
            let queued = RunPodBody(id: id, status: "IN_QUEUE", delayTime: 3).json(for: .webhook)
            #expect(queued == #"{"id":"\#(id)","status":"IN_QUEUE"}"#)

            let (failedID, failedEndpoint) = try await fixture.job(in: .failed)
            let failed = try #require(try await fixture.record(failedID, endpoint: failedEndpoint))
            let body = try JSONScanner.topLevelMembers(Array(RunPodBody(record: failed).json(for: .webhook).utf8))
            #expect(body["error"]?.text == #""boom""# && body["output"]?.text == "null")
            #expect(try await fixture.redis.send("TTL", fixture.ep(failedEndpoint).job(failedID)).int ?? 0 > 3500)
        }
    }

    @Test func fifoOrderAndBatchClaims() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<5 { ids.append(try await fixture.submit(endpoint: "fifo")) }
            let first = try await fixture.claim(endpoint: "fifo", max: 3)
            #expect(first.map(\.id) == Array(ids.prefix(3)))
            #expect(first.allSatisfy { $0.attempt == 1 && $0.input == #"{"n":1}"# && $0.executionTimeout == 600_000 && $0.seq == 2 })
            let rest = try await fixture.claim(endpoint: "fifo", max: 10)
            #expect(rest.map(\.id) == Array(ids.suffix(2)))
            let record = try await fixture.record(ids[0], endpoint: "fifo")
            #expect(record?.input == #"{"n":1}"# && record?.worker == JobFixture.worker)
            let health = try await fixture.store.health(endpoint: "fifo")
            #expect(health.inQueue == 0)
        }
    }

    @Test func lowPriorityJobsRunOnlyWhenNoNormalJobWaits() async throws {
        try await JobFixture.run { fixture in
            let low = try await fixture.submit(endpoint: "lp", policy: JobPolicy(lowPriority: true))
            let normal = try await fixture.submit(endpoint: "lp")
            #expect(try await fixture.claim(endpoint: "lp", max: 2).map(\.id) == [normal, low])
        }
    }

    @Test func blockingClaimMovesBeforeClaiming() async throws {
        try await JobFixture.run { fixture in
            let connection = fixture.redis.makeDedicatedConnection()
            defer { connection.close() }
            let waiter = Task {
                try await fixture.store.waitAndClaim(on: connection, workerID: "w", endpoint: "blk", timeout: .seconds(10))
            }
            try await Task.sleep(for: .milliseconds(100))
            let id = try await fixture.submit(endpoint: "blk")
            let claimed = try await waiter.value
            #expect(claimed?.id == id && claimed?.input == #"{"n":1}"#)
            #expect(try await fixture.status(id, endpoint: "blk") == .inProgress)
            #expect(try await fixture.redis.send("LLEN", fixture.ep("blk").claiming("w")) == .integer(0))
            #expect(try await fixture.redis.send("SISMEMBER", fixture.ep("blk").running("w"), id) == .integer(1))
        }
    }

    @Test func lostWorkersClaimingListGoesBackToTheQueueHead() async throws {
        try await JobFixture.run { fixture in
            let first = try await fixture.submit(endpoint: "r")
            let second = try await fixture.submit(endpoint: "r")
            let info = WorkerInfo(id: "dead", host: "h", pid: 1, endpoints: ["r"], concurrency: 1, startedAt: 0)
            try await fixture.store.heartbeat(info, running: 0, lease: .seconds(60), registrationTTL: .seconds(60))
            // The manager moved the first job into its claiming list and died before claiming it.
            try await fixture.redis.send("LMOVE", fixture.ep("r").queue, fixture.ep("r").claiming("dead"), "RIGHT", "LEFT")
            let summary = try await fixture.reapLost("dead")
            #expect(summary.workersRemoved == 1 && summary.claimsReturned == 1)
            #expect(try await fixture.redis.send("ZSCORE", fixture.keys.global.workers, "dead").isNull)
            let lost = try await fixture.redis.send("XRANGE", fixture.keys.global.events, "-", "+").array ?? []
            let event = try #require(lost.first?.array)
            #expect(StreamEntry(id: event[0].string ?? "", fields: event[1].stringDictionary ?? [:]).event == .workerLost(worker: "dead", endpoints: ["r"]))
            #expect(try await fixture.claim(endpoint: "r", worker: "alive", max: 2).map(\.id) == [first, second])
        }
    }

    @Test func orphansNoLiveWorkerHoldsAreFoundAndRequeued() async throws {
        try await JobFixture.run { fixture in
            let orphan = try await fixture.submit(endpoint: "o")
            let healthy = try await fixture.submit(endpoint: "o")
            let info = WorkerInfo(id: JobFixture.worker, host: "h", pid: 1, endpoints: ["o"], concurrency: 2, startedAt: 0)
            try await fixture.store.heartbeat(info, running: 2, lease: .seconds(60), registrationTTL: .seconds(60))
            try await fixture.claim(endpoint: "o", max: 2)
            // The running-set write was lost (failover, or deleted by hand): nothing would reap it.
            try await fixture.redis.send("SREM", fixture.ep("o").running(JobFixture.worker), orphan)
            try await fixture.redis.send("RPUSH", fixture.ep("o").deliveries(orphan), "{}")  // a list under job:*, skipped
            var cursor = "0"
            var orphans = 0
            repeat {
                let pass = try await Reaper(store: fixture.store).pass(maxRequeues: 1, orphanCursor: cursor, orphanPage: 1)
                cursor = pass.cursor
                orphans += pass.summary.orphans
            } while cursor != "0"
            #expect(orphans == 1)
            #expect(try await fixture.status(orphan, endpoint: "o") == .inQueue)
            #expect(try await fixture.status(healthy, endpoint: "o") == .inProgress)
            // A second sweep finds nothing.
            #expect(try await fixture.reap().orphans == 0)
        }
    }

    @Test func requeuedJobRunsNextThenFailsWhenRequeuesRunOut() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit()
            let other = try await fixture.submit()
            try await fixture.claim(endpoint: "ep", worker: "w1")
            let firstRun = try #require(fixture.claimed(id))
            #expect(try await fixture.reapLost("w1").requeued == 1)
            let again = try await fixture.claim(endpoint: "ep", worker: "w2")
            #expect(again.map(\.id) == [id] && again.first?.attempt == 2 && again.first?.input == #"{"n":1}"#)
            // The first worker comes back from the dead: its completion is refused.
            #expect(try await fixture.store.finish(firstRun, workerID: "w1", outcome: .completed(output: "1"), elapsed: .zero) == .refused(current: .inProgress))
            #expect(try await fixture.reapLost("w2").failed == 1)
            let record = try await fixture.record(id)
            #expect(record?.status == .failed && record?.requeues == 1)
            #expect(record?.error?.contains("worker w2 lost") == true)
            #expect(try await fixture.status(other) == .inQueue)
        }
    }

    @Test func heartbeatRegistersAndRunningSetsSayWhatAWorkerHolds() async throws {
        try await JobFixture.run { fixture in
            let mine = try await fixture.submit(endpoint: "hb")
            let cancelled = try await fixture.submit(endpoint: "hb")
            try await fixture.claim(endpoint: "hb", worker: "w", max: 2)
            _ = try await fixture.store.cancel(endpoint: "hb", id: cancelled)
            let info = WorkerInfo(id: "w", host: "h", pid: 42, endpoints: ["hb"], concurrency: 4, startedAt: 1)
            let now = try await fixture.store.heartbeat(info, running: 2, lease: .seconds(60), registrationTTL: .seconds(30))
            #expect(try await fixture.store.held(workerID: "w", endpoints: ["hb"]) == ["hb": [mine]])
            #expect(try await fixture.redis.send("ZSCORE", fixture.keys.global.workers, "w").int == now + 60_000)
            let worker = try await fixture.redis.send("HGETALL", fixture.keys.global.worker("w")).stringDictionary ?? [:]
            #expect(worker["host"] == "h" && worker["running"] == "2" && worker["concurrency"] == "4" && worker["kind"] == "manager")
            #expect(try await fixture.store.directory.all() == ["hb"])
            let health = try await fixture.store.health(endpoint: "hb")
            #expect(health.runningWorkers == 2 && health.idleWorkers == 2 && health.inProgress == 1)
        }
    }

    @Test func queueTTLExpiresWaitingJobs() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(endpoint: "ttl", policy: JobPolicy(ttl: 100))
            try await Task.sleep(for: .milliseconds(150))
            // Whichever comes first, a claim or the reaper, ends it TIMED_OUT.
            #expect(try await fixture.claim(endpoint: "ttl").isEmpty)
            let record = try await fixture.record(id, endpoint: "ttl")
            #expect(record?.status == .timedOut)
            #expect(record?.error == "job waited in the queue longer than its ttl")
            #expect(record?.input == #"{"n":1}"#)
        }
    }

    @Test func cancellingAQueuedJobLeavesATombstoneARetryTakesBack() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(endpoint: "t")
            let other = try await fixture.submit(endpoint: "t")
            #expect(try await fixture.store.cancel(endpoint: "t", id: id) == .applied(from: .inQueue))
            #expect(try await fixture.redis.send("LLEN", fixture.ep("t").queue) == .integer(2))
            #expect(try await fixture.store.health(endpoint: "t").inQueue == 1)
            #expect(try await fixture.store.retry(endpoint: "t", id: id) == .applied(from: .cancelled))
            #expect(try await fixture.store.health(endpoint: "t").inQueue == 2)
            // Still in its old place, once.
            #expect(try await fixture.claim(endpoint: "t", max: 5).map(\.id) == [id, other])
            #expect(try await fixture.redis.send("HGET", fixture.ep("t").stats, "tombstones") == .bulkString(Array("0".utf8)))
        }
    }

    @Test func aPoppedTombstoneKeepsItsInputForARetry() async throws {
        try await JobFixture.run { fixture in
            let id = try await fixture.submit(endpoint: "t2", input: #"{"keep":1}"#)
            _ = try await fixture.store.cancel(endpoint: "t2", id: id)
            #expect(try await fixture.claim(endpoint: "t2").isEmpty)
            #expect(try await fixture.store.health(endpoint: "t2").inQueue == 0)
            #expect(try await fixture.store.retry(endpoint: "t2", id: id) == .applied(from: .cancelled))
            #expect(try await fixture.claim(endpoint: "t2").first?.input == #"{"keep":1}"#)
        }
    }

    @Test func retryKeepsTheEndedOutputForWebhooksOnTheirWay() async throws {
        try await JobFixture.run { fixture in
            let (id, endpoint) = try await fixture.job(in: .failed)
            let ended = try #require(try await fixture.record(id, endpoint: endpoint))
            #expect(try await fixture.store.retry(endpoint: endpoint, id: id) == .applied(from: .failed))
            let kept = try await fixture.redis.send("HGETALL", fixture.ep(endpoint).ended(id, seq: ended.seq)).stringDictionary ?? [:]
            #expect(kept["error"] == "boom")
            let retried = try #require(try await fixture.record(id, endpoint: endpoint))
            #expect(retried.status == .inQueue && retried.error == nil && retried.input == nil && retried.seq == ended.seq + 1)
            #expect(try await fixture.redis.send("PTTL", fixture.ep(endpoint).job(id)).int == -1)
            #expect(try await fixture.claim(endpoint: endpoint).first?.attempt == 2)
        }
    }

    @Test func purgeCancelsQueuedJobsInSlices() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<7 { ids.append(try await fixture.submit(endpoint: "p")) }
            _ = try await fixture.store.cancel(endpoint: "p", id: ids[0])
            #expect(try await fixture.store.purgeQueue(endpoint: "p", batch: 2) == 6)
            for id in ids { #expect(try await fixture.status(id, endpoint: "p") == .cancelled) }
            #expect(try await fixture.redis.send("LLEN", fixture.ep("p").queue) == .integer(0))
            #expect(try await fixture.store.health(endpoint: "p").inQueue == 0)
            #expect(try await fixture.record(ids[3], endpoint: "p")?.input == #"{"n":1}"#)
        }
    }

    @Test func cancelRacingCompletionHasExactlyOneWinner() async throws {
        try await JobFixture.run { fixture in
            var ids: [String] = []
            for _ in 0..<200 { ids.append(try await fixture.submit(endpoint: "race")) }
            try await fixture.claim(endpoint: "race", max: 200)
            let results = try await withThrowingTaskGroup(of: (String, TransitionResult, TransitionResult).self) { group in
                for id in ids {
                    group.addTask {
                        async let cancel = fixture.store.cancel(endpoint: "race", id: id)
                        async let finish = fixture.finish(id, .completed(output: "1"))
                        return (id, try await cancel, try await finish)
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            var cancelled = 0, completed = 0
            for (id, cancel, finish) in results {
                let status = try await fixture.status(id, endpoint: "race")
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
                let terminal = try await fixture.events(for: id, endpoint: "race").filter(\.to.isTerminal)
                #expect(terminal.count == 1)
            }
            #expect(cancelled + completed == 200)
            let stats = try await fixture.redis.send("HGETALL", fixture.ep("race").stats).stringDictionary ?? [:]
            #expect(Int(stats["completed"] ?? "0") == completed && Int(stats["cancelled"] ?? "0") == cancelled)
            #expect(try await fixture.redis.send("SCARD", fixture.ep("race").running(JobFixture.worker)) == .integer(0))
        }
    }

    @Test func concurrentSubmitsAndResultsShareScriptCalls() async throws {
        try await JobFixture.run { fixture in
            try await fixture.redis.send("CONFIG", "RESETSTAT")
            let ids = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<300 { group.addTask { try await fixture.submit(endpoint: "gc") } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let claimed = try await fixture.claim(endpoint: "gc", max: 300)
            #expect(Set(claimed.map(\.id)) == Set(ids))
            let results = try await withThrowingTaskGroup(of: TransitionResult.self) { group in
                for id in ids { group.addTask { try await fixture.finish(id, .completed(output: "{}")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.allSatisfy { $0 == .applied(from: .inProgress) })
            let stats = try await fixture.redis.send("INFO", "commandstats").string ?? ""
            let evalsha = stats.split(separator: "\r\n").first { $0.hasPrefix("cmdstat_evalsha:") }
                .flatMap { $0.split(separator: "=").dropFirst().first?.split(separator: ",").first }.flatMap { Int($0) } ?? 0
            // 300 submits and 300 results, one claim: far fewer than 601 script calls.
            #expect(evalsha > 2 && evalsha < 300)
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
