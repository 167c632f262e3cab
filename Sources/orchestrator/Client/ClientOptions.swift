import ArgumentParser
import Foundation

/// Options of the CLI commands that talk to the API; flag, else environment variable, else
/// default (``Setting``).
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("url"), help: "The API's base URL (env ORCH_URL; default http://127.0.0.1:8080).")
    var urlOption: String?

    @Option(name: .customLong("api-key"), help: "Sent as 'Authorization: Bearer <key>' (env ORCH_API_KEY).")
    var apiKey: String?

    @Flag(name: .customLong("json"), help: "Print the API's JSON answer instead of a table.")
    var json = false

    mutating func validate() throws {
        let url = SettingKind<String>(expected: "an http:// or https:// URL") { text in
            let lower = text.lowercased()
            return lower.hasPrefix("http://") || lower.hasPrefix("https://") ? text : nil
        }
        urlOption = try Setting.resolve(urlOption, flag: "--url", variable: "ORCH_URL", url) {
            url.parse($0) == nil ? "must be \(url.expected), got '\($0)'" : nil
        }
        apiKey = try Setting.resolve(apiKey, flag: "--api-key", variable: "ORCH_API_KEY", .secret)
    }

    var client: APIClient {
        APIClient(baseURL: urlOption ?? "http://127.0.0.1:8080", apiKey: apiKey.flatMap { $0.isEmpty ? nil : $0 })
    }
}
