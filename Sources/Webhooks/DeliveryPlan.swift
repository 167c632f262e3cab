import OrchestratorCore

/// Fan-out: the deliveries one events stream entry makes. The job's own `webhook` and
/// `webhookv2` get RunPod's payload; every active subscription that wants the event gets its
/// template's body. Each delivery is independent (own lane, attempts and dead letter).
public enum DeliveryPlan {
    /// - Parameter endpoint: the endpoint whose stream the entry is from (nil: the global stream).
    public static func deliveries(for entry: StreamEntry, endpoint: String?, subscriptions: [Subscription]) -> [WebhookDelivery] {
        guard let type = entry.event.type else { return [] }
        var deliveries: [WebhookDelivery] = []
        if case .transition(let transition) = entry.event {
            deliveries = transition.webhookTargets.map { WebhookDelivery(url: $0, entry: entry, type: type) }
        }
        let data = EventNotice.data(of: entry.event)
        // A subscription gets the events that happened after it was made, not the backlog.
        for subscription in subscriptions where subscription.createdAt <= entry.at && subscription.wants(entry.event, type: type, endpoint: endpoint) {
            deliveries.append(WebhookDelivery(subscription: subscription, entry: entry, type: type, data: data))
        }
        return deliveries
    }
}
