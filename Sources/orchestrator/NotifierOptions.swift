import ArgumentParser
import Foundation
import Notifier
import Webhooks

/// Options of the webhook notifier (`notifier`, `dev`); flag, else environment variable, else
/// default (``Setting``).
struct NotifierOptions: ParsableArguments {
    enum Backoff: String, CaseIterable, ExpressibleByArgument {
        case fixed, exponential
    }

    @Option(name: .customLong("webhook-attempts"), help: "Attempts per delivery (env ORCH_WEBHOOK_ATTEMPTS; default 3).")
    var attemptsOption: Int?

    @Option(name: .customLong("webhook-delay"), help: "Seconds between attempts (env ORCH_WEBHOOK_DELAY; default 10).")
    var delayOption: Double?

    @Option(name: .customLong("webhook-backoff"), help: "fixed, or exponential (the delay doubles per failure) (env ORCH_WEBHOOK_BACKOFF; default fixed).")
    var backoffOption: Backoff?

    @Option(name: .customLong("webhook-timeout"), help: "Seconds one attempt may take (env ORCH_WEBHOOK_TIMEOUT; default 30).")
    var timeoutOption: Double?

    @Option(name: .customLong("webhook-concurrency"), help: "Requests in flight at once (env ORCH_WEBHOOK_CONCURRENCY; default 256).")
    var concurrencyOption: Int?

    @Option(name: .customLong("webhook-per-host"), help: "Requests in flight at once to one host (env ORCH_WEBHOOK_PER_HOST; default 64).")
    var perHostOption: Int?

    @Option(name: .customLong("signing-secret"), help: "Standard Webhooks secret (whsec_<base64>) to sign deliveries (env ORCH_WEBHOOK_SECRET; default: unsigned).")
    var signingSecretOption: String?

    @Flag(name: .customLong("allow-private-webhooks"), help: "Allow webhook targets on loopback/private/link-local addresses (env ORCH_ALLOW_PRIVATE_WEBHOOKS=1).")
    var allowPrivate = false

    @Option(name: .customLong("claim-idle"), help: "Seconds after which another notifier's unhandled events are taken over (default: max(2 × timeout, 60)).")
    var claimIdleSeconds: Double?

    @Option(name: .customLong("events-max-age"), help: "Hours of events kept in the stream (env ORCH_EVENTS_MAX_AGE; default 24).")
    var eventsMaxAgeOption: Double?

    @Option(name: .customLong("events-max-length"), help: "About this many events kept in the stream (env ORCH_EVENTS_MAX_LENGTH; default 1000000).")
    var eventsMaxLengthOption: Int?

    mutating func validate() throws {
        attemptsOption = try Setting.resolve(attemptsOption, flag: "--webhook-attempts", variable: "ORCH_WEBHOOK_ATTEMPTS", .wholeNumber, check: Check.atLeast(1))
        delayOption = try Setting.resolve(delayOption, flag: "--webhook-delay", variable: "ORCH_WEBHOOK_DELAY", .number, check: Check.atLeast(0))
        backoffOption = try Setting.resolve(backoffOption, flag: "--webhook-backoff", variable: "ORCH_WEBHOOK_BACKOFF", .oneOf(Backoff.self))
        timeoutOption = try Setting.resolve(timeoutOption, flag: "--webhook-timeout", variable: "ORCH_WEBHOOK_TIMEOUT", .number, check: Check.positive)
        concurrencyOption = try Setting.resolve(
            concurrencyOption, flag: "--webhook-concurrency", variable: "ORCH_WEBHOOK_CONCURRENCY", .wholeNumber, check: Check.atLeast(1))
        perHostOption = try Setting.resolve(perHostOption, flag: "--webhook-per-host", variable: "ORCH_WEBHOOK_PER_HOST", .wholeNumber, check: Check.atLeast(1))
        // The subscriptions' rule: a whsec_ secret that is not base64 would be used as raw text
        // and fail every receiver's verification. Empty: unsigned.
        signingSecretOption = try Setting.resolve(signingSecretOption, flag: "--signing-secret", variable: "ORCH_WEBHOOK_SECRET", .secret) {
            $0.isEmpty ? nil : SigningSecret.problem($0)
        }
        if !allowPrivate {
            allowPrivate = try Setting.parse("ORCH_ALLOW_PRIVATE_WEBHOOKS", .flag) ?? false
        }
        if let claimIdleSeconds, claimIdleSeconds <= 0 { throw ValidationError("--claim-idle must be more than 0, got \(claimIdleSeconds)") }
        eventsMaxAgeOption = try Setting.resolve(eventsMaxAgeOption, flag: "--events-max-age", variable: "ORCH_EVENTS_MAX_AGE", .number, check: Check.positive)
        eventsMaxLengthOption = try Setting.resolve(
            eventsMaxLengthOption, flag: "--events-max-length", variable: "ORCH_EVENTS_MAX_LENGTH", .wholeNumber, check: Check.atLeast(1))
    }

    func configuration(forceAllowPrivate: Bool = false) -> NotifierConfiguration {
        let signingSecret = signingSecretOption ?? ""
        return NotifierConfiguration(
            attempts: attemptsOption ?? 3,
            delay: .milliseconds(Int((delayOption ?? 10) * 1000)),
            exponentialBackoff: backoffOption == .exponential,
            requestTimeout: .milliseconds(Int((timeoutOption ?? 30) * 1000)),
            maxConcurrent: concurrencyOption ?? 256,
            maxPerHost: perHostOption ?? 64,
            claimIdle: claimIdleSeconds.map { .milliseconds(Int($0 * 1000)) },
            allowPrivateTargets: allowPrivate || forceAllowPrivate,
            signingSecret: signingSecret.isEmpty ? nil : signingSecret,
            eventsMaxAge: .milliseconds(Int((eventsMaxAgeOption ?? 24) * 3_600_000)),
            eventsMaxLength: eventsMaxLengthOption ?? 1_000_000
        )
    }
}
