import Redis

/// The notifier's Redis side. A *lane* is one job's pending deliveries to one URL, a list
/// worked front to back, so a job's webhooks to a URL go out in transition order while lanes
/// of other jobs go on independently. A lane is in `orch:webhooks:retry` while it has work,
/// scored by when it may next be worked on: a notifier that takes a lane pushes the score a
/// lease ahead, so if it dies the lane becomes due again and another notifier takes it.
package enum LaneScripts {
    /// Puts a batch of stream entries' deliveries into their lanes and acknowledges the entries,
    /// in one step: an entry is acknowledged exactly when its deliveries are safe in Redis.
    ///
    /// ARGV: prefix, group, lease ms, entry count E, then E entry ids, then (lane id, item JSON)
    /// pairs. Returns {lane id, item} for each lane the caller now owns (was idle) and must drain.
    package static let enqueue = RedisScript(name: "webhook-enqueue", source: #"""
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
    /// ARGV: prefix, lane id, delivery id, outcome (`delivered` | `retry` | `dead` | `defer` |
    /// `dropped`), updated item JSON, log entry JSON ('' = none), job id ('' = none), due ms
    /// (retry/defer), lease ms, dead-letter max count, replay ('1' when the delivery replays a
    /// dead letter), K, then K dead-letter field/value arguments (for `dead`), then the fields
    /// of a `webhook.dead_lettered` event to append to the events stream (none: no event).
    /// A dead letter is the hash `webhooks:dead:<delivery id>` indexed by the sorted set
    /// `webhooks:dead`; dying again after a replay adds the new attempts to the same one.
    /// Returns {'NEXT', item} (caller owns the lane and goes on), {'WAIT'}, {'DONE'} or {'STALE'}
    /// (the head is not this delivery: another notifier took the lane over).
    package static let advance = RedisScript(name: "webhook-advance", source: #"""
    local P, lane, id, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local item, log, job, due, lease, dead_max = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
    local replay, k = ARGV[11] == '1', tonumber(ARGV[12])
    local key = P .. 'webhooks:lane:' .. lane
    local head = redis.call('LINDEX', key, 0)
    if not head or cjson.decode(head).id ~= id then return {'STALE'} end
    local t = redis.call('TIME')
    local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    if log ~= '' and job ~= '' then
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
    local dkey = P .. 'webhooks:dead:' .. id
    if outcome == 'dead' then
      local fields, attempts = {}, '[]'
      for i = 13, 12 + k, 2 do
        if ARGV[i] == 'attempts' then attempts = ARGV[i + 1]
        else fields[#fields + 1] = ARGV[i]; fields[#fields + 1] = ARGV[i + 1] end
      end
      local prior = redis.call('HGET', dkey, 'attempts')
      if prior and #prior > 2 and #attempts > 2 then attempts = string.sub(prior, 1, -2) .. ',' .. string.sub(attempts, 2) end
      if redis.call('EXISTS', dkey) == 0 then
        fields[#fields + 1] = 'createdAt'; fields[#fields + 1] = tostring(now)
        fields[#fields + 1] = 'replays'; fields[#fields + 1] = '0'
      end
      redis.call('HSET', dkey, 'attempts', attempts, 'state', 'pending', 'stateReason', '', 'stateAt', tostring(now),
        'deadAt', tostring(now), unpack(fields))
      redis.call('ZADD', P .. 'webhooks:dead', now, id)
      local count = redis.call('ZCARD', P .. 'webhooks:dead')
      if count > dead_max then
        for _, old in ipairs(redis.call('ZRANGE', P .. 'webhooks:dead', 0, count - dead_max - 1)) do
          redis.call('DEL', P .. 'webhooks:dead:' .. old)
        end
        redis.call('ZREMRANGEBYRANK', P .. 'webhooks:dead', 0, count - dead_max - 1)
      end
      if #ARGV > 12 + k then
        local entry = {}
        for i = 13 + k, #ARGV do entry[#entry + 1] = ARGV[i] end
        redis.call('XADD', P .. 'events', '*', unpack(entry))
      end
    elseif replay and redis.call('EXISTS', dkey) == 1 then
      if outcome == 'delivered' then
        redis.call('HSET', dkey, 'state', 'resolved', 'stateReason', 'delivered on replay', 'stateAt', tostring(now))
      else
        redis.call('HSET', dkey, 'state', 'ignored', 'stateReason', 'subscription deleted', 'stateAt', tostring(now))
      end
    end
    redis.call('LPOP', key)
    local next = redis.call('LINDEX', key, 0)
    if next then
      redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
      return {'NEXT', next}
    end
    redis.call('ZREM', P .. 'webhooks:retry', lane)
    redis.call('DEL', key)
    return {'DONE'}
    """#)

    /// Takes up to N due lanes (retries whose time came, or lanes of a notifier that died),
    /// pushing each one's score a lease ahead. ARGV: prefix, lease ms, limit.
    /// Returns {lane id, head item} pairs.
    package static let claimDue = RedisScript(name: "webhook-claim-due", source: #"""
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
