import Metrics

/// The job metrics every role records where the transition happens (names are part of the
/// interface: dashboards and alerts rely on them; the README lists them).
public enum JobMetrics {
    private static let counters = MetricHandles<Counter> { Counter(label: $0, dimensions: $1) }
    private static let timers = MetricHandles<Timer> { Timer(label: $0, dimensions: $1, preferredDisplayUnit: .seconds) }
    private static let gauges = MetricHandles<Gauge> { Gauge(label: $0, dimensions: $1) }

    /// `orchestrator_jobs_total{endpoint,status}`: transitions into `status`.
    public static func transitioned(endpoint: String, to status: JobStatus, count: Int = 1) {
        guard count > 0 else { return }
        counters.handle("orchestrator_jobs_total", [("endpoint", endpoint), ("status", status.rawValue)]).increment(by: count)
    }

    /// `orchestrator_jobs_requeued_total{endpoint,reason}`: back in the queue without a `/retry`.
    public static func requeued(endpoint: String, reason: String, count: Int = 1) {
        guard count > 0 else { return }
        counters.handle("orchestrator_jobs_requeued_total", [("endpoint", endpoint), ("reason", reason)]).increment(by: count)
    }

    /// `orchestrator_job_delay_seconds{endpoint}`: queued → started.
    public static func delay(endpoint: String, milliseconds: Int) {
        timers.handle("orchestrator_job_delay_seconds", [("endpoint", endpoint)]).recordMilliseconds(max(0, milliseconds))
    }

    /// `orchestrator_job_execution_seconds{endpoint}`: started → ended.
    public static func execution(endpoint: String, milliseconds: Int) {
        timers.handle("orchestrator_job_execution_seconds", [("endpoint", endpoint)]).recordMilliseconds(max(0, milliseconds))
    }

    /// A gauge read from Redis at scrape time (`orchestrator_queue_depth`, …).
    public static func gauge(_ label: String, _ dimensions: [(String, String)], _ value: Double) {
        gauges.handle(label, dimensions).record(value)
    }
}
