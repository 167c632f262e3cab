import OrchestratorCore
import Redis
import Webhooks

/// Puts stream entries' deliveries into their lanes and acknowledges the entries (one script
/// per scope), and hands back the lanes this notifier now owns.
struct FanOut: Sendable {
    let redis: RedisClient
    let keys: KeySpace
    let configuration: NotifierConfiguration
    let subscriptions: SubscriptionCache
    let gate: HostGate

    func accept(_ entries: [StreamEntry], scope: WebhookScope, unreadable: (String) -> Void) async throws -> [LaneHead] {
        guard !entries.isEmpty else { return [] }
        let webhooks = keys.webhooks(scope)
        let endpoint: String? = if case .endpoint(let name) = scope { name } else { nil }
        var arguments: [any RedisArgumentConvertible] = [keys.notifierGroup, configuration.laneLease.wholeMilliseconds, entries.count]
        arguments += entries.map(\.id)
        for entry in entries {
            // Marks the job's transition as fanned out (the lanes' order gate).
            if case .transition(let transition) = entry.event {
                arguments += [transition.job, transition.seq]
            } else {
                arguments += ["", 0]
            }
        }
        let current = try await subscriptions.current()
        let deliveries = entries.flatMap { DeliveryPlan.deliveries(for: $0, endpoint: endpoint, subscriptions: current) }
        let parks = await gate.room(for: deliveries.map { HostGate.key(for: $0.url) })
        for (delivery, park) in zip(deliveries, parks) {
            arguments += [delivery.lane, delivery.stored, park?.wholeMilliseconds ?? 0]
        }
        let reply = try await LaneScripts.enqueue.run(
            on: redis, keys: [webhooks.base, webhooks.due, webhooks.events], arguments: arguments)
        return LaneHead.list(reply.array ?? [], scope: scope, unreadable: unreadable)
    }

    /// XREADGROUP's and XAUTOCLAIM's entry lists: [[id, [field, value, ...]], ...].
    static func entries(_ value: RedisValue) -> [StreamEntry] {
        (value.array ?? []).compactMap { entry in
            guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { return nil }
            return StreamEntry(id: id, fields: parts[1].stringDictionary ?? [:])
        }
    }
}
