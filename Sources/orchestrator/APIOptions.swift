import API
import ArgumentParser
import Foundation

/// Options of the HTTP API (`api`, `dev`); flag, else environment variable, else default (``Setting``).
struct APIOptions: ParsableArguments {
    @Option(name: .customLong("host"), help: "Address to listen on (env ORCH_HOST; default 127.0.0.1).")
    var hostOption: String?

    @Option(name: .customLong("port"), help: "Port to listen on; 0 picks a free one (env ORCH_PORT; default 8080).")
    var portOption: Int?

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer <key>'; repeatable (env ORCH_API_KEYS, comma-separated, added to these).")
    var apiKeys: [String] = []

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes (env ORCH_MAX_BODY; default 10485760).")
    var maxBodyOption: Int?

    @Option(name: .customLong("max-batch"), help: "Most jobs one /run-batch request may queue (env ORCH_MAX_BATCH; default 1000).")
    var maxBatchOption: Int?

    @Option(name: .customLong("runpod-take-wait"), help: "Seconds a RunPod worker's job-take (and job-stop) waits before 204 (env ORCH_RUNPOD_TAKE_WAIT; default 30, at most 80: the SDK gives up at 90).")
    var takeWaitOption: Double?

    @Option(name: .customLong("runpod-worker-lease"), help: "Seconds a RunPod worker stays alive after its last take or ping (env ORCH_RUNPOD_WORKER_LEASE; default 30, at least 3 ping intervals).")
    var runpodLeaseOption: Double?

    var host: String { hostOption ?? "127.0.0.1" }
    var port: Int { portOption ?? 8080 }
    var maxBody: Int { maxBodyOption ?? 10 * 1024 * 1024 }

    mutating func validate() throws {
        hostOption = try Setting.resolve(hostOption, flag: "--host", variable: "ORCH_HOST", .text)
        portOption = try Setting.resolve(portOption, flag: "--port", variable: "ORCH_PORT", .wholeNumber, check: Check.within(0...65535))
        maxBodyOption = try Setting.resolve(maxBodyOption, flag: "--max-body", variable: "ORCH_MAX_BODY", .wholeNumber, check: Check.atLeast(1))
        maxBatchOption = try Setting.resolve(maxBatchOption, flag: "--max-batch", variable: "ORCH_MAX_BATCH", .wholeNumber, check: Check.within(1...100_000))
        apiKeys += try Setting.parse("ORCH_API_KEYS", SettingKind<[String]>.list) ?? []
        takeWaitOption = try Setting.resolve(takeWaitOption, flag: "--runpod-take-wait", variable: "ORCH_RUNPOD_TAKE_WAIT", .number, check: Check.within(1.0...80.0))
        runpodLeaseOption = try Setting.resolve(runpodLeaseOption, flag: "--runpod-worker-lease", variable: "ORCH_RUNPOD_WORKER_LEASE", .number, check: Check.atLeast(3.0))
    }

    /// `allowPrivateWebhooks`: whether the webhook test button may reach private addresses
    /// (the `api` role's `--allow-private-webhooks`; always in `dev`). `maxRequeues`: requeues of
    /// a lost worker's job, for the API's own reaper turns and dropped RunPod jobs (the `api`
    /// role's `--max-requeues`; the worker's in `dev`).
    func configuration(allowPrivateWebhooks: Bool = false, maxRequeues: Int) -> APIConfiguration {
        let wait = Duration.milliseconds(Int((takeWaitOption ?? 30) * 1000))
        return APIConfiguration(
            host: host, port: port, apiKeys: apiKeys, maxBodyBytes: maxBody, maxBatchJobs: maxBatchOption ?? 1000, allowPrivateWebhooks: allowPrivateWebhooks,
            takeLongPoll: wait, stopLongPoll: wait, runpodWorkerLease: .milliseconds(Int((runpodLeaseOption ?? 30) * 1000)),
            maxRequeues: maxRequeues
        )
    }
}
