import OrchestratorCore
import Redis

/// Keeps the events stream bounded by age and length, never cutting an entry some consumer
/// group has not read yet or still has pending (those are webhooks not yet safe in a lane).
struct EventTrimmer: Sendable {
    let redis: RedisClient
    let keys: KeySpace
    let maxAge: Duration
    let maxLength: Int

    /// Trims once; returns how many entries went.
    @discardableResult
    func trimOnce() async throws -> Int {
        let time = try await redis.send("TIME").array?.compactMap(\.int) ?? []
        guard time.count == 2 else { return 0 }
        let now = time[0] * 1000 + time[1] / 1000
        var cutoff = now - maxAge.wholeMilliseconds
        let info = try await redis.pipeline([
            RedisCommand("XLEN", keys.events),
            RedisCommand("XRANGE", keys.events, "-", "+", "COUNT", 1),
            RedisCommand("XINFO", "GROUPS", keys.events),
            RedisCommand("XPENDING", keys.events, keys.notifierGroup),
        ])
        let length = info[0].int ?? 0
        let firstID = NotifierService.entryList(info[1]).first?.id
        if length > maxLength, let firstID, let first = Self.milliseconds(firstID) {
            // Entries are in time order: estimate the time at which the excess ends.
            let excess = Double(length - maxLength) / Double(length)
            cutoff = max(cutoff, first + Int(Double(now - first) * excess))
        }
        for group in info[2].array ?? [] {
            let fields = group.array ?? []
            var index = 0
            while index + 1 < fields.count {
                if fields[index].string == "last-delivered-id", let id = fields[index + 1].string, let ms = Self.milliseconds(id) {
                    cutoff = min(cutoff, ms)
                }
                index += 2
            }
        }
        if let pending = info[3].array, (pending.first?.int ?? 0) > 0, let oldest = pending[1].string, let ms = Self.milliseconds(oldest) {
            cutoff = min(cutoff, ms)
        }
        guard let firstID, let first = Self.milliseconds(firstID), cutoff > first else { return 0 }
        let removed = try await redis.send("XTRIM", keys.events, "MINID", "~", "\(cutoff)-0").int ?? 0
        return removed
    }

    private static func milliseconds(_ id: String) -> Int? {
        id.split(separator: "-").first.flatMap { Int($0) }
    }
}
