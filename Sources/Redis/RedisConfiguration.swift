import Foundation

/// Where and how to connect to Redis. Build one from a URL:
/// `redis://[:password@]host[:port][/db]`, `redis://user:password@host`, or `unix:///path/to.sock[?db=N]`.
public struct RedisConfiguration: Sendable, Equatable {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var username: String?
    public var password: String?
    public var database: Int
    /// Limit for establishing a connection (TCP connect plus AUTH/SELECT).
    public var connectTimeout: Duration
    /// Limit for one reply. Blocking commands get their own block time on top of it.
    public var commandTimeout: Duration
    /// Connections (each on its own thread) for ordinary commands.
    public var poolSize: Int
    /// Reconnect backoff: first wait after a failed connect, doubled per failure up to `maxBackoff`.
    public var initialBackoff: Duration
    public var maxBackoff: Duration
    /// The role using the client (`api`, `worker`, …), as the `role` of
    /// `orchestrator_redis_errors_total`.
    public var role = "client"

    public init(
        address: Address = .tcp(host: "127.0.0.1", port: 6379),
        username: String? = nil,
        password: String? = nil,
        database: Int = 0,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration = .seconds(5),
        poolSize: Int = 2,
        initialBackoff: Duration = .milliseconds(50),
        maxBackoff: Duration = .seconds(2)
    ) {
        self.address = address
        self.username = username
        self.password = password
        self.database = database
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = poolSize
        self.initialBackoff = initialBackoff
        self.maxBackoff = maxBackoff
    }

    public init(url text: String) throws {
        self.init()
        // Errors show the URL for context, never its password.
        let url = Self.redacted(text)
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw RedisError.invalidURL(url, reason: "expected redis://host:port/db or unix:///path")
        }
        switch scheme {
        case "redis":
            let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            let port = components.port ?? 6379
            guard (1...65535).contains(port) else { throw RedisError.invalidURL(url, reason: "port out of range") }
            address = .tcp(host: host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")), port: port)
            let path = components.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
            if !path.isEmpty {
                guard let db = Int(path), db >= 0 else {
                    throw RedisError.invalidURL(url, reason: "database must be a number, got '\(path)'")
                }
                database = db
            }
        case "unix":
            guard !components.path.isEmpty else { throw RedisError.invalidURL(url, reason: "missing socket path") }
            address = .unix(path: components.path)
        default:
            throw RedisError.invalidURL(url, reason: "unsupported scheme '\(scheme)' (use redis:// or unix://)")
        }
        if let user = components.user, !user.isEmpty { username = user.removingPercentEncoding ?? user }
        if let pass = components.password, !pass.isEmpty { password = pass.removingPercentEncoding ?? pass }
        for item in components.queryItems ?? [] {
            switch item.name {
            case "db":
                guard let value = item.value, let db = Int(value), db >= 0 else {
                    throw RedisError.invalidURL(url, reason: "db must be a number")
                }
                database = db
            case "password": password = item.value
            default: break
            }
        }
    }

    /// `url` with the password (`:password@`, `?password=`) replaced by `***`, for messages.
    public static func redacted(_ url: String) -> String {
        var text = url
        if let scheme = text.range(of: "://"), let at = text[scheme.upperBound...].lastIndex(of: "@"),
           let colon = text[scheme.upperBound..<at].firstIndex(of: ":") {
            text.replaceSubrange(text.index(after: colon)..<at, with: "***")
        }
        if let query = text.range(of: "password=") {
            let end = text[query.upperBound...].firstIndex(of: "&") ?? text.endIndex
            text.replaceSubrange(query.upperBound..<end, with: "***")
        }
        return text
    }

    /// Where the server is, for messages (never includes the password).
    public var endpointDescription: String {
        switch address {
        case .tcp(let host, let port): "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }
}
