import Foundation
import Hummingbird
import Logging
import OrchestratorCore
import Redis
import Webhooks

/// `/api/webhooks`: standing subscriptions (CRUD) and the test button.
struct WebhookRoutes: Sendable {
    let subscriptions: SubscriptionStore
    let configuration: APIConfiguration
    let logger: Logger

    func register(on router: Router<APIRequestContext>) {
        router.post("/api/webhooks") { request, _ in
            let input = try parse(try await readBody(request, limit: configuration.maxBodyBytes))
            let subscription = try validated { () throws(SubscriptionInputError) in try input.makeSubscription() }
            let created = try await storage { try await subscriptions.create(subscription) }
            logger.notice("subscription created", metadata: [
                "subscription": "\(created.id)", "url": "\(created.url)", "events": "\(created.events.joined(separator: ","))",
            ])
            return JSONResponse.make(status: .created, created.json(showingSecret: true))
        }
        router.get("/api/webhooks") { _, _ in
            let all = try await storage { try await subscriptions.all() }
            return JSONResponse.make(JSONText.object([("webhooks", .raw(JSONText.array(all.map { .raw($0.json()) })))]))
        }
        router.post("/api/webhooks/test") { request, _ in
            try await testAdHoc(try await readBody(request, limit: configuration.maxBodyBytes))
        }
        router.get("/api/webhooks/:id") { _, context in
            JSONResponse.make(try await existing(context).json())
        }
        // The secret, read explicitly (as Svix does): listings and other answers never show it.
        router.get("/api/webhooks/:id/secret") { _, context in
            let subscription = try await existing(context)
            logger.notice("subscription secret read", metadata: ["subscription": "\(subscription.id)"])
            return JSONResponse.make(subscription.secretJSON)
        }
        router.post("/api/webhooks/:id/secret/rotate") { request, context in
            let current = try await existing(context)
            let rotation = try RotationRequest(try await readBody(request, limit: 64 * 1024))
            let rotated = current.rotated(to: rotation.secret, overlap: rotation.overlap, now: ISOTime.nowMilliseconds)
            guard try await storage({ try await subscriptions.update(rotated) }) else { throw notFound(current.id) }
            logger.notice("subscription secret rotated", metadata: [
                "subscription": "\(current.id)", "overlap": "\(rotation.overlap)",
            ])
            return JSONResponse.make(rotated.secretJSON)
        }
        router.put("/api/webhooks/:id") { request, context in
            let current = try await existing(context)
            let input = try parse(try await readBody(request, limit: configuration.maxBodyBytes))
            let updated = try validated { () throws(SubscriptionInputError) in try input.update(current) }
            guard try await storage({ try await subscriptions.update(updated) }) else { throw notFound(current.id) }
            logger.notice("subscription updated", metadata: ["subscription": "\(updated.id)", "active": "\(updated.active)"])
            return JSONResponse.make(updated.json())
        }
        router.delete("/api/webhooks/:id") { _, context in
            let id = context.parameters.get("id") ?? ""
            guard try await storage({ try await subscriptions.delete(id) }) else { throw notFound(id) }
            logger.notice("subscription deleted", metadata: ["subscription": "\(id)"])
            return JSONResponse.make(JSONText.object([("id", .string(id)), ("deleted", .bool(true))]))
        }
        router.post("/api/webhooks/:id/test") { request, context in
            let subscription = try await existing(context)
            return try await testSubscription(subscription, body: try await readBody(request, limit: configuration.maxBodyBytes))
        }
    }

    // MARK: Test deliveries

    /// `{"url", "event"?, "payload"?, "secret"?, "template"?}`: one signed delivery now.
    private func testAdHoc(_ body: [UInt8]) async throws -> Response {
        let members = try TestRequest.members(body)
        guard let url = try TestRequest.string(members, "url") else { throw APIError(.badRequest, "missing 'url'") }
        guard WebhookURL.isValid(url) else {
            throw APIError(.badRequest, WebhookURL.refusal(field: "url", value: url))
        }
        var template = WebhookTemplate.default
        if let name = try TestRequest.string(members, "template") {
            guard let value = WebhookTemplate(rawValue: name) else { throw APIError(.badRequest, "unknown template '\(name)'") }
            template = value
        }
        let secret = try TestRequest.string(members, "secret").flatMap { $0.isEmpty ? nil : $0 }
        return try await send(url: url, secret: secret, template: template, members: members)
    }

