import OrchestratorCore
import Redis
@testable import Webhooks

/// Calls of the lane scripts the way the notifier makes them, within one endpoint's scope.
struct Lanes {
    let redis: RedisClient
    let keys = KeySpace()
    let endpoint = "ep"

    var scope: WebhookKeys { keys.endpoint(endpoint).webhooks }
    var ep: EndpointKeys { keys.endpoint(endpoint) }

    /// A delivery of a job transition to a job's own URL.
    func delivery(_ job: String, _ entry: String, seq: Int = 0, status: JobStatus = .inQueue, url: String = "http://r/x") -> WebhookDelivery {
        WebhookDelivery(url: url, entry: StreamEntry(id: entry, event: .transition(JobTransition(job: job, from: nil, to: status, seq: seq))),
                        type: .jobQueued)
    }

    func createGroup() async throws {
        try await redis.send("XGROUP", "CREATE", scope.events, keys.notifierGroup, "0", "MKSTREAM")
    }

    /// Enqueues deliveries and acknowledges `entries` (with the (job, seq) pairs to mark fanned out).
    func enqueue(entries: [String] = [], marks: [(String, Int)]? = nil, _ deliveries: [WebhookDelivery], park: Int = 0) async throws -> [LaneHead] {
        var arguments: [any RedisArgumentConvertible] = [keys.notifierGroup, 60_000, entries.count]
        arguments += entries
        for (job, seq) in marks ?? entries.map { _ in ("", 0) } { arguments += [job, seq] }
        for d in deliveries { arguments += [d.lane, d.stored, park] }
        let reply = try await LaneScripts.enqueue.run(on: redis, keys: [scope.base, scope.due, scope.events], arguments: arguments)
        return LaneHead.list(reply.array ?? [], scope: .endpoint(endpoint))
    }

    func advance(_ d: WebhookDelivery, _ outcome: String, wait: Int = 0, deadMax: Int = 100, deadFields: [(String, String)] = [],
                 notice: [(String, String)] = []) async throws -> (String, LaneHead?) {
        var arguments: [any RedisArgumentConvertible] = [
            d.lane, d.id, outcome, d.stored, "", wait, 60_000, deadMax, 3_600_000, d.replay ? "1" : "0", deadFields.count * 2,
        ]
        for (field, value) in deadFields + notice { arguments += [field, value] }
        let reply = try await LaneScripts.advance.run(
            on: redis, keys: [scope.base, scope.due, scope.events, scope.deadLetters, scope.pendingDeadLetters], arguments: arguments)
        let values = reply.array ?? []
        return (values.first?.string ?? "", LaneHead.list(values, from: 1, scope: .endpoint(endpoint)).first)
    }

    func claimDue(limit: Int = 10) async throws -> [LaneHead] {
        let reply = try await LaneScripts.claimDue.run(on: redis, keys: [scope.base, scope.due], arguments: [60_000, limit])
        return LaneHead.list(reply.array ?? [], from: 2, scope: .endpoint(endpoint))
    }
}
