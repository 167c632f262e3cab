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

    var host: String { hostOption ?? "127.0.0.1" }
    var port: Int { portOption ?? 8080 }
    var maxBody: Int { maxBodyOption ?? 10 * 1024 * 1024 }

    mutating func validate() throws {
        hostOption = try Setting.resolve(hostOption, flag: "--host", variable: "ORCH_HOST", .text)
        portOption = try Setting.resolve(portOption, flag: "--port", variable: "ORCH_PORT", .wholeNumber, check: Check.within(0...65535))
        maxBodyOption = try Setting.resolve(maxBodyOption, flag: "--max-body", variable: "ORCH_MAX_BODY", .wholeNumber, check: Check.atLeast(1))
        apiKeys += try Setting.parse("ORCH_API_KEYS", SettingKind<[String]>.list) ?? []
    }

    /// `allowPrivateWebhooks`: whether the webhook test button may reach private addresses
    /// (the `api` role's `--allow-private-webhooks`; always in `dev`).
    func configuration(workerDeadAfter: Duration, allowPrivateWebhooks: Bool = false) -> APIConfiguration {
        APIConfiguration(
            host: host, port: port, apiKeys: apiKeys, maxBodyBytes: maxBody,
            workerDeadAfter: workerDeadAfter, allowPrivateWebhooks: allowPrivateWebhooks
        )
    }
}
