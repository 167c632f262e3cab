import Redis

/// The reaper's pass: recovers what dead worker managers left behind and expires queued jobs.
///
/// 1. Expired leases (the worker stopped heartbeating): IN_PROGRESS → IN_QUEUE at the head
///    of its queue while requeues remain, else → FAILED "worker lost".
/// 2. Queued jobs past their `policy.ttl`: IN_QUEUE → TIMED_OUT.
/// 3. Dead worker managers: ids a blocking claim had moved into their claiming lists go back
///    to the head of their queues; the manager's entry is removed.
///
/// ARGV: prefix, max requeues, batch size, worker dead after ms.
/// Returns {requeued, failed, expired, workers removed, ids returned from claiming lists}.
enum ReapScript {
    static let script = RedisScript(name: "reap", source: LuaPrelude.source + #"""
    local max_requeues, batch, dead_after = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
    local now = now_ms()
    local requeued, failed, expired, removed, returned = 0, 0, 0, 0, 0
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'leases', '-inf', now, 'LIMIT', 0, batch)) do
      local job = load_job(id)
      if job == nil or job.status ~= 'IN_PROGRESS' then
        redis.call('ZREM', P .. 'leases', id)
      else
        local lost = 'worker ' .. (job.worker or '?') .. ' lost (lease expired)'
        if tonumber(job.requeues or '0') < max_requeues then
          leave_running(job)
          enqueue(job, 'IN_PROGRESS', now, {requeues = tonumber(job.requeues or '0') + 1, worker = false,
            startedAt = false, delayTime = false}, true, lost)
          requeued = requeued + 1
        else
          finish(job, 'FAILED', now, {error = lost .. '; no requeues left'}, lost)
          failed = failed + 1
        end
      end
    end
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', P .. 'queue-deadlines', '-inf', now, 'LIMIT', 0, batch)) do
      redis.call('ZREM', P .. 'queue-deadlines', id)
      local job = load_job(id)
      if job ~= nil and job.status == 'IN_QUEUE' then
        finish(job, 'TIMED_OUT', now, {error = 'job waited in the queue longer than its ttl'}, 'queue ttl exceeded')
        expired = expired + 1
      end
    end
    for _, wid in ipairs(redis.call('ZRANGEBYSCORE', P .. 'workers', '-inf', now - dead_after, 'LIMIT', 0, batch)) do
      local endpoints = redis.call('HGET', P .. 'worker:' .. wid, 'endpoints') or ''
      for ep in string.gmatch(endpoints, '[^,]+') do
        local claiming = P .. 'worker:' .. wid .. ':claiming:' .. ep
        while true do
          local id = redis.call('RPOPLPUSH', claiming, queue_key(ep))
          if not id then break end
          -- RPOPLPUSH put it at the tail; it was next in line, so move it to the head.
          redis.call('LREM', queue_key(ep), 1, id)
          redis.call('RPUSH', queue_key(ep), id)
          returned = returned + 1
        end
      end
      redis.call('ZREM', P .. 'workers', wid)
      redis.call('DEL', P .. 'worker:' .. wid)
      redis.call('XADD', P .. 'events', '*', 'type', 'worker.lost', 'worker', wid, 'at', tostring(now),
        'endpoint', endpoints)
      removed = removed + 1
    end
    return {requeued, failed, expired, removed, returned}
    """#)
}
