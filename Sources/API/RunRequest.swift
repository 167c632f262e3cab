import Foundation
import OrchestratorCore

/// A `/run` or `/runsync` body, validated: `{"input": {...}, "webhook"?, "webhookv2"?, "policy"?}`.
/// Other top-level members (RunPod's `s3Config`, ...) are accepted and ignored.
struct RunRequest {
    let input: String
    let webhook: String?
    let webhookv2: String?
    let policy: JobPolicy

    /// Throws ``APIError`` (400) saying exactly what is wrong.
    init(body: [UInt8]) throws {
        let members: [String: (text: String, kind: JSONScanner.Kind)]
        do {
            members = try JSONScanner.topLevelMembers(body)
        } catch {
            throw APIError(.badRequest, "request body is not a JSON object: \(error)")
        }
        try self.init(members: members)
    }

    /// One job's members (a body's, or one element of a batch's `jobs`).
    init(members: [String: (text: String, kind: JSONScanner.Kind)]) throws {
        guard let input = members["input"] else {
            throw APIError(.badRequest, "missing 'input': the body must look like {\"input\": {...}}")
        }
        guard input.kind == .object else {
            throw APIError(.badRequest, "'input' must be a JSON object")
        }
        self.input = input.text
        self.webhook = try Self.url(members["webhook"], name: "webhook")
        self.webhookv2 = try Self.url(members["webhookv2"], name: "webhookv2")
        self.policy = try Self.policy(members["policy"])
    }

    private static func url(_ member: (text: String, kind: JSONScanner.Kind)?, name: String) throws -> String? {
        guard let member, member.kind != .null else { return nil }
        guard member.kind == .string, let text = try? JSONScanner.decodeString(Array(member.text.utf8)) else {
            throw APIError(.badRequest, "'\(name)' must be a string holding an http(s) URL")
        }
        if text.isEmpty { return nil }
        guard WebhookURL.isValid(text) else {
            throw APIError(.badRequest, WebhookURL.refusal(field: name, value: text))
        }
        return text
    }

    private static func policy(_ member: (text: String, kind: JSONScanner.Kind)?) throws -> JobPolicy {
        guard let member, member.kind != .null else { return JobPolicy() }
        guard member.kind == .object, let fields = try? JSONScanner.topLevelMembers(Array(member.text.utf8)) else {
            throw APIError(.badRequest, "'policy' must be a JSON object")
        }
        var policy = JobPolicy()
        policy.executionTimeout = try milliseconds(fields["executionTimeout"], name: "executionTimeout")
        policy.ttl = try milliseconds(fields["ttl"], name: "ttl")
        if let low = fields["lowPriority"], low.kind != .null {
            guard low.kind == .bool else { throw APIError(.badRequest, "'policy.lowPriority' must be true or false") }
            policy.lowPriority = low.text == "true"
        }
        return policy
    }

    private static func milliseconds(_ member: (text: String, kind: JSONScanner.Kind)?, name: String) throws -> Int? {
        guard let member, member.kind != .null else { return nil }
        guard member.kind == .number, let value = Int(member.text) ?? Double(member.text).flatMap({ $0 == $0.rounded() && abs($0) < 1e15 ? Int($0) : nil }) else {
            throw APIError(.badRequest, "'policy.\(name)' must be a whole number of milliseconds")
        }
        guard value > 0 else {
            throw APIError(.badRequest, "'policy.\(name)' must be positive (milliseconds), got \(value)")
        }
        return value
    }
}
