import OrchestratorCore
import Redis

/// Keeps each events stream bounded by age and length, never cutting an entry some consumer
/// group has not read yet or still has pending (those are webhooks not yet safe in a lane).
struct EventTrimmer: Sendable {
    let redis: RedisClient
    let keys: KeySpace
    let maxAge: Duration
    let maxLength: Int

    /// Trims one stream once; returns how many entries went.
    @discardableResult
    func trimOnce(_ stream: String) async throws -> Int {
        let info = try await redis.pipeline([
            RedisCommand("TIME"),
            RedisCommand("XLEN", stream),
            RedisCommand("XRANGE", stream, "-", "+", "COUNT", 1),
            RedisCommand("XINFO", "GROUPS", stream),
            RedisCommand("XPENDING", stream, keys.notifierGroup),
        ])
        let time = info[0].array?.compactMap(\.int) ?? []
        guard time.count == 2 else { return 0 }
        let now = time[0] * 1000 + time[1] / 1000
        var cutoff = now - maxAge.wholeMilliseconds
        let length = info[1].int ?? 0
        let firstID = FanOut.entries(info[2]).first?.id
        if length > maxLength, let firstID, let first = Self.milliseconds(firstID) {
            // Entries are in time order: estimate the time at which the excess ends.
            let excess = Double(length - maxLength) / Double(length)
            cutoff = max(cutoff, first + Int(Double(now - first) * excess))
        }
        for group in info[3].array ?? [] {
            let fields = group.array ?? []
            var index = 0
            while index + 1 < fields.count {
                if fields[index].string == "last-delivered-id", let id = fields[index + 1].string, let ms = Self.milliseconds(id) {
                    cutoff = min(cutoff, ms)
                }
                index += 2
            }
        }
        if let pending = info[4].array, (pending.first?.int ?? 0) > 0, let oldest = pending[1].string, let ms = Self.milliseconds(oldest) {
            cutoff = min(cutoff, ms)
        }
        guard let firstID, let first = Self.milliseconds(firstID), cutoff > first else { return 0 }
        return try await redis.send("XTRIM", stream, "MINID", "~", "\(cutoff)-0").int ?? 0
    }

    private static func milliseconds(_ id: String) -> Int? {
        id.split(separator: "-").first.flatMap { Int($0) }
    }
}
