/// The `# HELP` line of every metric. swift-metrics has no place for help text, and the
/// Prometheus registry refuses one family made with and without it, so the exposition adds
/// these lines to the text it emits (`promtool check metrics` wants one per family).
enum MetricHelp {
    static let texts: [String: String] = [
        "orchestrator_jobs_total": "Job transitions into each state, counted by the role that made them.",
        "orchestrator_jobs_requeued_total": "Jobs put back in the queue without a /retry (lost worker, shutdown).",
        "orchestrator_job_delay_seconds": "Time from queued to started.",
        "orchestrator_job_execution_seconds": "Time from started to ended.",
        "orchestrator_queue_depth": "Jobs waiting in the endpoint's queues (read from Redis at scrape time).",
        "orchestrator_queue_oldest_age_seconds": "Age of the endpoint's oldest waiting job (0 when none).",
        "orchestrator_jobs_running": "Jobs held by live workers.",
        "orchestrator_workers": "Handler slots of live workers, idle or busy.",
        "orchestrator_webhook_deliveries_total": "Webhook deliveries by outcome (success, failure = will be retried, dead, dropped).",
        "orchestrator_webhook_attempt_seconds": "Duration of one webhook HTTP attempt.",
        "orchestrator_webhook_retry_pending": "Webhook lanes waiting for their next attempt.",
        "orchestrator_webhook_dead_letters_pending": "Dead letters not yet resolved or ignored.",
        "orchestrator_notifier_lag": "Events the notifiers' consumer group has not read yet.",
        "orchestrator_redis_errors_total": "Failed Redis commands and lost connections, by role.",
        "hb_requests_total": "HTTP requests by route pattern, method and status.",
        "hb_request_errors_total": "HTTP requests that ended in an error, by route pattern.",
        "http_server_request_duration_seconds": "HTTP request duration by route pattern, method and status.",
        "http_server_active_requests": "HTTP requests in progress.",
    ]

    /// Hummingbird's metric names, made Prometheus-style: counters end in `_total`, durations
    /// say their unit.
    static func prometheusName(_ label: String) -> String {
        switch label {
        case "hb.requests": "hb_requests_total"
        case "hb.request.errors": "hb_request_errors_total"
        case "http.server.request.duration": "http_server_request_duration_seconds"
        default: label
        }
    }

    /// `text` with a `# HELP` line before each family's `# TYPE` line.
    static func annotate(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count + 4096)
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("# TYPE ") {
                let name = line.dropFirst(7).prefix { $0 != " " }
                let help = texts[String(name)] ?? name.replacingOccurrences(of: "_", with: " ")
                out += "# HELP \(name) \(help)\n"
            }
            out += line
            out += "\n"
        }
        if out.hasSuffix("\n\n") { out.removeLast() }
        return out
    }
}
