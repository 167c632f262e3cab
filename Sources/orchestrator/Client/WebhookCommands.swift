import ArgumentParser
import Foundation
import OrchestratorCore
import Webhooks

/// `orchestrator webhooks add|ls|rm|test|secret|rotate-secret`.
struct WebhooksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhooks", abstract: "Manage webhook subscriptions (events of all jobs to a URL).",
        subcommands: [Add.self, List.self, Remove.self, Test.self, Secret.self, RotateSecret.self])

    static func row(_ item: [String: Any]) -> [String] {
        [
            Output.text(item["id"]) ?? "", Output.text(item["url"]) ?? "",
            (item["events"] as? [String])?.joined(separator: ",") ?? "", Output.text(item["endpoint"]) ?? "*",
            Output.text(item["template"]) ?? "", Output.text(item["active"]) ?? "",
        ]
    }

    static let headers = ["ID", "URL", "EVENTS", "ENDPOINT", "TEMPLATE", "ACTIVE"]

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "add", abstract: "Subscribe a URL to events.")

        @OptionGroup var client: ClientOptions
        @Argument(help: "Where to POST the events.") var url: String
        @Option(help: "Event types, comma-separated or repeated: \(EventType.allCases.map(\.rawValue).joined(separator: ", ")), job.* or *.")
        var events: [String] = []
        @Option(help: "Signing secret (whsec_...; one is generated when not given).") var secret: String?
        @Option(help: "Body format: default, slack or runpod.") var template: String?
        @Option(name: .customLong("endpoint"), help: "Only events of jobs on this endpoint.") var endpointFilter: String?
        @Option(help: "Attempts per delivery (default: the notifier's).") var attempts: Int?
        @Option(help: "Milliseconds between attempts.") var delay: Int?
        @Option(help: "fixed or exponential.") var backoff: String?
        @Option(help: "A note for people.") var description: String?

        func run() async throws {
            try await runClient {
                let events = self.events.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                guard !events.isEmpty else { throw ClientError(description: "--events is required, e.g. --events job.completed,job.failed") }
                var members: [(String, JSONText.Value?)] = [
                    ("url", .string(url)), ("events", .raw(JSONText.array(events.map { .string($0) }))),
                    ("secret", secret.map { .string($0) }), ("template", template.map { .string($0) }),
                    ("endpoint", endpointFilter.map { .string($0) }), ("description", description.map { .string($0) }),
                ]
                if attempts != nil || delay != nil || backoff != nil {
                    members.append(("retry", .raw(JSONText.object([
                        ("attempts", attempts.map { .int($0) }), ("delay", delay.map { .int($0) }), ("backoff", backoff.map { .string($0) }),
                    ]))))
                }
                let answer = try await client.client.send(.POST, "/api/webhooks", body: JSONText.object(members))
                if client.json { return say(answer.body) }
                Output.fields([
                    ("id", Output.text(answer.object["id"])), ("url", Output.text(answer.object["url"])),
                    ("events", (answer.object["events"] as? [String])?.joined(separator: ",")),
                    ("secret", Output.text(answer.object["secret"])),
                ])
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ls", abstract: "List subscriptions.")
        @OptionGroup var client: ClientOptions

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.GET, "/api/webhooks")
                if client.json { return say(answer.body) }
                Output.table(WebhooksCommand.headers, (answer.object["webhooks"] as? [[String: Any]] ?? []).map(WebhooksCommand.row))
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "rm", abstract: "Delete a subscription.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The subscription id (wh_...).") var id: String

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.DELETE, "/api/webhooks/\(pathSegment(id))")
                if client.json { return say(answer.body) }
                say("deleted \(id)")
            }
        }
    }

    struct Secret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "secret", abstract: "Show a subscription's signing secret.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The subscription id (wh_...).") var id: String

        func run() async throws {
            try await runClient {
                let answer = try await client.client.send(.GET, "/api/webhooks/\(pathSegment(id))/secret")
                if client.json { return say(answer.body) }
                WebhooksCommand.printSecret(answer.object)
            }
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret", abstract: "Give a subscription a new signing secret; the old one keeps signing for --overlap.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The subscription id (wh_...).") var id: String
        @Option(help: "The new secret (whsec_...; one is generated when not given).") var secret: String?
        @Option(help: "Seconds the old secret keeps signing beside the new one (default 86400; 0: stops at once).") var overlap: Int?

        func run() async throws {
            try await runClient {
                let body = JSONText.object([("secret", secret.map { .string($0) }), ("overlap", overlap.map { .int($0) })])
                let answer = try await client.client.send(.POST, "/api/webhooks/\(pathSegment(id))/secret/rotate", body: body)
                if client.json { return say(answer.body) }
                WebhooksCommand.printSecret(answer.object)
            }
        }
    }

    static func printSecret(_ object: [String: Any]) {
        Output.fields([
            ("id", Output.text(object["id"])), ("secret", Output.text(object["secret"])),
            ("previous", Output.text(object["previousSecret"])),
            ("previous until", Output.text(object["previousSecretExpiresAt"])),
        ])
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test", abstract: "Send one signed test delivery now, to a subscription or to --target; exit 1 when it fails.")
        @OptionGroup var client: ClientOptions
        @Argument(help: "The subscription id (or use --url).") var id: String?
        @Option(name: .customLong("target"), help: "Send to this URL instead of a subscription's.") var url: String?
        @Option(help: "The event type to pretend.") var event: String = EventType.jobCompleted.rawValue
        @Option(help: "Signing secret for --target.") var secret: String?
        @Option(help: "Data of the event (a JSON object; default: a sample job payload).") var payload: String?

        func validate() throws {
            guard (id == nil) != (url == nil) else { throw ValidationError("give a subscription id or --target URL, not both") }
        }

        func run() async throws {
            try await runClient {
                if let payload, (try? JSONSerialization.jsonObject(with: Data(payload.utf8))) == nil {
                    throw ClientError(description: "--payload must be JSON")
                }
                let members: [(String, JSONText.Value?)] = [
                    ("url", url.map { .string($0) }), ("event", .string(event)), ("secret", secret.map { .string($0) }),
                    ("payload", payload.map { .raw($0) }),
                ]
                let path = id.map { "/api/webhooks/\(pathSegment($0))/test" } ?? "/api/webhooks/test"
                let answer = try await client.client.send(.POST, path, body: JSONText.object(members))
                if client.json { say(answer.body) } else {
                    Output.fields([
                        ("success", Output.text(answer.object["success"])), ("statusCode", Output.text(answer.object["statusCode"]) ?? "-"),
                        ("message", Output.text(answer.object["message"])), ("latency", Output.text(answer.object["latencyMs"]).map { "\($0) ms" }),
                    ])
                }
                if answer.object["success"] as? Bool != true { throw ExitCode.failure }
            }
        }
    }
}

