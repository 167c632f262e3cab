import Foundation
import OrchestratorCore

/// A standing webhook: chosen events of all jobs (or of one endpoint's jobs) to one URL,
/// signed with its own secret. Stored as the hash `orch:subscription:<id>`.
public struct Subscription: Sendable, Equatable {
    public var id: String
    public var url: String
    /// Event types or patterns (`job.*`, `*`).
    public var events: [String]
    /// Standard Webhooks secret (`whsec_<base64>`). Shown at creation and through the secret
    /// route only, never in listings.
    public var secret: String
    /// The secret before the last rotation, still signing (beside the new one) until
    /// `previousSecretUntil` (ms), so receivers can roll over.
    public var previousSecret: String?
    public var previousSecretUntil: Int?
    /// Only events of jobs on this endpoint (nil: every endpoint).
    public var endpoint: String?
    public var template: WebhookTemplate
    /// Its own retry policy (nil: the notifier's).
    public var retry: RetryPolicy?
    public var description: String?
    public var active: Bool
    /// ms since the epoch.
    public var createdAt: Int
    public var updatedAt: Int
    /// Why it was switched off by the notifier (a `410 Gone`), if it was.
    public var deactivatedReason: String?

    public init(
        id: String = Subscription.makeID(), url: String, events: [String], secret: String = Subscription.makeSecret(),
        endpoint: String? = nil, template: WebhookTemplate = .default, retry: RetryPolicy? = nil,
        description: String? = nil, active: Bool = true, createdAt: Int = ISOTime.nowMilliseconds
    ) {
        self.id = id
        self.url = url
        self.events = events
        self.secret = secret
        self.endpoint = endpoint
        self.template = template
        self.retry = retry
        self.description = description
        self.active = active
        self.createdAt = createdAt
        self.updatedAt = createdAt
    }

    public static func makeID() -> String {
        "wh_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(20)
    }

    /// `whsec_` and 24 random bytes in base64, the Standard Webhooks format.
    public static func makeSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<24).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return "whsec_" + Data(bytes).base64EncodedString()
    }

    /// True when this subscription wants `event` (of `type`) from the stream of `endpoint`
    /// (nil: the global stream). The endpoint filter applies to job events and to
    /// `worker.lost` (the endpoints the lost worker served); dead-letter notices pass it.
    public func wants(_ event: StreamEvent, type: EventType, endpoint eventEndpoint: String?) -> Bool {
        guard active, events.contains(where: type.matches) else { return false }
        guard let endpoint else { return true }
        switch event {
        case .workerLost(_, let endpoints): return endpoints.contains(endpoint)
        case .deadLettered: return true
        default: return eventEndpoint == endpoint
        }
    }

    // MARK: Redis hash

    /// The hash fields, readable in `redis-cli HGETALL`.
    var hashFields: [(String, String)] {
        var fields: [(String, String)] = [
            ("id", id), ("url", url), ("events", events.joined(separator: ",")), ("secret", secret),
            ("template", template.rawValue), ("active", active ? "1" : "0"),
            ("createdAt", String(createdAt)), ("updatedAt", String(updatedAt)),
        ]
        if let endpoint { fields.append(("endpoint", endpoint)) }
        if let description { fields.append(("description", description)) }
        if let retry {
            fields.append(("retryAttempts", String(retry.attempts)))
            fields.append(("retryDelayMs", String(retry.delay.wholeMilliseconds)))
            fields.append(("retryBackoff", retry.exponential ? "exponential" : "fixed"))
        }
        if let deactivatedReason { fields.append(("deactivatedReason", deactivatedReason)) }
        if let previousSecret, let previousSecretUntil {
            fields.append(("previousSecret", previousSecret))
            fields.append(("previousSecretUntil", String(previousSecretUntil)))
        }
        return fields
    }

    init?(hash: [String: String]) {
        guard let id = hash["id"], let url = hash["url"], let secret = hash["secret"] else { return nil }
        self.id = id
        self.url = url
        self.events = (hash["events"] ?? "").split(separator: ",").map(String.init)
        self.secret = secret
        self.endpoint = hash["endpoint"]
        self.template = hash["template"].flatMap(WebhookTemplate.init(rawValue:)) ?? .default
        if let attempts = hash["retryAttempts"].flatMap(Int.init) {
            self.retry = RetryPolicy(
                attempts: attempts, delay: .milliseconds(Int(hash["retryDelayMs"] ?? "") ?? 10_000),
                exponential: hash["retryBackoff"] == "exponential")
        }
        self.description = hash["description"]
        self.active = hash["active"] != "0"
        self.createdAt = Int(hash["createdAt"] ?? "") ?? 0
        self.updatedAt = Int(hash["updatedAt"] ?? "") ?? createdAt
        self.deactivatedReason = hash["deactivatedReason"]
        self.previousSecret = hash["previousSecret"]
        self.previousSecretUntil = hash["previousSecretUntil"].flatMap(Int.init)
    }

    /// The secrets that sign a delivery made at `now` (ms): the current one, and the previous
    /// one while its overlap lasts.
    public func signingSecrets(at now: Int) -> [String] {
        guard let previousSecret, let until = previousSecretUntil, now < until else { return [secret] }
        return [secret, previousSecret]
    }

    /// A new secret (generated when nil); the current one keeps signing for `overlap` too.
    public func rotated(to newSecret: String?, overlap: Duration, now: Int) -> Subscription {
        var rotated = self
        rotated.previousSecret = overlap > .zero ? secret : nil
        rotated.previousSecretUntil = overlap > .zero ? now + overlap.wholeMilliseconds : nil
        rotated.secret = newSecret ?? Subscription.makeSecret()
        rotated.updatedAt = max(now, createdAt)
        return rotated
    }

    // MARK: JSON

    /// As the API shows it: the secret only when asked for (the answer to its creation).
    public func json(showingSecret: Bool = false) -> String {
        JSONText.object([
            ("id", .string(id)), ("url", .string(url)),
            ("events", .raw(JSONText.array(events.map { .string($0) }))),
            ("secret", showingSecret ? .string(secret) : nil), ("active", .bool(active)),
            ("createdAt", .string(ISOTime.string(milliseconds: createdAt))),
            ("updatedAt", .string(ISOTime.string(milliseconds: updatedAt))),
            ("endpoint", endpoint.map { .string($0) }),
            ("template", .string(template.rawValue)),
            ("retry", retry.map { policy in
                .raw(JSONText.object([
                    ("attempts", .int(policy.attempts)), ("delay", .int(policy.delay.wholeMilliseconds)),
                    ("backoff", .string(policy.exponential ? "exponential" : "fixed")),
                ]))
            }),
            ("description", description.map { .string($0) }),
            ("deactivatedReason", deactivatedReason.map { .string($0) }),
            ("previousSecretExpiresAt", previousSecretUntil.map { .string(ISOTime.string(milliseconds: $0)) }),
        ])
    }

    /// The secret route's answer.
    public var secretJSON: String {
        JSONText.object([
            ("id", .string(id)), ("secret", .string(secret)),
            ("previousSecret", previousSecret.map { .string($0) }),
            ("previousSecretExpiresAt", previousSecretUntil.map { .string(ISOTime.string(milliseconds: $0)) }),
        ])
    }
}
