import OrchestratorCore
import Redis

/// The notifier's Redis side: lanes of deliveries within one scope (an endpoint's keys, or the
/// global ones). See ``LaneLua`` for lanes, due sets and the order gate. Every script's KEYS
/// start with the scope's base and its due set.
package enum LaneScripts {
    /// Puts a batch of stream entries' deliveries into their lanes and acknowledges the entries,
    /// in one step: an entry is acknowledged exactly when its deliveries are safe in Redis.
    ///
    /// KEYS: base, due set, events stream.
    /// ARGV: group, lease ms, entry count E, E entry ids, E (job id, seq) pairs ('' and 0 for
    /// entries that are no job transition), then (lane id, item, park ms) triples: park > 0
    /// leaves an idle lane due that long from now instead of taking it (its receiver is busy).
    /// Returns a ``LaneHead`` quadruple for each lane the caller now owns (was idle, head ready,
    /// not parked) and must drain.
    package static let enqueue = RedisScript(name: "webhook-enqueue", source: LaneLua.source + #"""
    local group, lease, n = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
    local now = now_ms()
    local owned = {}
    for i = 4 + n, 3 + 3 * n, 2 do
      if ARGV[i] ~= '' then job_mark_fanned(B, ARGV[i], tonumber(ARGV[i + 1])) end
    end
    for i = 4 + 3 * n, #ARGV, 3 do
      local lane, item, park = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
      local key = lane_key(lane)
      insert_in_order(key, item)
      if redis.call('ZSCORE', KEYS[2], lane) == false then
        local head = redis.call('LINDEX', key, 0)
        if park > 0 then
          redis.call('ZADD', KEYS[2], now + park, lane)
        elseif ready(lane, head, now) then
          redis.call('ZADD', KEYS[2], now + lease, lane)
          hand_out(owned, lane, head)
        else
          redis.call('ZADD', KEYS[2], now + order_poll, lane)
        end
      end
    end
    if n > 0 then
      local ids = {}
      for i = 4, 3 + n do ids[#ids + 1] = ARGV[i] end
      redis.call('XACK', KEYS[3], group, unpack(ids))
    end
    return owned
    """#)

    /// Records one attempt on a lane's head delivery and moves the lane on.
    ///
    /// KEYS: base, due set, events stream (for dead-letter notices), dead-letter index, pending
    /// dead letters.
    /// ARGV: lane id, delivery id, outcome (`delivered` | `retry` | `dead` | `defer` |
    /// `dropped`), updated item, log entry ('' = none), wait ms (retry/defer: due that long after
    /// now, by Redis' clock), lease ms, dead-letter max count, default log TTL ms, replay ('1' when
    /// the delivery replays a dead letter), K, then K
    /// dead-letter field/value arguments (for `dead`), then the fields of a dead-letter notice
    /// to append to the events stream (none: no notice).
    /// A dead letter is the hash `webhooks:dead:<delivery id>` indexed by `webhooks:dead`; dying
    /// again after a replay adds the new attempts to the same one.
    /// Returns {'NEXT', lane head quadruple…} (the caller goes on with the lane), {'WAIT'},
    /// {'DONE'} or {'STALE'} (the head is not this delivery: another notifier took the lane over).
    package static let advance = RedisScript(name: "webhook-advance", source: LaneLua.source + #"""
    local lane, id, outcome, item, log = ARGV[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5]
    local wait, lease, dead_max, log_ttl = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9])
    local replay, k = ARGV[10] == '1', tonumber(ARGV[11])
    local key = lane_key(lane)
    local head = redis.call('LINDEX', key, 0)
    local _, _, _, head_id = item_head(head)
    if not head or head_id ~= id then return {'STALE'} end
    local now = now_ms()
    local job = lane_job(lane)
    if log ~= '' and job ~= '' then job_log_delivery(B, job, log, log_ttl) end
    if outcome == 'retry' or outcome == 'defer' then
      redis.call('LSET', key, 0, item)
      redis.call('ZADD', KEYS[2], now + wait, lane)
      return {'WAIT'}
    end
    local dkey = B .. 'webhooks:dead:' .. id
    if outcome == 'dead' then
      local fields, attempts = {}, '[]'
      for i = 12, 11 + k, 2 do
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
      redis.call('ZADD', KEYS[4], now, id)
      redis.call('SADD', KEYS[5], id)
      local count = redis.call('ZCARD', KEYS[4])
      if count > dead_max then
        for _, old in ipairs(redis.call('ZRANGE', KEYS[4], 0, count - dead_max - 1)) do
          redis.call('DEL', B .. 'webhooks:dead:' .. old)
          redis.call('SREM', KEYS[5], old)
        end
        redis.call('ZREMRANGEBYRANK', KEYS[4], 0, count - dead_max - 1)
      end
      if #ARGV > 11 + k then
        local entry = {}
        for i = 12 + k, #ARGV do entry[#entry + 1] = ARGV[i] end
        redis.call('XADD', KEYS[3], '*', unpack(entry))
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
      if not ready(lane, next, now) then
        redis.call('ZADD', KEYS[2], now + order_poll, lane)
        return {'WAIT'}
      end
      redis.call('ZADD', KEYS[2], now + lease, lane)
      local out = {'NEXT'}
      hand_out(out, lane, next)
      return out
    end
    redis.call('ZREM', KEYS[2], lane)
    redis.call('DEL', key)
    return {'DONE'}
    """#)

    /// Takes up to N due lanes (retries whose time came, parked lanes, or lanes of a notifier
    /// that died) whose head may go out, pushing each one's score a lease ahead.
    ///
    /// KEYS: base, due set. ARGV: lease ms, limit.
    /// Returns {Redis' time ms, next due time ms (-1 when the set is empty), lane head quadruples…}.
    package static let claimDue = RedisScript(name: "webhook-claim-due", source: LaneLua.source + #"""
    local lease, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
    local now = now_ms()
    local taken = {now, 0}
    for _, lane in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, limit)) do
      local head = redis.call('LINDEX', lane_key(lane), 0)
      if head and not ready(lane, head, now) then
        redis.call('ZADD', KEYS[2], now + order_poll, lane)
      elseif head then
        redis.call('ZADD', KEYS[2], now + lease, lane)
        hand_out(taken, lane, head)
      else
        redis.call('ZREM', KEYS[2], lane)
      end
    end
    local first = redis.call('ZRANGE', KEYS[2], 0, 0, 'WITHSCORES')
    taken[2] = first[2] and tonumber(first[2]) or -1
    return taken
    """#)

    /// Hands lanes back without an attempt (their receiver was busy), many in one call: each lane
    /// whose head is still the given delivery becomes due `wait` ms from now.
    ///
    /// KEYS: base, due set. ARGV: (lane id, delivery id, wait ms) triples.
    /// Returns how many were parked (a lane another notifier took over meanwhile is left alone).
    package static let park = RedisScript(name: "webhook-park", source: LaneLua.source + #"""
    local now = now_ms()
    local parked = 0
    for i = 1, #ARGV, 3 do
      local lane, id, wait = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
      local _, _, _, head_id = item_head(redis.call('LINDEX', lane_key(lane), 0))
      if head_id == id then
        redis.call('ZADD', KEYS[2], now + wait, lane)
        parked = parked + 1
      end
    end
    return parked
    """#)
}
