import API
import ArgumentParser
import Foundation

/// Options of the HTTP API (`api`, `dev`).
struct APIOptions: ParsableArguments {
    @Option(help: "Address to listen on (env ORCH_HOST).")
    var host: String = ProcessInfo.processInfo.environment["ORCH_HOST"] ?? "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one (env ORCH_PORT).")
    var port: Int = Int(ProcessInfo.processInfo.environment["ORCH_PORT"] ?? "") ?? 8080

    @Option(name: .customLong("api-key"), help: "Require 'Authorization: Bearer <key>'; repeatable (env ORCH_API_KEYS, comma-separated).")
    var apiKeys: [String] = []

    @Option(name: .customLong("max-body"), help: "Largest request body in bytes (env ORCH_MAX_BODY).")
    var maxBody: Int = Int(ProcessInfo.processInfo.environment["ORCH_MAX_BODY"] ?? "") ?? 10 * 1024 * 1024

    @Option(name: .customLong("runpod-take-wait"), help: "Seconds a RunPod worker's job-take waits for a job before 204 (env ORCH_RUNPOD_TAKE_WAIT; well under the SDK's 90 s).")
    var takeWaitSeconds: Double = Double(ProcessInfo.processInfo.environment["ORCH_RUNPOD_TAKE_WAIT"] ?? "") ?? 30

    @Option(name: .customLong("runpod-worker-lease"), help: "Seconds a RunPod worker stays alive after its last take or ping (env ORCH_RUNPOD_WORKER_LEASE; at least 3 ping intervals).")
    var runpodLeaseSeconds: Double = Double(ProcessInfo.processInfo.environment["ORCH_RUNPOD_WORKER_LEASE"] ?? "") ?? 30

    /// `allowPrivateWebhooks`: whether the webhook test button may reach private addresses
    /// (the `api` role's `--allow-private-webhooks`; always in `dev`).
    /// `maxRequeues`: requeues of a lost worker's job, for the API's own reaper turns and dropped
    /// RunPod jobs (the `api` role's `--max-requeues`; the worker's in `dev`).
    func configuration(allowPrivateWebhooks: Bool = false, maxRequeues: Int) -> APIConfiguration {
        let fromEnvironment = (ProcessInfo.processInfo.environment["ORCH_API_KEYS"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return APIConfiguration(
            host: host, port: port, apiKeys: apiKeys + fromEnvironment, maxBodyBytes: maxBody,
            allowPrivateWebhooks: allowPrivateWebhooks || ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["ORCH_ALLOW_PRIVATE_WEBHOOKS"] ?? ""),
            takeLongPoll: .milliseconds(Int(min(max(takeWaitSeconds, 1), 80) * 1000)),
            stopLongPoll: .milliseconds(Int(min(max(takeWaitSeconds, 1), 80) * 1000)),
            runpodWorkerLease: .milliseconds(Int(max(runpodLeaseSeconds, 3) * 1000)), maxRequeues: maxRequeues
        )
    }
}