    /// `{"event"?, "payload"?}` to a subscription's URL, with its secret and template.
    private func testSubscription(_ subscription: Subscription, body: [UInt8]) async throws -> Response {
        let members = body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) ? [:] : try TestRequest.members(body)
        return try await send(url: subscription.url, secret: subscription.secret, template: subscription.template, members: members)
    }

    private func send(url: String, secret: String?, template: WebhookTemplate, members: [String: (text: String, kind: JSONScanner.Kind)]) async throws -> Response {
        let typeName = try TestRequest.string(members, "event") ?? EventType.jobCompleted.rawValue
        guard let type = EventType(rawValue: typeName) else {
            throw APIError(.badRequest, "unknown event type '\(typeName)': use \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let payload = members["payload"].map(\.text) ?? TestRequest.samplePayload
        let now = ISOTime.nowMilliseconds
        let notice = EventNotice(type: type, entryID: "\(now)-0", at: now, endpoint: "test",
                                 job: type.isJobEvent ? EventNotice.jobBody(fromData: payload) : nil, other: payload)
        let webhook = OutgoingWebhook(
            url: url, body: template.render(notice), id: "msg_test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(),
            secret: secret, eventType: type.rawValue)
        let sender = WebhookSender(requestTimeout: configuration.webhookTestTimeout, maxPerHost: 1, allowPrivateTargets: configuration.allowPrivateWebhooks)
        let outcome = await sender.send(webhook)
        await sender.shutdown()
        let message: String
        if let code = outcome.statusCode {
            message = outcome.succeeded ? "delivered: HTTP \(code)" : "receiver answered HTTP \(code)"
        } else {
            message = outcome.error ?? "not delivered"
        }
        logger.info("test webhook sent", metadata: ["url": "\(url)", "event": "\(type.rawValue)", "result": "\(message)"])
        return JSONResponse.make(JSONText.object([
            ("success", .bool(outcome.succeeded)), ("statusCode", outcome.statusCode.map { .int($0) } ?? .null),
            ("message", .string(message)), ("latencyMs", .int(outcome.latencyMs)), ("webhookId", .string(webhook.id)),
        ]))
    }

    // MARK: Helpers

    private func parse(_ body: [UInt8]) throws -> SubscriptionInput {
        try validated { () throws(SubscriptionInputError) in try SubscriptionInput.parse(body) }
    }

    /// Refusals of subscription input become 400s with their message.
    private func validated<T>(_ body: () throws(SubscriptionInputError) -> T) throws -> T {
        do { return try body() } catch { throw APIError(.badRequest, error.message) }
    }

    private func existing(_ context: APIRequestContext) async throws -> Subscription {
        let id = context.parameters.get("id") ?? ""
        guard let subscription = try await storage({ try await subscriptions.get(id) }) else { throw notFound(id) }
        return subscription
    }

    private func notFound(_ id: String) -> APIError {
        APIError(.notFound, "no webhook subscription \(id)")
    }

    private func storage<T>(_ operation: () async throws -> T) async throws -> T {
        try await withStorage(logger: logger, operation)
    }
}

/// Reading the small JSON bodies of test and dead-letter requests.
enum TestRequest {
    static let samplePayload = #"{"id":"test","status":"COMPLETED","delayTime":12,"executionTime":345,"output":{"message":"test webhook from orchestrator"}}"#

    static func members(_ body: [UInt8]) throws -> [String: (text: String, kind: JSONScanner.Kind)] {
        do { return try JSONScanner.topLevelMembers(body) } catch {
            throw APIError(.badRequest, "request body is not a JSON object: \(error)")
        }
    }

    static func string(_ members: [String: (text: String, kind: JSONScanner.Kind)], _ name: String) throws -> String? {
        guard let member = members[name], member.kind != .null else { return nil }
        guard member.kind == .string, let text = try? JSONScanner.decodeString(Array(member.text.utf8)) else {
            throw APIError(.badRequest, "'\(name)' must be a string")
        }
        return text
    }
}
