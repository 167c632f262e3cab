import OrchestratorCore
import Redis

/// The notifier's Redis side. A *lane* is one job's pending deliveries to one URL, a list
/// worked front to back, so a job's webhooks to a URL go out in transition order while lanes
/// of other jobs go on independently. A lane is in `orch:webhooks:retry` while it has work,
/// scored by when it may next be worked on: a notifier that takes a lane pushes the score a
/// lease ahead, so if it dies the lane becomes due again and another notifier takes it.
package enum LaneScripts {
    /// Lua the lane scripts share: the order gate. Every transition carries the job's `seq`
    /// (1, 2, 3, … in transition order). Notifiers fan entries out in whatever order they read
    /// them, so the job hash keeps `fanned`, the highest `seq` up to which every transition has
    /// been fanned out (later ones wait in `job:<id>:fanned-ahead`). A lane keeps its items in
    /// `seq` order and hands out its head only when every earlier transition has been fanned out:
    /// a job's webhooks to one target go out in transition order whichever notifier read which
    /// entry. An earlier transition that never comes (lost with Redis' last second of writes)
    /// holds the lane at most `order_wait` ms, counted from the event's time.
    static let orderGate = LuaClock.source + #"""
    local order_wait = 120000
    local function seq_of(item)
      local ok, d = pcall(cjson.decode, item)
      if not ok or type(d) ~= 'table' then return 0, '', 0 end
      local at = tonumber(string.match(d.event or '', '^(%d+)') or '0')
      return tonumber(d.seq or 0) or 0, d.job or '', at
    end
    local function ready(P, item, now)
      local seq, job, at = seq_of(item)
      if seq <= 1 or job == '' or now - at > order_wait then return true end
      local key = P .. 'job:' .. job
      local fanned = redis.call('HGET', key, 'fanned')
      if not fanned then return redis.call('EXISTS', key) == 0 end
      return tonumber(fanned) >= seq - 1
    end
    local function mark_fanned(P, job, seq)
      local key = P .. 'job:' .. job
      if seq <= 0 or redis.call('EXISTS', key) == 0 then return end
      local fanned = tonumber(redis.call('HGET', key, 'fanned') or '0')
      if seq <= fanned then return end
      local ahead = key .. ':fanned-ahead'
      if seq > fanned + 1 then
        redis.call('SADD', ahead, seq)
        local ttl = redis.call('PTTL', key)
        if ttl > 0 then redis.call('PEXPIRE', ahead, ttl) end
        return
      end
      fanned = seq
      while redis.call('SREM', ahead, fanned + 1) == 1 do fanned = fanned + 1 end
      redis.call('HSET', key, 'fanned', fanned)
    end
    -- Into the lane before the first item of a later transition (else at the end).
    local function insert_in_order(key, item)
      local seq = seq_of(item)
      if seq > 0 then
        for _, existing in ipairs(redis.call('LRANGE', key, 0, -1)) do
          if seq_of(existing) > seq then
            redis.call('LINSERT', key, 'BEFORE', existing, item)
            return
          end
        end
      end
      redis.call('RPUSH', key, item)
    end
    -- A lane whose head must wait for an earlier transition is looked at again shortly.
    local order_poll = 200
    """#

    /// Puts a batch of stream entries' deliveries into their lanes and acknowledges the entries,
    /// in one step: an entry is acknowledged exactly when its deliveries are safe in Redis.
    ///
    /// ARGV: prefix, group, lease ms, entry count E, then E entry ids, then E (job id, seq)
    /// pairs ('' and 0 for entries about no job), then (lane id, item JSON, park ms) triples:
    /// park > 0 leaves an idle lane due that long from now instead of taking it (its receiver
    /// is busy). Returns {lane id, item} for each lane the caller now owns (was idle, head
    /// ready, not parked) and must drain.
    package static let enqueue = RedisScript(name: "webhook-enqueue", source: orderGate + "\n" + #"""
    local P, group, lease, n = ARGV[1], ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local now = now_ms()
    local owned = {}
    for i = 5 + n, 4 + 3 * n, 2 do
      if ARGV[i] ~= '' then mark_fanned(P, ARGV[i], tonumber(ARGV[i + 1])) end
    end
    for i = 5 + 3 * n, #ARGV, 3 do
      local lane, item, park = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
      local key = P .. 'webhooks:lane:' .. lane
      insert_in_order(key, item)
      if redis.call('ZSCORE', P .. 'webhooks:retry', lane) == false then
        local head = redis.call('LINDEX', key, 0)
        if park > 0 then
          redis.call('ZADD', P .. 'webhooks:retry', now + park, lane)
        elseif ready(P, head, now) then
          redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
          owned[#owned + 1] = lane
          owned[#owned + 1] = head
        else
          redis.call('ZADD', P .. 'webhooks:retry', now + order_poll, lane)
        end
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
    /// `dropped`), updated item JSON, log entry JSON ('' = none), job id ('' = none), wait ms
    /// (retry/defer: the lane is due that long after now, by Redis' clock), lease ms,
    /// dead-letter max count, replay ('1' when the delivery replays a dead letter), K, then K dead-letter field/value arguments (for `dead`), then the fields
    /// of a `webhook.dead_lettered` event to append to the events stream (none: no event).
    /// A dead letter is the hash `webhooks:dead:<delivery id>` indexed by the sorted set
    /// `webhooks:dead`; dying again after a replay adds the new attempts to the same one.
    /// Returns {'NEXT', item} (caller owns the lane and goes on), {'WAIT'}, {'DONE'} or {'STALE'}
    /// (the head is not this delivery: another notifier took the lane over).
    package static let advance = RedisScript(name: "webhook-advance", source: orderGate + "\n" + #"""
    local P, lane, id, outcome = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local item, log, job, wait, lease, dead_max = ARGV[5], ARGV[6], ARGV[7], tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10])
    local replay, k = ARGV[11] == '1', tonumber(ARGV[12])
    local key = P .. 'webhooks:lane:' .. lane
    local head = redis.call('LINDEX', key, 0)
    if not head or cjson.decode(head).id ~= id then return {'STALE'} end
    local now = now_ms()
    if log ~= '' and job ~= '' then
      local deliveries = P .. 'job:' .. job .. ':deliveries'
      redis.call('RPUSH', deliveries, log)
      local ttl = tonumber(redis.call('HGET', P .. 'job:' .. job, 'ttl') or '3600000')
      redis.call('PEXPIRE', deliveries, ttl)
    end
    if outcome == 'retry' or outcome == 'defer' then
      redis.call('LSET', key, 0, item)
      redis.call('ZADD', P .. 'webhooks:retry', now + wait, lane)
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
      if not ready(P, next, now) then
        redis.call('ZADD', P .. 'webhooks:retry', now + order_poll, lane)
        return {'WAIT'}
      end
      redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
      return {'NEXT', next}
    end
    redis.call('ZREM', P .. 'webhooks:retry', lane)
    redis.call('DEL', key)
    return {'DONE'}
    """#)

    /// Takes up to N due lanes (retries whose time came, or lanes of a notifier that died) whose
    /// head may go out, pushing each one's score a lease ahead. ARGV: prefix, lease ms, limit.
    /// Returns {lane id, head item} pairs.
    package static let claimDue = RedisScript(name: "webhook-claim-due", source: orderGate + "\n" + #"""
    local P, lease, limit = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
    local now = now_ms()
    local taken = {}
    for _, lane in ipairs(redis.call('ZRANGEBYSCORE', P .. 'webhooks:retry', '-inf', now, 'LIMIT', 0, limit)) do
      local head = redis.call('LINDEX', P .. 'webhooks:lane:' .. lane, 0)
      if head and not ready(P, head, now) then
        redis.call('ZADD', P .. 'webhooks:retry', now + order_poll, lane)
      elseif head then
        redis.call('ZADD', P .. 'webhooks:retry', now + lease, lane)
        taken[#taken + 1] = lane
        taken[#taken + 1] = head
      else
        redis.call('ZREM', P .. 'webhooks:retry', lane)
      end
    end
    return taken
    """#)

    /// Hands lanes back without an attempt (their receiver was busy), in one call for many:
    /// each lane whose head is still the given delivery becomes due `wait` ms from now.
    /// ARGV: prefix, then (lane id, delivery id, wait ms) triples. Returns how many were parked
    /// (a lane another notifier took over meanwhile is left alone).
    package static let park = RedisScript(name: "webhook-park", source: LuaClock.source + #"""
    local P = ARGV[1]
    local now = now_ms()
    local parked = 0
    for i = 2, #ARGV, 3 do
      local lane, id, wait = ARGV[i], ARGV[i + 1], tonumber(ARGV[i + 2])
      local head = redis.call('LINDEX', P .. 'webhooks:lane:' .. lane, 0)
      if head then
        local ok, d = pcall(cjson.decode, head)
        if ok and type(d) == 'table' and d.id == id then
          redis.call('ZADD', P .. 'webhooks:retry', now + wait, lane)
          parked = parked + 1
        end
      end
    end
    return parked
    """#)
}
