import ArgumentParser
import Foundation

/// `--metrics-port` of the worker manager and the notifier (the API serves `/metrics` on its own port).
struct MetricsOptions: ParsableArguments {
    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics at http://<metrics-host>:<port>/metrics; off when not given (env ORCH_METRICS_PORT).")
    var metricsPort: Int?

    @Option(name: .customLong("metrics-host"), help: "Address the metrics port listens on (env ORCH_METRICS_HOST; default 127.0.0.1).")
    var metricsHostOption: String?

    var metricsHost: String { metricsHostOption ?? "127.0.0.1" }

    mutating func validate() throws {
        metricsPort = try Setting.resolve(metricsPort, flag: "--metrics-port", variable: "ORCH_METRICS_PORT", .wholeNumber, check: Check.within(0...65535))
        metricsHostOption = try Setting.resolve(metricsHostOption, flag: "--metrics-host", variable: "ORCH_METRICS_HOST", .text)
    }
}
