import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrchestratorCore
import Redis

/// Sends one attempt of a delivery: a POST with the payload and the Standard Webhooks headers.
final class WebhookSender: Sendable {
    struct Outcome: Sendable {
        var statusCode: Int?
        var error: String?
        var latencyMs: Int
        var retryAfter: Duration?
        var succeeded: Bool { statusCode.map { (200..<300).contains($0) } ?? false }
    }

    private let client: HTTPClient
    private let signer: WebhookSigner?
    private let allowPrivateTargets: Bool
    private let timeout: Duration

    init(configuration: NotifierConfiguration) {
        var http = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .milliseconds(Int64(configuration.requestTimeout.wholeMilliseconds)))
        )
        http.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.maxPerHost)
        self.client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: http)
        self.signer = configuration.signingSecret.map(WebhookSigner.init(secret:))
        self.allowPrivateTargets = configuration.allowPrivateTargets
        self.timeout = configuration.requestTimeout
    }

    func shutdown() async {
        try? await client.shutdown()
    }

    func send(_ delivery: WebhookDelivery) async -> Outcome {
        let started = ContinuousClock.now
        func finish(status: Int? = nil, error: String? = nil, retryAfter: Duration? = nil) -> Outcome {
            Outcome(statusCode: status, error: error, latencyMs: (ContinuousClock.now - started).wholeMilliseconds, retryAfter: retryAfter)
        }
        guard let components = URLComponents(string: delivery.url), let host = components.host, !host.isEmpty else {
            return finish(error: "invalid URL")
        }
        var target = delivery.url
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
        let timestamp = Int(Date().timeIntervalSince1970)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "orchestrator/\(OrchestratorVersion.current)")
        request.headers.add(name: "webhook-id", value: delivery.id)
        request.headers.add(name: "webhook-timestamp", value: String(timestamp))
        if let signer {
            request.headers.add(name: "webhook-signature", value: signer.signature(id: delivery.id, timestamp: timestamp, body: delivery.body))
        }
        if let hostHeader { request.headers.replaceOrAdd(name: "Host", value: hostHeader) }
        request.body = .bytes(ByteBuffer(string: delivery.body))
        do {
            let response = try await client.execute(request, timeout: .milliseconds(Int64(timeout.wholeMilliseconds)))
            // Read (a bounded part of) the body so the connection can be reused.
            _ = try? await response.body.collect(upTo: 64 * 1024)
            var retryAfter: Duration?
            if response.status.code == 429 || response.status.code == 503,
               let header = response.headers.first(name: "Retry-After"), let seconds = Int(header.trimmingCharacters(in: .whitespaces)) {
                retryAfter = .seconds(max(0, seconds))
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
