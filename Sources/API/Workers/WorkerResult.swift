import Foundation
import OrchestratorCore

/// What an unmodified RunPod worker posts to `job-done`: the body is JSON whatever its content
/// type says (the SDK sends `application/x-www-form-urlencoded`).
enum WorkerResult: Equatable {
    /// `{"status": "IN_PROGRESS", "output": p}`: progress while it runs.
    case progress(String)
    case completed(output: String)
    /// `{"error": …}`, optionally with `output`.
    case failed(error: String, output: String?)

    init(body: [UInt8]) throws {
        let members: [String: (text: String, kind: JSONScanner.Kind)]
        do { members = try JSONScanner.topLevelMembers(body) } catch {
            throw APIError(.badRequest, "job-done body is not a JSON object: \(error)")
        }
        let output = members["output"].flatMap { $0.kind == .null ? nil : $0.text }
        if let status = members["status"], status.text == #""IN_PROGRESS""# {
            self = .progress(output ?? "null")
        } else if let error = members["error"], error.kind != .null {
            self = .failed(error: Self.readable(error), output: output)
        } else if let output {
            self = .completed(output: output)
        } else if members["output"] != nil {
            self = .completed(output: "null")
        } else {
            throw APIError(.badRequest, "job-done body needs 'output' or 'error'")
        }
    }

    /// The SDK sends an exception as JSON text inside the `error` string (`error_type`,
    /// `error_message`, `error_traceback`, …): shown as `Type: message` and the traceback.
    static func readable(_ error: (text: String, kind: JSONScanner.Kind)) -> String {
        guard error.kind == .string, let text = try? JSONScanner.decodeString(Array(error.text.utf8)) else { return error.text }
        guard let inner = try? JSONScanner.topLevelMembers(Array(text.utf8)) else { return text }
        func field(_ name: String) -> String? {
            guard let member = inner[name], member.kind == .string else { return nil }
            return try? JSONScanner.decodeString(Array(member.text.utf8))
        }
        guard let message = field("error_message") else { return text }
        // The SDK writes the type as Python prints it: "<class 'ValueError'>".
        let type = field("error_type").map { type -> String in
            guard type.hasPrefix("<class '"), type.hasSuffix("'>") else { return type }
            return String(type.dropFirst(8).dropLast(2))
        }
        let head = type.map { "\($0): \(message)" } ?? message
        guard let traceback = field("error_traceback"), !traceback.isEmpty else { return head }
        return head + "\n" + traceback.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
