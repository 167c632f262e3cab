import API
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import OrchestratorCore
import Redis
import RedisTestSupport

/// Runs `body` against the real API over real HTTP (HummingbirdTesting's live mode: a server
/// on a free port and an HTTP client), backed by a throwaway redis-server.
func withAPI(
    configuration: APIConfiguration = APIConfiguration(port: 0),
    _ body: @escaping @Sendable (any TestClientProtocol, JobStore, RedisClient) async throws -> Void
) async throws {
    try await withRedisClient { redis, server in
        let subscriber = RedisSubscriber(configuration: server.configuration)
        defer { subscriber.close() }
        let store = JobStore(redis: redis)
        let api = APIServer(configuration: configuration, redis: redis, store: store, subscriber: subscriber, logger: Logger(label: "api-test"))
        let application = Application(router: api.makeRouter(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await application.test(.live) { client in try await body(client, store, redis) }
    }
}

func json(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
}

extension TestClientProtocol {
    func post(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}
