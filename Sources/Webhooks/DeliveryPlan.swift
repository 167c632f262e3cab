/// Fan-out: the deliveries one events stream entry makes. The job's own `webhook` and
/// `webhookv2` get RunPod's payload; every active subscription that wants the event gets its
/// template's body. Each delivery is independent (own lane, attempts and dead letter).
public enum DeliveryPlan {
    public static func deliveries(entryID: String, fields: [String: String], subscriptions: [Subscription]) -> [WebhookDelivery] {
        let notice = EventNotice(entryID: entryID, fields: fields)
        var deliveries: [WebhookDelivery] = []
        if fields["type"] == nil, let job = fields["job"], let payload = fields["payload"] {
            var urls: [String] = []
            for key in ["webhook", "webhookv2"] {
                if let url = fields[key], !url.isEmpty, !urls.contains(url) { urls.append(url) }
            }
            deliveries += urls.map {
                WebhookDelivery(url: $0, job: job, event: entryID, status: fields["to"] ?? "", body: payload, type: notice?.type.rawValue)
            }
        }
        guard let notice else { return deliveries }
        // A subscription gets the events that happened after it was made, not the backlog.
        let happened = EventNotice.milliseconds(ofEntry: entryID)
        for subscription in subscriptions where subscription.createdAt <= happened && subscription.wants(notice.type, fields: fields) {
            deliveries.append(WebhookDelivery(
                subscription: subscription.id, url: subscription.url, job: notice.job, event: entryID,
                status: fields["to"] ?? "", body: subscription.template.render(notice), type: notice.type.rawValue))
        }
        // Job transitions carry their number, so lanes keep a job's webhooks in order.
        if let seq = fields["seq"].flatMap(Int.init), fields["type"] == nil {
            for index in deliveries.indices where !deliveries[index].job.isEmpty { deliveries[index].seq = seq }
        }
        return deliveries
    }
}
