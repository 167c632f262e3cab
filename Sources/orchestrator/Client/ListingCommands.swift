import ArgumentParser
import Foundation

/// `orchestrator jobs ls`.
struct JobsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List jobs.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "ls", abstract: "List jobs: recent activity (default), queued (oldest first), running or ended.")
        @OptionGroup var client: ClientOptions
        @Option(help: "Only this endpoint (default: every endpoint).") var endpoint: String?
        @Option(help: "any, queued, running, ended, or a status (COMPLETED, FAILED, ...).") var status: String?
        @Option(help: "Jobs per page.") var limit: Int = 50
        @Option(help: "Where a previous page said the next begins.") var cursor: String?

        func run() async throws {
            try await runClient {
                var query = [("limit", String(limit))]
                if let endpoint { query.append(("endpoint", endpoint)) }
                if let status { query.append(("status", status)) }
                if let cursor { query.append(("cursor", cursor)) }
                let answer = try await client.client.send(.GET, "/api/jobs" + queryString(query))
                if client.json { return say(answer.body) }
                let rows = (answer.object["jobs"] as? [[String: Any]] ?? []).map { job -> [String] in
                    [Output.text(job["id"]) ?? "", Output.text(job["endpoint"]) ?? "", Output.text(job["status"]) ?? "",
                     Output.text(job["createdAt"]) ?? "", Output.text(job["workerId"]) ?? "",
                     Output.text(job["executionTime"]).map { "\($0) ms" } ?? "", Output.text(job["error"]).map { String($0.prefix(60)) } ?? ""]
                }
                Output.table(["ID", "ENDPOINT", "STATUS", "CREATED", "WORKER", "EXECUTION", "ERROR"], rows)
                if let next = Output.text(answer.object["next"]) { say("next page: --cursor \(next)") }
            }
        }
    }
}

/// `orchestrator workers ls`.
struct WorkersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "List workers.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "Worker managers and RunPod workers, live or lost.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.GET, "/api/workers")
                if client.json { return say(answer.body) }
                let rows = (answer.object["workers"] as? [[String: Any]] ?? []).map { worker -> [String] in
                    let jobs = (worker["jobs"] as? [String: [String]] ?? [:]).values.reduce(0) { $0 + $1.count }
                    return [Output.text(worker["id"]) ?? "", Output.text(worker["kind"]) ?? "",
                            (worker["live"] as? Bool) == true ? "live" : "lost",
                            (worker["endpoints"] as? [String])?.joined(separator: ",") ?? "",
                            "\(jobs)/\(Output.text(worker["concurrency"]) ?? "?")",
                            Output.text(worker["heartbeatAgeMs"]).map { "\($0) ms" } ?? "", Output.text(worker["host"]) ?? ""]
                }
                Output.table(["ID", "KIND", "STATE", "ENDPOINTS", "JOBS/SLOTS", "HEARTBEAT AGE", "HOST"], rows)
            }
        }
    }
}

/// `orchestrator endpoints ls`.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "endpoints", abstract: "List endpoints.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "Every endpoint: depth, oldest wait, running, counts.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.GET, "/api/endpoints")
                if client.json { return say(answer.body) }
                let rows = (answer.object["endpoints"] as? [[String: Any]] ?? []).map { item -> [String] in
                    let workers = item["workers"] as? [String: Any] ?? [:]
                    return [Output.text(item["endpoint"]) ?? "", Output.text(item["depth"]) ?? "0",
                            Output.text(item["oldestAgeMs"]).map { "\($0) ms" } ?? "-", Output.text(item["running"]) ?? "0",
                            "\(Output.text(workers["idle"]) ?? "0")/\(Output.text(workers["busy"]) ?? "0")",
                            Output.text(item["completed"]) ?? "0", Output.text(item["failed"]) ?? "0"]
                }
                Output.table(["ENDPOINT", "QUEUED", "OLDEST", "RUNNING", "SLOTS IDLE/BUSY", "COMPLETED", "FAILED"], rows)
            }
        }
    }
}

/// `?a=b&c=d`, each value percent-encoded.
func queryString(_ pairs: [(String, String)]) -> String {
    guard !pairs.isEmpty else { return "" }
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=+")
    return "?" + pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
}
