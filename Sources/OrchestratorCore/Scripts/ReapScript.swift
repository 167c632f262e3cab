import Redis

/// The reaper's pass over one endpoint: recovers what lost workers left behind and expires
/// queued jobs.
///
/// 1. Lost workers (their heartbeat is older than the lease plus a margin): every job in their
///    running set goes back to the head of its queue while requeues remain, else FAILED
///    "worker lost"; entries a blocking claim had moved into their claiming list go back to the
///    head of the queue.
/// 2. Queued jobs past their `policy.ttl`: IN_QUEUE → TIMED_OUT.
/// 3. Orphans among the given job ids (from the reaper's key scan): IN_PROGRESS jobs whose
///    worker is not alive or does not hold them (a write lost in a failover, a key deleted by
///    hand) are recovered like a lost worker's.
///
/// KEYS: base, queue, low queue, events, stats, queue deadlines.
/// ARGV: max requeues, batch size, lost worker count L, L worker ids, live worker count V, V
/// worker ids, then candidate orphan job ids.
/// Returns {requeued, failed, expired, claims returned, orphans}.
enum ReapScript {
    static let script = RedisScript(name: "reap", source: LuaPrelude.source + #"""
    local max_requeues, batch = tonumber(ARGV[1]), tonumber(ARGV[2])
    local now = now_ms()
    local counts = {requeued = 0, failed = 0}
    local expired, returned, orphans = 0, 0, 0
    local lost_count = tonumber(ARGV[3])
    local live_at = 4 + lost_count
    local live = {}
    for i = live_at + 1, live_at + tonumber(ARGV[live_at]) do live[ARGV[i]] = true end
    for i = 4, 3 + lost_count do
      local wid = ARGV[i]
      local running = B .. 'running:' .. wid
      for _, id in ipairs(redis.call('SMEMBERS', running)) do
        local job = load_job(id)
        if job ~= nil and job.status == 'IN_PROGRESS' and job.worker == wid then
          local what = recover_lost(job, max_requeues, now, 'no heartbeat')
          counts[what] = counts[what] + 1
        end
      end
      redis.call('DEL', running)
      while redis.call('LMOVE', B .. 'claiming:' .. wid, KEYS[2], 'RIGHT', 'RIGHT') do returned = returned + 1 end
    end
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[6], '-inf', now, 'LIMIT', 0, batch)) do
      redis.call('ZREM', KEYS[6], id)
      local job = load_job(id)
      if job ~= nil and job.status == 'IN_QUEUE' then
        end_queued(job, 'TIMED_OUT', now, {error = 'job waited in the queue longer than its ttl'}, 'queue ttl exceeded', nil)
        expired = expired + 1
      end
    end
    for i = live_at + tonumber(ARGV[live_at]) + 1, #ARGV do
      local id = ARGV[i]
      if redis.call('HGET', job_key(id), 'status') == 'IN_PROGRESS' then
        local job = load_job(id)
        local holder = job.worker or ''
        if not live[holder] or redis.call('SISMEMBER', B .. 'running:' .. holder, id) == 0 then
          local what = recover_lost(job, max_requeues, now, 'orphaned')
          counts[what] = counts[what] + 1
          orphans = orphans + 1
        end
      end
    end
    return {counts.requeued, counts.failed, expired, returned, orphans}
    """#)
}
