import ArgumentParser
import Foundation
import Notifier

/// Options of the webhook notifier (`notifier`, `dev`).
struct NotifierOptions: ParsableArguments {
    private static let environment = ProcessInfo.processInfo.environment

    @Option(name: .customLong("webhook-attempts"), help: "Attempts per delivery (env ORCH_WEBHOOK_ATTEMPTS).")
    var attempts: Int = Int(Self.environment["ORCH_WEBHOOK_ATTEMPTS"] ?? "") ?? 3

    @Option(name: .customLong("webhook-delay"), help: "Seconds between attempts (env ORCH_WEBHOOK_DELAY).")
    var delaySeconds: Double = Double(Self.environment["ORCH_WEBHOOK_DELAY"] ?? "") ?? 10

    @Option(name: .customLong("webhook-backoff"), help: "fixed, or exponential (the delay doubles per failure) (env ORCH_WEBHOOK_BACKOFF).")
    var backoff: String = Self.environment["ORCH_WEBHOOK_BACKOFF"] ?? "fixed"

    @Option(name: .customLong("webhook-timeout"), help: "Seconds one attempt may take (env ORCH_WEBHOOK_TIMEOUT).")
    var timeoutSeconds: Double = Double(Self.environment["ORCH_WEBHOOK_TIMEOUT"] ?? "") ?? 30

    @Option(name: .customLong("webhook-concurrency"), help: "Requests in flight at once (env ORCH_WEBHOOK_CONCURRENCY).")
    var concurrency: Int = Int(Self.environment["ORCH_WEBHOOK_CONCURRENCY"] ?? "") ?? 256

    @Option(name: .customLong("webhook-per-host"), help: "Requests in flight at once to one host (env ORCH_WEBHOOK_PER_HOST).")
    var perHost: Int = Int(Self.environment["ORCH_WEBHOOK_PER_HOST"] ?? "") ?? 64

    @Option(name: .customLong("signing-secret"), help: "Standard Webhooks secret (whsec_...) to sign deliveries (env ORCH_WEBHOOK_SECRET).")
    var signingSecret: String = Self.environment["ORCH_WEBHOOK_SECRET"] ?? ""

    @Flag(name: .customLong("allow-private-webhooks"), help: "Allow webhook targets on loopback/private/link-local addresses (env ORCH_ALLOW_PRIVATE_WEBHOOKS=1).")
    var allowPrivate = false

    @Option(name: .customLong("claim-idle"), help: "Seconds after which another notifier's unhandled events are taken over (default: max(2 × timeout, 60)).")
    var claimIdleSeconds: Double?

    @Option(name: .customLong("events-max-age"), help: "Hours of events kept in the stream (env ORCH_EVENTS_MAX_AGE).")
    var eventsMaxAgeHours: Double = Double(Self.environment["ORCH_EVENTS_MAX_AGE"] ?? "") ?? 24

    @Option(name: .customLong("events-max-length"), help: "About this many events kept in the stream (env ORCH_EVENTS_MAX_LENGTH).")
    var eventsMaxLength: Int = Int(Self.environment["ORCH_EVENTS_MAX_LENGTH"] ?? "") ?? 1_000_000

    func validate() throws {
        guard attempts >= 1 else { throw ValidationError("--webhook-attempts must be at least 1") }
        guard delaySeconds >= 0, timeoutSeconds > 0 else { throw ValidationError("--webhook-delay and --webhook-timeout must be positive") }
        guard backoff == "fixed" || backoff == "exponential" else { throw ValidationError("--webhook-backoff is fixed or exponential") }
    }

    func configuration(forceAllowPrivate: Bool = false) -> NotifierConfiguration {
        let allow = allowPrivate || forceAllowPrivate || ["1", "true", "yes"].contains(Self.environment["ORCH_ALLOW_PRIVATE_WEBHOOKS"] ?? "")
        return NotifierConfiguration(
            attempts: attempts,
            delay: .milliseconds(Int(delaySeconds * 1000)),
            exponentialBackoff: backoff == "exponential",
            requestTimeout: .milliseconds(Int(timeoutSeconds * 1000)),
            maxConcurrent: concurrency,
            maxPerHost: perHost,
            claimIdle: claimIdleSeconds.map { .milliseconds(Int($0 * 1000)) },
            allowPrivateTargets: allow,
            signingSecret: signingSecret.isEmpty ? nil : signingSecret,
            eventsMaxAge: .milliseconds(Int(eventsMaxAgeHours * 3_600_000)),
            eventsMaxLength: eventsMaxLength
        )
    }
}
