import ArgumentParser
import Foundation
import NIOHTTP1
import OrchestratorCore

/// Options naming the endpoint a job command works on.
struct EndpointOption: ParsableArguments {
    @Option(name: .customLong("endpoint"), help: "The endpoint (queue).")
    var name: String = "default"

    func path(_ action: String) -> String {
        let encoded = name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name
        return "/v2/\(encoded)/\(action)"
    }
}

/// Prints a RunPod status body.
func printJobStatus(_ object: [String: Any]) {
    Output.fields([
        ("id", Output.text(object["id"])), ("status", Output.text(object["status"])),
        ("delayTime", Output.text(object["delayTime"]).map { "\($0) ms" }),
        ("executionTime", Output.text(object["executionTime"]).map { "\($0) ms" }),
        ("worker", Output.text(object["workerId"])), ("output", Output.text(object["output"])),
        ("error", Output.text(object["error"])), ("message", Output.text(object["message"])),
    ])
}

let terminalStatuses: Set<String> = ["COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"]

/// `orchestrator submit`.
struct SubmitCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a job; with --wait, wait for its end (exit 3 when it did not complete); with --batch, every job of a JSON Lines file.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var endpoint: EndpointOption

    @Option(help: "The job's input: a JSON object, or @file to read one.")
    var input: String = "{}"

    @Option(help: "URL to POST the job's transitions to.")
    var webhook: String?

    @Flag(help: "Wait until the job ends and print its result.")
    var wait = false

    @Option(help: ArgumentHelp("Submit every line of this JSON Lines file ('-' = stdin), each a /run body such as {\"input\": {...}}; prints the ids in order.", valueName: "file.jsonl"))
    var batch: String?

    @Option(help: "Jobs per /run-batch request with --batch (at most the API's --max-batch).")
    var batchSize: Int = 1000

    func validate() throws {
        guard batch != nil else { return }
        guard !wait, input == "{}", webhook == nil else {
            throw ValidationError("--batch takes the jobs from its file: leave out --input, --webhook and --wait")
        }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
    }

    func run() async throws {
        if let batch {
            try await runClient {
                try await BatchSubmission(file: batch, size: batchSize).submit(api: client.client, path: endpoint.path("run-batch"), json: client.json)
            }
            return
        }
        try await runClient {
            var text = input
            if text.hasPrefix("@") {
                let path = String(text.dropFirst())
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ClientError(description: "cannot read input file \(path)")
                }
                text = String(decoding: data, as: UTF8.self)
            }
            guard (try? JSONSerialization.jsonObject(with: Data(text.utf8))) is [String: Any] else {
                throw ClientError(description: "--input must be a JSON object, e.g. '{\"prompt\": \"hi\"}'")
            }
            var members = ["\"input\":" + text]
            if let webhook { members.append("\"webhook\":" + JSONText.quoted(webhook)) }
            let body = "{" + members.joined(separator: ",") + "}"
            let api = client.client
            var answer = try await api.send(.POST, endpoint.path(wait ? "runsync?wait=60000" : "run"), body: body)
            if wait {
                let id = answer.object["id"] as? String ?? ""
                var pause = 0.2
                while !terminalStatuses.contains(answer.object["status"] as? String ?? "") {
                    try await Task.sleep(for: .milliseconds(Int(pause * 1000)))
                    pause = min(pause * 2, 2)
                    answer = try await api.send(.GET, endpoint.path("status/\(id)"))
                }
            }
            if client.json { say(answer.body) } else { printJobStatus(answer.object) }
            if wait && answer.object["status"] as? String != "COMPLETED" { throw ExitCode(3) }
        }
    }
}

/// `orchestrator status|cancel|retry ID`.
struct JobActionCommand: ParsableArguments {
    @OptionGroup var client: ClientOptions
    @OptionGroup var endpoint: EndpointOption

    @Argument(help: "The job id.")
    var id: String

    func perform(_ method: HTTPMethod, _ action: String) async throws {
        try await runClient {
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? id
            let answer = try await client.client.send(method, endpoint.path("\(action)/\(encoded)"))
            if client.json { say(answer.body) } else { printJobStatus(answer.object) }
        }
    }
}

struct StatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show a job's status and result.")
    @OptionGroup var job: JobActionCommand
    func run() async throws { try await job.perform(.GET, "status") }
}

struct CancelCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a queued or running job.")
    @OptionGroup var job: JobActionCommand
    func run() async throws { try await job.perform(.POST, "cancel") }
}

struct RetryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Queue a FAILED, TIMED_OUT or CANCELLED job again.")
    @OptionGroup var job: JobActionCommand
    func run() async throws { try await job.perform(.POST, "retry") }
}

/// `orchestrator health`.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Show an endpoint's job counts and workers.")

    @OptionGroup var client: ClientOptions
    @OptionGroup var endpoint: EndpointOption

    func run() async throws {
        try await runClient {
            let answer = try await client.client.send(.GET, endpoint.path("health"))
            if client.json { return say(answer.body) }
            let jobs = answer.object["jobs"] as? [String: Any] ?? [:]
            let workers = answer.object["workers"] as? [String: Any] ?? [:]
            Output.table(
                ["ENDPOINT", "IN QUEUE", "IN PROGRESS", "COMPLETED", "FAILED", "RETRIED", "WORKERS IDLE", "WORKERS RUNNING"],
                [[endpoint.name] + ["inQueue", "inProgress", "completed", "failed", "retried"].map { Output.text(jobs[$0]) ?? "0" }
                    + ["idle", "running"].map { Output.text(workers[$0]) ?? "0" }])
        }
    }
}
