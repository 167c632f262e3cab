import Foundation
import OrchestratorCore

/// Why a subscription request was refused; the message says what to change.
public struct SubscriptionInputError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}

/// The body of `POST /api/webhooks` or `PUT /api/webhooks/{id}`: every member optional here,
/// required ones are checked by ``makeSubscription()``.
public struct SubscriptionInput: Decodable, Sendable {
    public struct Retry: Decodable, Sendable {
        public var attempts: Int?
        /// ms.
        public var delay: Int?
        public var backoff: String?
    }

    public var url: String?
    public var events: [String]?
    public var secret: String?
    /// "" clears the filter on update.
    public var endpoint: String?
    public var template: String?
    public var retry: Retry?
    public var description: String?
    public var active: Bool?

    /// Decodes a request body, turning decoding failures into readable messages.
    public static func parse(_ body: [UInt8]) throws(SubscriptionInputError) -> SubscriptionInput {
        do {
            return try JSONDecoder().decode(SubscriptionInput.self, from: Data(body))
        } catch let DecodingError.typeMismatch(type, context) where !context.codingPath.isEmpty {
            throw SubscriptionInputError("'\(Self.path(context))' must be \(Self.name(of: type))")
        } catch let DecodingError.dataCorrupted(context) where !context.codingPath.isEmpty {
            throw SubscriptionInputError("'\(Self.path(context))' has an invalid value")
        } catch {
            throw SubscriptionInputError("request body is not a JSON object")
        }
    }

    private static func path(_ context: DecodingError.Context) -> String {
        context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func name(of type: Any.Type) -> String {
        // Decoding reports a wrong JSON kind for an array as a mismatch on Array<Any>.
        if "\(type)".hasPrefix("Array") { return "an array of strings" }
        return switch type {
        case is String.Type: "a string"
        case is Int.Type: "a whole number"
        case is Bool.Type: "true or false"
        default: "an object"
        }
    }

    /// A new subscription from a `POST` body.
    public func makeSubscription() throws(SubscriptionInputError) -> Subscription {
        guard let url else { throw SubscriptionInputError("missing 'url'") }
        guard let events else { throw SubscriptionInputError("missing 'events': e.g. [\"job.completed\", \"job.failed\"] or [\"*\"]") }
        var subscription = Subscription(url: url, events: events)
        if let secret { subscription.secret = secret }
        try apply(to: &subscription)
        return subscription
    }

    /// Applies the members present to `subscription` (a `PUT`), validating the result.
    public func update(_ subscription: Subscription) throws(SubscriptionInputError) -> Subscription {
        var updated = subscription
        if let url { updated.url = url }
        if let events { updated.events = events }
        if let secret, secret != updated.secret {
            // A secret given here replaces the old one at once (rotation with overlap: the rotate route).
            updated.secret = secret
            updated.previousSecret = nil
            updated.previousSecretUntil = nil
        }
        if let active {
            updated.active = active
            if active { updated.deactivatedReason = nil }
        }
        try apply(to: &updated)
        updated.updatedAt = max(ISOTime.nowMilliseconds, subscription.createdAt)
        return updated
    }

    private func apply(to subscription: inout Subscription) throws(SubscriptionInputError) {
        if let endpoint { subscription.endpoint = endpoint.isEmpty ? nil : endpoint }
        if let template {
            guard let value = WebhookTemplate(rawValue: template) else {
                throw SubscriptionInputError("unknown template '\(template)': use \(WebhookTemplate.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            subscription.template = value
        }
        if let description { subscription.description = description.isEmpty ? nil : description }
        if let retry {
            let attempts = retry.attempts ?? subscription.retry?.attempts ?? 3
            let delay = retry.delay ?? subscription.retry?.delay.wholeMilliseconds ?? 10_000
            let backoff = retry.backoff ?? ((subscription.retry?.exponential ?? false) ? "exponential" : "fixed")
            guard (1...RetryPolicy.maxAttempts).contains(attempts) else {
                throw SubscriptionInputError("'retry.attempts' must be between 1 and \(RetryPolicy.maxAttempts), got \(attempts)")
            }
            guard (0...RetryPolicy.maxDelayMs).contains(delay) else {
                throw SubscriptionInputError("'retry.delay' must be between 0 and \(RetryPolicy.maxDelayMs) milliseconds, got \(delay)")
            }
            guard backoff == "fixed" || backoff == "exponential" else {
                throw SubscriptionInputError("'retry.backoff' must be \"fixed\" or \"exponential\", got \"\(backoff)\"")
            }
            subscription.retry = RetryPolicy(attempts: attempts, delay: .milliseconds(delay), exponential: backoff == "exponential")
        }
        try Self.validate(subscription)
    }

    /// ``SigningSecret``'s rule, refusing with the field's name.
    public static func validateSecret(_ secret: String, field: String = "secret") throws(SubscriptionInputError) {
        if let problem = SigningSecret.problem(secret) { throw SubscriptionInputError("'\(field)' \(problem)") }
    }

    static func validate(_ subscription: Subscription) throws(SubscriptionInputError) {
        guard WebhookURL.isValid(subscription.url) else {
            throw SubscriptionInputError(WebhookURL.refusal(field: "url", value: subscription.url))
        }
        guard !subscription.events.isEmpty else {
            throw SubscriptionInputError("'events' must name at least one event type")
        }
        for event in subscription.events where !EventType.isValidPattern(event) {
            throw SubscriptionInputError(
                "unknown event type '\(event)': use \(EventType.allCases.map(\.rawValue).joined(separator: ", ")), job.* or *")
        }
        try validateSecret(subscription.secret)
        if let endpoint = subscription.endpoint, !EndpointName.isValid(endpoint) {
            throw SubscriptionInputError("invalid 'endpoint' '\(endpoint)': use letters, digits, '-', '_' or '.' (at most 128)")
        }
    }
}
