import Hummingbird
import Logging
import OrchestratorCore
import Redis
import Webhooks

/// `/api/dead-letters`: deliveries that used up their attempts, for operators to act on; and
/// `/api/jobs/{id}/deliveries`, a job's delivery log.
struct DeadLetterRoutes: Sendable {
    let deadLetters: DeadLetterStore
    let subscriptions: SubscriptionStore
    let deliveryLog: DeliveryLogStore
    let directory: EndpointDirectory
    let configuration: APIConfiguration
    let logger: Logger

    func register(on router: Router<APIRequestContext>) {
        router.get("/api/dead-letters") { request, _ in
            let stateText = request.uri.queryParameters.get("state") ?? "pending"
            var states: Set<DeadLetter.State>?
            if stateText != "all" {
                guard let state = DeadLetter.State(rawValue: stateText) else {
                    throw APIError(.badRequest, "'state' must be pending, replaying, resolved, ignored or all, got '\(stateText)'")
                }
                states = [state]
            }
            let limitText = request.uri.queryParameters.get("limit") ?? "100"
            guard let limit = Int(limitText), (1...10_000).contains(limit) else {
                throw APIError(.badRequest, "'limit' must be a whole number from 1 to 10000, got '\(limitText)'")
            }
            let letters = try await storage { try await deadLetters.list(states: states, limit: limit) }
            return JSONResponse.make(JSONText.object([
                ("deadLetters", .raw(JSONText.array(letters.map { .raw($0.json(includeBody: false)) }))),
            ]))
        }
        router.get("/api/dead-letters/:id") { _, context in
            JSONResponse.make(try await existing(context).json(includeBody: true))
        }
        router.post("/api/dead-letters/:id/replay") { _, context in
            let id = context.parameters.get("id") ?? ""
            switch try await storage({ try await deadLetters.replay(id, subscriptions: subscriptions) }) {
            case .replaying(let letter):
                logger.notice("dead letter replayed", metadata: ["deadLetter": "\(id)", "url": "\(letter.url)", "job": "\(letter.job)"])
                return JSONResponse.make(letter.json(includeBody: false))
            case .notFound: throw notFound(id)
            case .alreadyReplaying: throw APIError(.conflict, "dead letter \(id) is already being replayed")
            case .subscriptionGone(let subscription):
                throw APIError(.conflict, "dead letter \(id) was for subscription \(subscription), which was deleted; ignore it instead")
            }
        }
        for (action, state) in [("resolve", DeadLetter.State.resolved), ("ignore", .ignored)] {
            router.post("/api/dead-letters/:id/\(action)") { request, context in
                let id = context.parameters.get("id") ?? ""
                let members = try TestRequest.members(try await readBody(request, limit: 64 * 1024))
                guard let reason = try TestRequest.string(members, "reason"), !reason.isEmpty else {
                    throw APIError(.badRequest, "missing 'reason': say why, e.g. {\"reason\": \"receiver fixed, data re-sent by hand\"}")
                }
                guard let letter = try await storage({ try await deadLetters.setState(id, state, reason: reason) }) else { throw notFound(id) }
                logger.notice("dead letter \(state.rawValue)", metadata: ["deadLetter": "\(id)", "reason": "\(reason)"])
                return JSONResponse.make(letter.json(includeBody: false))
            }
        }
        router.get("/api/jobs/:id/deliveries") { request, context in
            let id = context.parameters.get("id") ?? ""
            // RunPod's URLs carry the endpoint; this one may (`?endpoint=`), else every endpoint is asked.
            let endpoints: [String]
            if let endpoint = request.uri.queryParameters.get("endpoint") {
                guard EndpointName.isValid(endpoint) else { throw APIError(.badRequest, "invalid endpoint name '\(endpoint)'") }
                endpoints = [endpoint]
            } else {
                endpoints = try await storage { try await directory.all() }
            }
            for endpoint in endpoints {
                if let entries = try await storage({ try await deliveryLog.attempts(endpoint: endpoint, job: id) }) {
                    return JSONResponse.make(JSONText.object([
                        ("id", .string(id)), ("endpoint", .string(endpoint)),
                        ("deliveries", .raw(JSONText.array(entries.map { .raw($0) }))),
                    ]))
                }
            }
            throw APIError(.notFound, "no job \(id) (unknown id, or it expired)")
        }
    }

    private func existing(_ context: APIRequestContext) async throws -> DeadLetter {
        let id = context.parameters.get("id") ?? ""
        guard let letter = try await storage({ try await deadLetters.get(id) }) else { throw notFound(id) }
        return letter
    }

    private func notFound(_ id: String) -> APIError {
        APIError(.notFound, "no dead letter \(id)")
    }

    private func storage<T>(_ operation: () async throws -> T) async throws -> T {
        try await withStorage(logger: logger, operation)
    }
}
