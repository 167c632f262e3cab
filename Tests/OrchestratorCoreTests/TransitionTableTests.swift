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
            // A stale id in the queue must not start a job that is not IN_QUEUE.
            if try await fixture.redis.send("LPOS", fixture.keys.queue(endpoint), id).isNull {
                try await fixture.redis.send("LPUSH", fixture.keys.queue(endpoint), id)
            }
            _ = try await fixture.store.claimNext(workerID: JobFixture.worker, endpoints: [endpoint], max: 1, lease: JobFixture.lease)
        },
        Attempt(to: .completed, actor: .worker, name: "finish COMPLETED") { fixture, id, _ in
            _ = try await fixture.store.finish(id, workerID: JobFixture.worker, outcome: .completed(output: "1"))
        },
        Attempt(to: .failed, actor: .worker, name: "finish FAILED") { fixture, id, _ in
            _ = try await fixture.store.finish(id, workerID: JobFixture.worker, outcome: .failed(error: "x"))
        },
        Attempt(to: .timedOut, actor: .worker, name: "finish TIMED_OUT") { fixture, id, _ in
            _ = try await fixture.store.finish(id, workerID: JobFixture.worker, outcome: .timedOut(error: "x"))
        },
        Attempt(to: .cancelled, actor: .api, name: "cancel") { fixture, id, _ in
            _ = try await fixture.store.cancel(id)
        },
        Attempt(to: .inQueue, actor: .api, name: "retry") { fixture, id, _ in
            _ = try await fixture.store.retry(id)
        },
        Attempt(to: .inQueue, actor: .worker, name: "release at shutdown") { fixture, id, _ in
            _ = try await fixture.store.release(id, workerID: JobFixture.worker)
        },
        Attempt(to: .inQueue, actor: .reaper, name: "reap expired lease, requeues left") { fixture, id, _ in
            try await fixture.redis.send("ZADD", fixture.keys.leases, 0, id)
            _ = try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(60))
        },
        Attempt(to: .failed, actor: .reaper, name: "reap expired lease, no requeues left") { fixture, id, _ in
            try await fixture.redis.send("ZADD", fixture.keys.leases, 0, id)
            _ = try await fixture.store.reap(maxRequeues: 0, workerDeadAfter: .seconds(60))
        },
        Attempt(to: .timedOut, actor: .reaper, name: "reap queue deadline") { fixture, id, _ in
            try await fixture.redis.send("ZADD", fixture.keys.queueDeadlines, 0, id)
            _ = try await fixture.store.reap(maxRequeues: 1, workerDeadAfter: .seconds(60))
        },
    ]

    static let fromStates: [JobStatus?] = [nil] + JobStatus.allCases.map { $0 }

    @Test(arguments: fromStates, attempts)
    func move(from: JobStatus?, attempt: Attempt) async throws {
        try await JobFixture.run { fixture in
            let (id, endpoint) = try await fixture.job(in: from)
            let before = try await fixture.store.record(id)
            let eventsBefore = try await fixture.events(for: id).count
            try await attempt.perform(fixture, id, endpoint)
            let after = try await fixture.store.record(id)
            let events = try await fixture.events(for: id)

            let allowed = (from == nil) == attempt.creates && JobTransitions.all.contains {
                $0.from == from && $0.to == attempt.to && $0.actor == attempt.actor
            }
            if allowed {
                #expect(after?.status == attempt.to, "\(attempt.name) from \(String(describing: from))")
                #expect(events.count == eventsBefore + 1)
                #expect(events.last?["from"] == (from?.rawValue ?? "") && events.last?["to"] == attempt.to.rawValue)
                let ttl = try await fixture.redis.send("TTL", fixture.keys.job(id)).int ?? 0
                #expect(ttl > 3500 && ttl <= 3600)
            } else {
                #expect(after == before, "\(attempt.name) from \(String(describing: from)) changed the job")
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
