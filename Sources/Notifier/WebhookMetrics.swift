import Metrics

/// The notifier's own metrics (names are part of the interface; the README lists them).
enum WebhookMetrics {
    private static let attempt = Timer(label: "orchestrator_webhook_attempt_seconds", preferredDisplayUnit: .seconds)
    private static let outcomes = Dictionary(uniqueKeysWithValues: ["success", "failure", "dead", "dropped"].map {
        ($0, Counter(label: "orchestrator_webhook_deliveries_total", dimensions: [("outcome", $0)]))
    })

    /// `orchestrator_webhook_deliveries_total{outcome}`: success, failure (an attempt that will be
    /// retried), dead (dead-lettered), dropped (its subscription is gone).
    static func delivery(_ outcome: String) {
        outcomes[outcome]?.increment()
    }

    static func attempted(milliseconds: Int) {
        attempt.recordMilliseconds(max(0, milliseconds))
    }
}
