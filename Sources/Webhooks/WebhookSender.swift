import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrchestratorCore
import Redis

/// What one attempt sends: the body, the target and how to sign it.
package struct OutgoingWebhook: Sendable {
    package var url: String
    package var body: String
    /// `webhook-id`.
    package var id: String
    /// Signs with the Standard Webhooks headers when set.
    package var secret: String?
    /// A secret being rotated out: `webhook-signature` carries its signature too.
    package var previousSecret: String?
    /// Adds `X-Webhook-Event`, `X-Webhook-Timestamp` (ms) and, with a secret,
    /// `X-Webhook-Signature` (hex HMAC of the body) for receivers built to that convention.
    package var eventType: String?

    package init(url: String, body: String, id: String, secret: String?, eventType: String?) {
        self.url = url
        self.body = body
        self.id = id
        self.secret = secret
        self.eventType = eventType
    }
}

/// Sends one attempt of a delivery: a POST with the body and the Standard Webhooks headers,
/// after the SSRF guard, without following redirects.
package final class WebhookSender: Sendable {
    package struct Outcome: Sendable {
        package var statusCode: Int?
        package var error: String?
        package var latencyMs: Int
        package var retryAfter: Duration?
        package var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    }

    private let client: HTTPClient
    private let allowPrivateTargets: Bool
    private let timeout: Duration

    package init(requestTimeout: Duration, maxPerHost: Int, allowPrivateTargets: Bool) {
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .milliseconds(Int64(requestTimeout.wholeMilliseconds)))
        )
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: maxPerHost)
        // A failed connect is a failed attempt, retried by the delivery's own policy (in Redis,
        // without holding a slot): AHC's own retries would hold a refused attempt for the whole
        // connect timeout (10 s), and a person waiting on the test button wants the answer now.
        http.connectionPool.retryConnectionEstablishment = false
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        self.allowPrivateTargets = allowPrivateTargets
        self.timeout = requestTimeout
    }

    package func shutdown() async {
        try? await client.shutdown()
    }

    package func send(_ webhook: OutgoingWebhook) async -> Outcome {
        let started = ContinuousClock.now
        func finish(status: Int? = nil, error: String? = nil, retryAfter: Duration? = nil) -> Outcome {
            Outcome(statusCode: status, error: error, latencyMs: (ContinuousClock.now - started).wholeMilliseconds, retryAfter: retryAfter)
        }
        guard let components = URLComponents(string: webhook.url), let host = components.host, !host.isEmpty else {
            return finish(error: "invalid URL")
        }
        var target = webhook.url
        var hostHeader: String?
        if !allowPrivateTargets {
            do {
                let addresses = try await offCooperativePool { try AddressGuard.publicAddresses(of: host) }
                // For plain http, connect to the address that was checked, so a DNS answer that
                // changes between check and connect (rebinding) cannot redirect the request.
                if components.scheme?.lowercased() == "http", let address = addresses.first {
                    var pinned = components
                    pinned.host = address.contains(":") ? "[\(address)]" : address
                    if let url = pinned.string {
                        target = url
                        hostHeader = components.port.map { "\(host):\($0)" } ?? host
                    }
                }
            } catch {
                return finish(error: "\(error)")
            }
        }
        var request = HTTPClientRequest(url: target)
        request.method = .POST
        let now = Date().timeIntervalSince1970
        let timestamp = Int(now)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "orchestrator/\(OrchestratorVersion.current)")
        request.headers.add(name: "webhook-id", value: webhook.id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        let signer = webhook.secret.map(WebhookSigner.init(secret:))
        if let signer {
            // Several signatures, space-separated, while a rotated-out secret overlaps (Standard Webhooks).
            let signers = [signer] + (webhook.previousSecret.map { [WebhookSigner(secret: $0)] } ?? [])
            request.headers.add(name: "webhook-signature", value: signers
                .map { $0.signature(id: webhook.id, timestamp: timestamp, body: webhook.body) }.joined(separator: " "))
        }
        if let eventType = webhook.eventType {
            request.headers.add(name: "X-Webhook-Event", value: eventType)
            request.headers.add(name: "X-Webhook-Timestamp", value: String(Int(now * 1000)))
            if let signer {
                request.headers.add(name: "X-Webhook-Signature", value: signer.hexBodySignature(body: webhook.body))
            }
        }
        if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
        request.body = .bytes(ByteBuffer(string: webhook.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.wholeMilliseconds)))
            // Read (a bounded part of) the body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            var retryAfter: Duration?
            if response.status.code == 429 || response.status.code == 503,
               let header = response.headers.first(name: "Retry-After") {
                retryAfter = RetryAfter.parse(header, now: Date())
            }
            return finish(status: Int(response.status.code), retryAfter: retryAfter)
        } catch {
            return finish(error: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let client = error as? HTTPClientError {
            if client == .deadlineExceeded || client == .readTimeout { return "timed out" }
            if client == .connectTimeout { return "connect timed out" }
            return "\(client)"
        }
        let text = String(describing: error)
        if text.contains("connectionRefused") || text.contains("Connection refused") { return "connection refused" }
        return text
    }
}