/// `orchestrator deliveries ID`.
struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "deliveries", abstract: "Show every webhook attempt made for a job.")
    @OptionGroup var client: ClientOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        try await runClient {
            let answer = try await client.client.send(.GET, "/api/jobs/\(pathSegment(id))/deliveries")
            if client.json { return say(answer.body) }
            let rows = (answer.object["deliveries"] as? [[String: Any]] ?? []).map { item -> [String] in
                let at = (item["at"] as? NSNumber).map { ISOTime.string(milliseconds: $0.intValue) } ?? ""
                let result = Output.text(item["statusCode"]).map { "HTTP \($0)" } ?? Output.text(item["error"]) ?? ""
                return [at, Output.text(item["event"]) ?? "", Output.text(item["attempt"]) ?? "", Output.text(item["url"]) ?? "",
                        result, (Output.text(item["latencyMs"]) ?? "") + " ms", Output.text(item["webhookId"]) ?? ""]
            }
            Output.table(["AT", "EVENT", "ATTEMPT", "URL", "RESULT", "LATENCY", "WEBHOOK-ID"], rows)
        }
    }
}

/// An id as one URL path segment.
func pathSegment(_ id: String) -> String {
    var allowed = CharacterSet.urlPathAllowed
    allowed.remove("/")
    return id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
}
