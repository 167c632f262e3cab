import Foundation
import OrchestratorCore

/// The body a subscription receives.
public enum WebhookTemplate: String, CaseIterable, Sendable {
    /// `{"event_id", "type", "timestamp", "data"}`.
    case `default`
    /// A Slack incoming-webhook message, `{"text": "..."}`.
    case slack
    /// The data alone: for job events, RunPod's webhook payload.
    case runpod

    public func render(_ notice: EventNotice) -> String {
        switch self {
        case .default:
            JSONText.object([
                ("event_id", .string(notice.eventID)), ("type", .string(notice.type.rawValue)),
                ("timestamp", .string(ISOTime.string(milliseconds: notice.at))), ("data", .raw(notice.data)),
            ])
        case .slack:
            JSONText.object([("text", .string(Self.summary(notice)))])
        case .runpod:
            notice.data
        }
    }

    /// One readable line (Slack mrkdwn) about the event.
    static func summary(_ notice: EventNotice) -> String {
        let body = notice.job
        let job = body?.id ?? ""
        let endpoint = notice.endpoint.map { " on `\($0)`" } ?? ""
        func seconds(_ ms: Int?) -> String {
            guard let ms else { return "?" }
            return ms < 1000 ? "\(ms) ms" : String(format: "%.1f s", Double(ms) / 1000)
        }
        let error = body?.error.map { ": \($0)" } ?? ""
        let other = notice.other.flatMap { try? JSONScanner.topLevelMembers(Array($0.utf8)) } ?? [:]
        func text(_ name: String) -> String? {
            guard let member = other[name], member.kind == .string else { return nil }
            return try? JSONScanner.decodeString(Array(member.text.utf8))
        }
        switch notice.type {
        case .jobQueued: return "Job `\(job)`\(endpoint) queued"
        case .jobStarted: return "Job `\(job)`\(endpoint) started after \(seconds(body?.delayTime)) in the queue"
        case .jobProgress: return "Job `\(job)`\(endpoint) reported progress"
        case .jobCompleted: return ":white_check_mark: Job `\(job)`\(endpoint) COMPLETED in \(seconds(body?.executionTime))"
        case .jobFailed: return ":x: Job `\(job)`\(endpoint) FAILED after \(seconds(body?.executionTime))\(error)"
        case .jobCancelled: return ":no_entry_sign: Job `\(job)`\(endpoint) CANCELLED"
        case .jobTimedOut: return ":hourglass: Job `\(job)`\(endpoint) TIMED_OUT after \(seconds(body?.executionTime))\(error)"
        case .jobRetried: return ":repeat: Job `\(job)`\(endpoint) queued again (retry)"
        case .jobRequeued: return ":warning: Job `\(job)`\(endpoint) requeued: its worker manager was lost"
        case .workerLost:
            let endpoints = (other["endpoints"].flatMap { member -> [String]? in
                guard member.kind == .array else { return nil }
                return member.text.dropFirst().dropLast().split(separator: ",").compactMap {
                    try? JSONScanner.decodeString(Array($0.trimmingCharacters(in: .whitespaces).utf8))
                }
            } ?? []).joined(separator: ", ")
            return ":warning: Worker manager `\(text("worker") ?? "?")` lost (endpoints: \(endpoints)); its jobs were requeued or failed"
        case .webhookDeadLettered:
            let about = text("job").map { " for job `\($0)`" } ?? ""
            let attempts = other["attempts"].flatMap { Int($0.text) } ?? 0
            return ":rotating_light: Webhook to \(text("url") ?? "?")\(about) dead-lettered after \(attempts) attempts: \(text("reason") ?? "")"
        }
    }
}
