import Redis

/// The notifier's Redis side. A *lane* is one job's pending deliveries to one URL, a list
/// worked front to back, so a job's webhooks to a URL go out in transition order while lanes
/// of other jobs go on independently. A lane is in `orch:webhooks:retry` while it has work,
/// scored by when it may next be worked on: a notifier that takes a lane pushes the score a
/// lease ahead, so if it dies the lane becomes due again and another notifier takes it.
enum LaneScripts {
    /// Puts a batch of stream entries' deliveries into their lanes and acknowledges the entries,
    /// in one step: an entry is acknowledged exactly when its deliveries are safe in Redis.
    ///
    /// ARGV: prefix, group, lease ms, entry count E, then E entry ids, then (lane id, item JSON)
    /// pairs. Returns {lane id, item} for each lane the caller now owns (was idle) and must drain.
    static let enqueue = RedisScript(name: "webhook-enqueue", source: #"""
    local P, group, lease, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local owned = {}
    for i = 5 + n, #ARGV, 2 do
      local lane, item = ARGV[i], ARGV[i + 1]
      local key = P .. 'webhooks:lane:' .. lane
      redis.call('RPUSH', key, item)
      if redis.call('ZSCORE', P .. 'webhooks:retry', lane) == false then
        redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
        owned[#owned + 1] = lane
        owned[#owned + 1] = redis.call('LINDEX', key, 0)
      end
    end
    if n > 0 then
      local ids = {}
      for i = 5, 4 + n do ids[#ids + 1] = ARGV[i] end
      redis.call('XACK', P .. 'events', group, unpack(ids))
    end
    return owned
    """#)

    /// Records one attempt on a lane's head delivery and moves the lane on.
    ///
    /// ARGV: prefix, lane id, delivery id, outcome (`delivered` | `retry` | `dead` | `defer`),
    /// updated item JSON, log entry JSON ('' = none), job id, due ms (retry/defer), lease ms,
    /// dead-letter max length, then dead-letter field/value pairs (for `dead`).
    /// Returns {'NEXT', item} (caller owns the lane and goes on), {'WAIT'}, {'DONE'} or {'STALE'}
    /// (the head is not this delivery: another notifier took the lane over).
    static let advance = RedisScript(name: "webhook-advance", source: #"""
    local P, lane, id, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local item, log, job, due, lease, dead_max = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), ARGV[10]
    local key = P .. 'webhooks:lane:' .. lane
    local head = redis.call('LINDEX', key, 0)
    if not head or cjson.decode(head).id ~= id then return {'STALE'} end
    if log ~= '' then
      local deliveries = P .. 'job:' .. job .. ':deliveries'
      redis.call('RPUSH', deliveries, log)
      local ttl = tonumber(redis.call('HGET', P .. 'job:' .. job, 'ttl') or '3600000')
      redis.call('PEXPIRE', deliveries, ttl)
    end
    if outcome == 'retry' or outcome == 'defer' then
      redis.call('LSET', key, 0, item)
      redis.call('ZADD', P .. 'webhooks:retry', due, lane)
      return {'WAIT'}
    end
    if outcome == 'dead' then
      local fields = {}
      for i = 11, #ARGV do fields[#fields + 1] = ARGV[i] end
      redis.call('XADD', P .. 'webhooks:dead', 'MAXLEN', '~', dead_max, '*', unpack(fields))
    end
    redis.call('LPOP', key)
    local next = redis.call('LINDEX', key, 0)
    if next then
      local t = redis.call('TIME')
      redis.call('ZADD', P .. 'webhooks:retry', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + lease, lane)
      return {'NEXT', next}
    end
    redis.call('ZREM', P .. 'webhooks:retry', lane)
    redis.call('DEL', key)
    return {'DONE'}
    """#)

    /// Takes up to N due lanes (retries whose time came, or lanes of a notifier that died),
    /// pushing each one's score a lease ahead. ARGV: prefix, lease ms, limit.
    /// Returns {lane id, head item} pairs.
    static let claimDue = RedisScript(name: "webhook-claim-due", source: #"""
    local P, lease, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    local taken = {}
    for _, lane in ipairs(redis.call('ZRANGEBYSCORE', P .. 'webhooks:retry', '-inf', now, 'LIMIT', 0, limit)) do
      local head = redis.call('LINDEX', P .. 'webhooks:lane:' .. lane, 0)
      if head then
        redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
        taken[#taken + 1] = lane
        taken[#taken + 1] = head
      else
        redis.call('ZREM', P .. 'webhooks:retry', lane)
      end
    end
    return taken
    """#)
}
