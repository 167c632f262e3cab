import Foundation
import Webhooks

/// How a notifier delivers webhooks.
public struct NotifierConfiguration: Sendable {
    /// This notifier's name in the consumer group (unique per process).
    public var consumerName: String
    /// Attempts per delivery (RunPod: 3).
    public var attempts: Int
    /// Wait after the first failed attempt (RunPod: 10 s).
    public var delay: Duration
    /// Double the wait after each further failure (else every wait is `delay`).
    public var exponentialBackoff: Bool
    /// Longest wait a `Retry-After` header may ask for; longer asks are capped to it.
    public var maxRetryAfter: Duration
    /// Per-attempt request timeout.
    public var requestTimeout: Duration
    /// Requests in flight at once, in all.
    public var maxConcurrent: Int
    /// Requests in flight at once to one host.
    public var maxPerHost: Int
    /// Pending entries of a notifier idle this long are claimed by another. Must exceed the
    /// request timeout, or deliveries in flight would be sent twice.
    public var claimIdle: Duration
    /// Refuse targets on loopback, private, link-local or unspecified addresses.
    public var allowPrivateTargets: Bool
    /// Standard Webhooks signing secret (`whsec_<base64>`, or any text used as the key).
    public var signingSecret: String?
    /// Events older than this are trimmed from the stream (never ones not yet handled).
    public var eventsMaxAge: Duration
    /// ... and the stream is kept to about this many entries (likewise).
    public var eventsMaxLength: Int
    /// Dead letters kept (approximately).
    public var deadLetterMaxLength: Int
    /// Consecutive failures after which a host is paused (circuit breaker), and for how long.
    public var breakerThreshold: Int
    public var breakerPause: Duration
    /// How long a job's delivery log lives when the job itself has no expiry yet (queued or
    /// running): the API's retention.
    public var deliveryLogTTL: Duration
    /// Longest a scope's due lanes go unlooked-at (lanes other notifiers scheduled, or left).
    public var dueScanInterval: Duration

    public init(
        consumerName: String = NotifierConfiguration.makeConsumerName(),
        attempts: Int = 3,
        delay: Duration = .seconds(10),
        exponentialBackoff: Bool = false,
        maxRetryAfter: Duration = .seconds(300),
        requestTimeout: Duration = .seconds(30),
        maxConcurrent: Int = 256,
        maxPerHost: Int = 64,
        claimIdle: Duration? = nil,
        allowPrivateTargets: Bool = false,
        signingSecret: String? = nil,
        eventsMaxAge: Duration = .seconds(24 * 3600),
        eventsMaxLength: Int = 1_000_000,
        deadLetterMaxLength: Int = 100_000,
        breakerThreshold: Int = 20,
        breakerPause: Duration = .seconds(30),
        deliveryLogTTL: Duration = .seconds(3600),
        dueScanInterval: Duration = .seconds(1)
    ) {
        self.consumerName = consumerName
        self.attempts = max(1, attempts)
        self.delay = delay
        self.exponentialBackoff = exponentialBackoff
        self.maxRetryAfter = maxRetryAfter
        self.requestTimeout = requestTimeout
        self.maxConcurrent = max(1, maxConcurrent)
        self.maxPerHost = max(1, maxPerHost)
        self.claimIdle = claimIdle ?? max(requestTimeout * 2, .seconds(60))
        self.allowPrivateTargets = allowPrivateTargets
        self.signingSecret = signingSecret
        self.eventsMaxAge = eventsMaxAge
        self.eventsMaxLength = eventsMaxLength
        self.deadLetterMaxLength = deadLetterMaxLength
        self.breakerThreshold = breakerThreshold
        self.breakerPause = breakerPause
        self.deliveryLogTTL = deliveryLogTTL
        self.dueScanInterval = dueScanInterval
    }

    public static func makeConsumerName() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "\(host)-\(getpid())-\(UUID().uuidString.prefix(6).lowercased())"
    }

    /// A lane taken by a notifier is its own for this long: longer than one attempt can take,
    /// so a delivery in flight is not sent again by another notifier.
    var laneLease: Duration { requestTimeout * 2 }

    /// Attempts and waits for deliveries whose subscription has no policy of its own, and for
    /// jobs' own URLs.
    var retryPolicy: RetryPolicy {
        RetryPolicy(attempts: attempts, delay: delay, exponential: exponentialBackoff)
    }
}
