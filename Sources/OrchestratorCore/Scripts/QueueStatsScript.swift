import Redis

/// Reads an endpoint's queue figures in one call (read-only): lengths, tombstones, counters,
/// and when the oldest job still waiting was queued (skipping tombstones at the head, up to 20).
///
/// KEYS: base, queue, low queue, stats. ARGV: none.
/// Returns {queue length, low queue length, tombstones, completed, failed, cancelled, timedOut,
/// retried, oldest queued at (ms, -1 when none), Redis' time (ms)}.
enum QueueStatsScript {
    static let script = RedisScript(name: "queue-stats", source: LuaPrelude.source + #"""
    local function count(name) return tonumber(redis.call('HGET', KEYS[4], name) or '0') end
    local oldest = -1
    for _, queue in ipairs({KEYS[2], KEYS[3]}) do
      if oldest < 0 then
        local entries = redis.call('LRANGE', queue, -20, -1)
        for i = #entries, 1, -1 do
          local id = entry_id(entries[i])
          local status, queued, created = unpack(redis.call('HMGET', job_key(id), 'status', 'queuedAt', 'createdAt'))
          if status == 'IN_QUEUE' then
            oldest = tonumber(queued or created or '-1')
            break
          end
        end
      end
    end
    return {redis.call('LLEN', KEYS[2]), redis.call('LLEN', KEYS[3]), count('tombstones'), count('completed'), count('failed'),
      count('cancelled'), count('timedOut'), count('retried'), oldest, now_ms()}
    """#)
}
