import OrchestratorCore
import Redis

/// A lane a notifier took, as the lane scripts hand it out: the lane, its head delivery, and
/// for a terminal transition the job's output and error (read from the job, where they are
/// stored once).
package struct LaneHead: Sendable {
    package let scope: WebhookScope
    package let lane: String
    package var delivery: WebhookDelivery
    /// JSON text.
    package let output: String?
    package let error: String?

    /// The heads in a reply's quadruples {lane, item, output or nil, error or nil} from `offset`.
    /// An unreadable item is reported through `unreadable` and skipped (left in its lane).
    package static func list(_ values: [RedisValue], from offset: Int = 0, scope: WebhookScope,
                             unreadable: (String) -> Void = { _ in }) -> [LaneHead] {
        var heads: [LaneHead] = []
        var index = offset
        while index + 3 < values.count {
            let lane = values[index].string ?? ""
            if let item = values[index + 1].string, let delivery = WebhookDelivery(stored: item) {
                heads.append(LaneHead(scope: scope, lane: lane, delivery: delivery,
                                      output: values[index + 2].string, error: values[index + 3].string))
            } else {
                unreadable(lane)
            }
            index += 4
        }
        return heads
    }

    /// The RunPod body of the job event this delivery is about.
    package var jobBody: RunPodBody? {
        guard !delivery.job.isEmpty, !delivery.status.isEmpty else { return nil }
        return RunPodBody(id: delivery.job, status: delivery.status, delayTime: delivery.delayTime,
                          executionTime: delivery.executionTime, output: output, error: error)
    }

    /// The notice a subscription's template renders.
    package var notice: EventNotice? {
        guard let type = EventType(rawValue: delivery.type) else { return nil }
        let endpoint: String? = if case .endpoint(let name) = scope { name } else { nil }
        return EventNotice(type: type, entryID: delivery.event, at: StreamEntry.milliseconds(ofEntry: delivery.event),
                           endpoint: endpoint, job: jobBody, other: delivery.data)
    }
}
