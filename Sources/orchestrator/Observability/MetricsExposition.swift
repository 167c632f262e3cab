import Foundation
import Logging
import Metrics
import OrchestratorCore
import Prometheus
import Redis
import Synchronization
import Webhooks

/// The process' metrics in Prometheus' text format (0.0.4): what its roles counted as they
/// worked, plus gauges read from Redis at scrape time (at most once a second: a busy scraper
/// costs Redis two or three round trips a second, never a `KEYS` or a full `SCAN`).
final class MetricsExposition: Sendable {
    /// What a scrape reads from Redis.
    enum Gauges: Sendable {
        /// Queue depth and oldest age, running jobs, worker slots, per endpoint (the API, `dev`).
        case jobs(JobStore)
        /// Webhook backlog: due lanes, pending dead letters, unread events (the notifier, `dev`).
        case webhooks(RedisClient, KeySpace)
    }

    private let registry: PrometheusCollectorRegistry
    private let gauges: [Gauges]
    private let logger: Logger
    private let sampled = Mutex<ContinuousClock.Instant?>(nil)

    private init(registry: PrometheusCollectorRegistry, gauges: [Gauges], logger: Logger) {
        self.registry = registry
        self.gauges = gauges
        self.logger = logger
    }

    private static let bootstrapped = Mutex<PrometheusCollectorRegistry?>(nil)

    /// Makes the Prometheus registry the metrics system's (once per process: `dev` runs every
    /// role in one) and returns the exposition reading `gauges` at scrape time.
    static func bootstrap(gauges: [Gauges], logger: Logger) -> MetricsExposition {
        let registry = bootstrapped.withLock { registry -> PrometheusCollectorRegistry in
            if let registry { return registry }
            let made = PrometheusCollectorRegistry()
            var factory = PrometheusMetricsFactory(registry: made)
            factory.nameAndLabelSanitizer = { name, labels in (MetricHelp.prometheusName(name), labels) }
            let jobTimes: [Duration] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600].map { .milliseconds(Int($0 * 1000)) }
            factory.durationHistogramBuckets["orchestrator_job_delay_seconds"] = jobTimes
            factory.durationHistogramBuckets["orchestrator_job_execution_seconds"] = jobTimes
            factory.durationHistogramBuckets["orchestrator_webhook_attempt_seconds"] =
                [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map { .milliseconds(Int($0 * 1000)) }
            MetricsSystem.bootstrap(factory)
            registry = made
            return made
        }
        return MetricsExposition(registry: registry, gauges: gauges, logger: logger)
    }

    /// The text a scrape gets.
    func text() async -> String {
        await sample()
        return MetricHelp.annotate(registry.emitToString())
    }

    private func sample() async {
        let now = ContinuousClock.now
        let due = sampled.withLock { last -> Bool in
            if let last, now - last < .seconds(1) { return false }
            last = now
            return true
        }
        guard due else { return }
        for source in gauges {
            do {
                switch source {
                case .jobs(let store):
                    for overview in try await store.overview() {
                        let endpoint = [("endpoint", overview.endpoint)]
                        JobMetrics.gauge("orchestrator_queue_depth", endpoint, Double(overview.depth))
                        JobMetrics.gauge("orchestrator_queue_oldest_age_seconds", endpoint,
                                         Double(overview.oldestAge?.wholeMilliseconds ?? 0) / 1000)
                        JobMetrics.gauge("orchestrator_jobs_running", endpoint, Double(overview.running))
                        JobMetrics.gauge("orchestrator_workers", endpoint + [("state", "idle")], Double(overview.idleSlots))
                        JobMetrics.gauge("orchestrator_workers", endpoint + [("state", "busy")], Double(overview.busySlots))
                    }
                case .webhooks(let redis, let keys):
                    let backlog = try await WebhookBacklog.read(redis: redis, keys: keys)
                    JobMetrics.gauge("orchestrator_webhook_retry_pending", [], Double(backlog.duePending))
                    JobMetrics.gauge("orchestrator_webhook_dead_letters_pending", [], Double(backlog.deadLettersPending))
                    JobMetrics.gauge("orchestrator_notifier_lag", [], Double(backlog.unreadEvents))
                }
            } catch {
                logger.debug("cannot read gauges from Redis for a scrape; the last values stay", metadata: ["error": "\(error)"])
            }
        }
    }
}
