import ArgumentParser
import Foundation
import OrchestratorCore
import Webhooks

/// `orchestrator dead-letters ls|inspect|replay|resolve|ignore`.
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters", abstract: "Inspect and act on webhook deliveries that used up their attempts.",
        subcommands: [List.self, Inspect.self, Replay.self, Resolve.self, Ignore.self])

    static let headers = ["ID", "STATE", "DEAD AT", "EVENT", "JOB", "URL", "ATTEMPTS", "REASON"]

    static func row(_ item: [String: Any]) -> [String] {
        [
            Output.text(item["id"]) ?? "", Output.text(item["state"]) ?? "", Output.text(item["deadAt"]) ?? "",
            Output.text(item["type"]) ?? Output.text(item["status"]) ?? "", Output.text(item["job"]) ?? "-",
            Output.text(item["url"]) ?? "", Output.text(item["attemptCount"]) ?? "", Output.text(item["reason"]) ?? "",
        ]
    }

    static func show(_ answer: APIAnswer, json: Bool) {
        if json { return say(answer.body) }
        Output.table(headers, [row(answer.object)])
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List dead letters (pending ones unless --all or --state).")
        @OptionGroup var client: ClientOptions
        @Flag(help: "Every state, not only pending.") var all = false
        @Option(help: "pending, replaying, resolved or ignored.") var state: String?
        @Option(help: "At most this many, newest first.") var limit: Int = 100

        func run() async throws {
            try await runClient {
                let filter = all ? "all" : (state ?? "pending")
                let answer = try await client.client.send(.GET, "/api/dead-letters?state=\(pathSegment(filter))&limit=\(limit)")
                if client.json { return say(answer.body) }
                Output.table(DeadLettersCommand.headers, (answer.object["deadLetters"] as? [[String: Any]] ?? []).map(DeadLettersCommand.row))
            }
        }
    }

    struct Inspect: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Show a dead letter: its delivery and every attempt.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The dead letter id (its webhook-id, msg_...).") var id: String

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.GET, "/api/dead-letters/\(pathSegment(id))")
                if client.json { return say(answer.body) }
                let item = answer.object
                Output.fields([
                    ("id", Output.text(item["id"])), ("state", Output.text(item["state"])),
                    ("stateReason", Output.text(item["stateReason"])), ("url", Output.text(item["url"])),
                    ("job", Output.text(item["job"])), ("subscription", Output.text(item["subscription"])),
                    ("event", Output.text(item["type"]) ?? Output.text(item["status"])), ("reason", Output.text(item["reason"])),
                    ("deadAt", Output.text(item["deadAt"])), ("replays", Output.text(item["replays"])),
                    ("body", Output.text(item["body"])),
                ])
                say("")
                let attempts = (item["attempts"] as? [[String: Any]] ?? []).map { attempt -> [String] in
                    let at = (attempt["at"] as? NSNumber).map { ISOTime.string(milliseconds: $0.intValue) } ?? ""
                    let result = Output.text(attempt["statusCode"]).map { "HTTP \($0)" } ?? Output.text(attempt["error"]) ?? ""
                    return [Output.text(attempt["attempt"]) ?? "", at, result, (Output.text(attempt["latencyMs"]) ?? "") + " ms"]
                }
                Output.table(["ATTEMPT", "AT", "RESULT", "LATENCY"], attempts)
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "replay", abstract: "Deliver it again (new attempts, same webhook-id).")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The dead letter id.") var id: String

        func run() async throws {
            try await runClient {
                show(try await client.client.send(.POST, "/api/dead-letters/\(pathSegment(id))/replay"), json: client.json)
            }
        }
    }

    /// What `resolve` and `ignore` share: an id, a reason, and the route named after the action.
    struct StateChange: ParsableArguments {
        @OptionGroup var client: ClientOptions
        @Argument(help: "The dead letter id.") var id: String
        @Option(help: "Why (kept with it).") var reason: String

        func perform(_ action: String) async throws {
            try await runClient {
                let body = JSONText.object([("reason", .string(reason))])
                show(try await client.client.send(.POST, "/api/dead-letters/\(pathSegment(id))/\(action)", body: body), json: client.json)
            }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resolve", abstract: "Mark it resolved (dealt with by other means).")
        @OptionGroup var change: StateChange
        func run() async throws { try await change.perform("resolve") }
    }

    struct Ignore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ignore", abstract: "Mark it ignored (nothing to do).")
        @OptionGroup var change: StateChange
        func run() async throws { try await change.perform("ignore") }
    }
}
