import Logging
import OrchestratorCore
import Redis
import Webhooks

/// Reads every scope's events stream through the consumer group (one blocking read over all of
/// them) while this notifier has room for more lanes, and takes over entries another notifier
/// read but never put into lanes (it died in between) once they have been idle `claimIdle`.
struct EventConsumer: Sendable {
    let redis: RedisClient
    let keys: KeySpace
    let configuration: NotifierConfiguration
    let scopes: ScopeList
    let fanOut: FanOut
    let budget: LaneBudget
    let logger: Logger
    let take: @Sendable ([LaneHead]) async -> Void

    /// Reads until cancelled.
    func readLoop() async {
        let connection = redis.makeDedicatedConnection(name: "notifier-events")
        defer { connection.close() }
        var failures = 0
        while !Task.isCancelled {
            // Read in batches: a few lanes freed are not worth a round trip of their own.
            let room = await budget.waitForRoom(atLeast: min(32, budget.capacity))
            if Task.isCancelled { break }
            let current = await scopes.current()
            let streams = current.map { keys.webhooks($0).events }
            let scopeOf = Dictionary(uniqueKeysWithValues: zip(streams, current))
            do {
                let reply = try await connection.send(RedisCommand(
                    "XREADGROUP", ["GROUP", keys.notifierGroup, configuration.consumerName, "COUNT", min(room, 256),
                                   "BLOCK", 1000, "STREAMS"] + streams + Array(repeating: ">", count: streams.count)),
                    blockingFor: .seconds(1))
                failures = 0
                for stream in reply.array ?? [] {
                    guard let parts = stream.array, parts.count == 2, let name = parts[0].string, let scope = scopeOf[name] else { continue }
                    try await accept(FanOut.entries(parts[1]), scope: scope)
                }
            } catch RedisError.server(_, let message) where message.hasPrefix("NOGROUP") {
                // Redis restarted without its data, or a stream was deleted: recreate, go on.
                await scopes.groupsLost()
            } catch {
                if Task.isCancelled { break }
                failures += 1
                if failures == 1 || failures % 30 == 0 {
                    logger.warning("cannot read events; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: .milliseconds(min(100 * (1 << min(failures, 4)), 2000)))
            }
        }
    }

    /// Entries idle in other consumers' pending lists (a notifier died between reading and
    /// enqueueing them), or in ours after a Redis error, are taken over.
    func claimLoop() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: min(configuration.claimIdle / 4, .seconds(5)))
            if Task.isCancelled { break }
            for scope in await scopes.current() {
                do {
                    var cursor = "0-0"
                    repeat {
                        let reply = try await redis.send(
                            "XAUTOCLAIM", keys.webhooks(scope).events, keys.notifierGroup, configuration.consumerName,
                            configuration.claimIdle.wholeMilliseconds, cursor, "COUNT", 256)
                        let parts = reply.array ?? []
                        cursor = parts.first?.string ?? "0-0"
                        let entries = parts.count > 1 ? FanOut.entries(parts[1]) : []
                        if !entries.isEmpty {
                            logger.notice("claimed events left by another notifier", metadata: [
                                "count": "\(entries.count)", "scope": "\(scope)",
                            ])
                            try await accept(entries, scope: scope)
                        }
                    } while cursor != "0-0" && !Task.isCancelled
                } catch RedisError.server(_, let message) where message.hasPrefix("NOGROUP") {
                    await scopes.groupsLost()
                } catch {
                    logger.debug("claim pass failed", metadata: ["error": "\(error)"])
                }
            }
        }
    }

    private func accept(_ entries: [StreamEntry], scope: WebhookScope) async throws {
        let heads = try await fanOut.accept(entries, scope: scope) { lane in
            logger.error("unreadable delivery in lane; leaving it for inspection", metadata: ["lane": "\(lane)"])
        }
        await take(heads)
    }
}
