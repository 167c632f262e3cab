/// Every Redis key the orchestrator uses, under one prefix (`orch:` by default).
///
/// Keys come in groups that share a Redis Cluster hash tag, so that every script touches the
/// keys of one group only: one group per endpoint (`orch:{sdxl}:…`: its jobs, queue, running
/// sets, events and webhook lanes) and one global group (`orch:{@global}:…`: the worker
/// registry, the endpoint directory, subscriptions). `@` cannot start an endpoint name, so the
/// global group never collides with an endpoint.
///
/// Key names are part of the user interface: operators read them with `redis-cli`, and the
/// README documents them. Scripts receive the keys they touch in `KEYS`; keys named after a
/// job id the script only learns as it runs (a job popped from a queue) are built in Lua from
/// the group's base (`orch:{sdxl}:`), which is passed in `KEYS` as well (as BullMQ does).
public struct KeySpace: Sendable, Hashable {
    public let prefix: String

    public init(prefix: String = "orch:") {
        self.prefix = prefix
    }

    /// The keys of one endpoint's jobs.
    public func endpoint(_ name: String) -> EndpointKeys {
        EndpointKeys(endpoint: name, base: "\(prefix){\(name)}:")
    }

    /// The keys shared by all endpoints.
    public var global: GlobalKeys {
        GlobalKeys(base: "\(prefix){\(GlobalKeys.tag)}:")
    }

    /// The webhook keys of a scope: an endpoint's, or the global one for events about no job.
    public func webhooks(_ scope: WebhookScope) -> WebhookKeys {
        switch scope {
        case .endpoint(let name): endpoint(name).webhooks
        case .global: global.webhooks
        }
    }

    /// Consumer group of the notifiers on every events stream.
    public var notifierGroup: String { "notifiers" }
}

/// Where a webhook delivery's lane lives: with its job's endpoint, or globally for events
/// about no job (`worker.lost`, and notices about those).
public enum WebhookScope: Sendable, Hashable, CustomStringConvertible {
    case endpoint(String)
    case global

    public var description: String {
        switch self {
        case .endpoint(let name): name
        case .global: "@global"
        }
    }
}
