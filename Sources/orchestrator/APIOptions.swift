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

    /// `allowPrivateWebhooks`: whether the webhook test button may reach private addresses
    /// (the `api` role's `--allow-private-webhooks`; always in `dev`).
    func configuration(workerDeadAfter: Duration, allowPrivateWebhooks: Bool = false) -> APIConfiguration {
        let fromEnvironment = (ProcessInfo.processInfo.environment["ORCH_API_KEYS"] ?? "")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return APIConfiguration(
            host: host, port: port, apiKeys: apiKeys + fromEnvironment, maxBodyBytes: maxBody,
            workerDeadAfter: workerDeadAfter,
            allowPrivateWebhooks: allowPrivateWebhooks || ["1", "true", "yes"].contains(ProcessInfo.processInfo.environment["ORCH_ALLOW_PRIVATE_WEBHOOKS"] ?? "")
        )
    }
}
