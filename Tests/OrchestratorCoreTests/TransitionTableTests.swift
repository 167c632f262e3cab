import OrchestratorCore
import Redis
import Testing

/// Every (from, to, actor) combination, tried against the real scripts in a real Redis:
/// allowed moves happen and are recorded once in the events stream; refused ones change nothing.
@Suite("Transition table")
struct TransitionTableTests {
    /// One way of asking for a move, as the API, a worker or the reaper would.
    struct Attempt: CustomTestStringConvertible, Sendable {
        let to: JobStatus
        let actor: JobTransitions.Actor
        let name: String
        /// Creates the job (only a move from "no job" can do that).
        var creates = false
        let perform: @Sendable (JobFixture, String, String) async throws -> Void
        var testDescription: String { name }
    }

    static let attempts: [Attempt] = [
        Attempt(to: .inQueue, actor: .api, name: "submit", creates: true) { fixture, id, endpoint in
            _ = try? await fixture.store.submit(JobSubmission(id: id, endpoint: endpoint, input: "{}"))
        },
        Attempt(to: .inProgress, actor: .worker, name: "claim") { fixture, id, endpoint in
            // A stale entry in the queue must not start a job that is not IN_QUEUE.
            let entry = QueueEntry(id: id, input: "{}").text
            if try await fixture.redis.send("LLEN", fixture.ep(endpoint).queue).int == 0 {
                try await fixture.redis.send("LPUSH", fixture.ep(endpoint).queue, entry)
            }
            try await fixture.claim(endpoint: endpoint)
        },
        Attempt(to: .completed, actor: .worker, name: "finish COMPLETED") { fixture, id, endpoint in
            _ = try await fixture.finish(id, endpoint: endpoint, .completed(output: "1"))
        },
        Attempt(to: .failed, actor: .worker, name: "finish FAILED") { fixture, id, endpoint in
            _ = try await fixture.finish(id, endpoint: endpoint, .failed(error: "x"))
        },
        Attempt(to: .timedOut, actor: .worker, name: "finish TIMED_OUT") { fixture, id, endpoint in
            _ = try await fixture.finish(id, endpoint: endpoint, .timedOut(error: "x"))
        },
        Attempt(to: .cancelled, actor: .api, name: "cancel") { fixture, id, endpoint in
            _ = try await fixture.store.cancel(endpoint: endpoint, id: id)
        },
        Attempt(to: .inQueue, actor: .api, name: "retry") { fixture, id, endpoint in
            _ = try await fixture.store.retry(endpoint: endpoint, id: id)
        },
        Attempt(to: .inQueue, actor: .worker, name: "release at shutdown") { fixture, id, endpoint in
            let job = fixture.claimed(id) ?? ClaimedJob(id: id, endpoint: endpoint, input: "", executionTimeout: 0)
            _ = try await fixture.store.release(job, workerID: JobFixture.worker)
        },
        Attempt(to: .inQueue, actor: .reaper, name: "reap lost worker, requeues left") { fixture, _, _ in
            _ = try await fixture.reapLost(maxRequeues: 1)
        },
        Attempt(to: .failed, actor: .reaper, name: "reap lost worker, no requeues left") { fixture, _, _ in
            _ = try await fixture.reapLost(maxRequeues: 0)
        },
        Attempt(to: .timedOut, actor: .reaper, name: "reap queue deadline") { fixture, id, endpoint in
            try await fixture.redis.send("ZADD", fixture.ep(endpoint).queueDeadlines, 0, id)
            _ = try await fixture.reap()
        },
    ]

    static let fromStates: [JobStatus?] = [nil] + JobStatus.allCases.map { $0 }

    @Test(arguments: fromStates, attempts)
    func move(from: JobStatus?, attempt: Attempt) async throws {
        try await JobFixture.run { fixture in
            let (id, endpoint) = try await fixture.job(in: from)
            let before = try await fixture.record(id, endpoint: endpoint)
            let eventsBefore = try await fixture.events(for: id, endpoint: endpoint).count
            try await attempt.perform(fixture, id, endpoint)
            let after = try await fixture.record(id, endpoint: endpoint)
            let events = try await fixture.events(for: id, endpoint: endpoint)

            let allowed = (from == nil) == attempt.creates && JobTransitions.all.contains {
                $0.from == from && $0.to == attempt.to && $0.actor == attempt.actor
            }
            if allowed {
                #expect(after?.status == attempt.to, "\(attempt.name) from \(String(describing: from))")
                #expect(events.count == eventsBefore + 1)
                #expect(events.last?.from == from && events.last?.to == attempt.to && events.last?.seq == after?.seq)
                // An ended job's key lives the retention; a queued or running one does not expire.
                let ttl = try await fixture.redis.send("TTL", fixture.ep(endpoint).job(id)).int ?? 0
                if attempt.to.isTerminal { #expect(ttl > 3500 && ttl <= 3600) } else { #expect(ttl == -1) }
            } else {
                // A refused move changes nothing but, for a tombstone a claim met, where the input is kept.
                var unchanged = after?.fields ?? [:]
                if before?.input == nil { unchanged["input"] = nil }
                #expect(unchanged == (before?.fields ?? [:]), "\(attempt.name) from \(String(describing: from)) changed the job")
                #expect(events.count == eventsBefore, "\(attempt.name) from \(String(describing: from)) emitted an event")
            }
        }
    }

    @Test func tableMatchesDesign() {
        #expect(JobTransitions.all.count == 14)
        for state in JobStatus.allCases where state.isTerminal {
            #expect(!JobTransitions.isAllowed(from: state, to: .completed))
            #expect(!JobTransitions.isAllowed(from: state, to: .inProgress))
        }
    }
}
