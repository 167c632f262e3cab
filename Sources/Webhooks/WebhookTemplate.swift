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
        let data = (try? JSONSerialization.jsonObject(with: Data(notice.data.utf8))) as? [String: Any] ?? [:]
        let job = (data["id"] as? String) ?? notice.job
        let endpoint = notice.fields["endpoint"].map { " on `\($0)`" } ?? ""
        func seconds(_ key: String) -> String {
            guard let ms = (data[key] as? NSNumber)?.doubleValue else { return "?" }
            return ms < 1000 ? "\(Int(ms)) ms" : String(format: "%.1f s", ms / 1000)
        }
        let error = (data["error"] as? String).map { ": \($0)" } ?? ""
        switch notice.type {
        case .jobQueued: return "Job `\(job)`\(endpoint) queued"
        case .jobStarted: return "Job `\(job)`\(endpoint) started after \(seconds("delayTime")) in the queue"
        case .jobCompleted: return ":white_check_mark: Job `\(job)`\(endpoint) COMPLETED in \(seconds("executionTime"))"
        case .jobFailed: return ":x: Job `\(job)`\(endpoint) FAILED after \(seconds("executionTime"))\(error)"
        case .jobCancelled: return ":no_entry_sign: Job `\(job)`\(endpoint) CANCELLED"
        case .jobTimedOut: return ":hourglass: Job `\(job)`\(endpoint) TIMED_OUT after \(seconds("executionTime"))\(error)"
        case .jobRetried: return ":repeat: Job `\(job)`\(endpoint) queued again (retry)"
        case .jobRequeued: return ":warning: Job `\(job)`\(endpoint) requeued: its worker manager was lost"
        case .workerLost:
            let endpoints = (data["endpoints"] as? [String])?.joined(separator: ", ") ?? ""
            return ":warning: Worker manager `\(data["worker"] as? String ?? "?")` lost (endpoints: \(endpoints)); its jobs were requeued or failed"
        case .webhookDeadLettered:
            let about = (data["job"] as? String).map { " for job `\($0)`" } ?? ""
            return ":rotating_light: Webhook to \(data["url"] as? String ?? "?")\(about) dead-lettered after \((data["attempts"] as? NSNumber)?.intValue ?? 0) attempts: \(data["reason"] as? String ?? "")"
        }
    }
}
