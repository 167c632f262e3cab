import ArgumentParser
import Foundation

/// Options of the CLI commands that talk to the API.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("url"), help: "The API's base URL (env ORCH_URL).")
    var url: String = ProcessInfo.processInfo.environment["ORCH_URL"] ?? "http://127.0.0.1:8080"

    @Option(name: .customLong("api-key"), help: "Sent as 'Authorization: Bearer <key>' (env ORCH_API_KEY).")
    var apiKey: String = ProcessInfo.processInfo.environment["ORCH_API_KEY"] ?? ""

    @Flag(name: .customLong("json"), help: "Print the API's JSON answer instead of a table.")
    var json = false

    var client: APIClient { APIClient(baseURL: url, apiKey: apiKey.isEmpty ? nil : apiKey) }
}
