import ArgumentParser
import Foundation
import Worker

/// `orchestrator runpod-env`: the environment to give an unmodified RunPod worker (any image,
/// anywhere that reaches the API) so it takes jobs from this API, ready to paste.
struct RunPodEnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runpod-env", abstract: "Print the environment that points an unmodified RunPod worker at this API.")

    @Option(help: "The endpoint the worker serves.") var endpoint: String = "default"
    @Option(name: .customLong("api-url"), help: "The API as the worker reaches it (env ORCH_API_URL).")
    var apiURL: String = ProcessInfo.processInfo.environment["ORCH_API_URL"] ?? "http://127.0.0.1:8080"
    @Option(name: .customLong("pod-id"), help: "The worker's id (RUNPOD_POD_ID; default: leave it to the container's environment).")
    var podID: String?
    @Flag(help: "Print `export NAME='value'` lines (default: NAME=value, as for docker --env-file).") var export = false

    func run() throws {
        // The key is not printed: give the worker RUNPOD_AI_API_KEY yourself when the API has keys.
        let environment = RunPodWorkerEnvironment(apiURL: apiURL, endpoint: endpoint)
        for (name, value) in environment.variables(podID: podID) where name != "RUNPOD_AI_API_KEY" {
            print(export ? "export \(name)='\(value)'" : "\(name)=\(value)")
        }
        print(export ? "export RUNPOD_AI_API_KEY='<an API key, or any text when the API has none>'"
                     : "RUNPOD_AI_API_KEY=<an API key, or any text when the API has none>")
    }
}
