import Redis

/// IN_QUEUE → IN_PROGRESS for one worker: the job goes into the worker's running set, its input
/// from the queue entry into the hash.
///
/// Two modes. `pop`: takes up to N entries from the queue (then from the low queue while the
/// queue is empty) and claims them, all inside the script, so a job is never only in a
/// process' memory. `moved`: claims the one entry a blocking `BLMOVE` already moved into the
/// worker's claiming list, removing it from there. Entries of jobs no longer IN_QUEUE
/// (tombstones of jobs cancelled or expired while queued) are dropped, their input kept in the
/// job hash for a `/retry` (at most 1,000 per call: a call may return fewer jobs than the queue
/// holds, never blocking Redis long); jobs past their queue deadline end TIMED_OUT instead of starting.
///
/// KEYS: base, queue, low queue, claiming list, running set, events, queue deadlines, stats.
/// ARGV: worker id, mode, then max jobs (pop) or the moved entry (moved).
/// Returns one ``ClaimedJob/luaFields`` list per claimed job.
enum ClaimJobsScript {
    static let script = RedisScript(name: "claim", source: LuaPrelude.source + #"""
    local wid, mode = ARGV[1], ARGV[2]
    local now = now_ms()
    local claimed = {}
    local function claim(entry)
      local id, input = entry_id(entry)
      local job = load_job(id)
      if job == nil or job.status ~= 'IN_QUEUE' then
        if job ~= nil and input and not job.input then redis.call('HSET', job_key(id), 'input', input) end
        redis.call('HINCRBY', KEYS[8], 'tombstones', -1)
        return
      end
      if present(job.queueDeadline) and now > tonumber(job.queueDeadline) then
        end_queued(job, 'TIMED_OUT', now, {error = 'job waited in the queue longer than its ttl'}, 'queue ttl exceeded', input)
        return
      end
      if present(job.queueDeadline) then redis.call('ZREM', KEYS[7], id) end
      write(job, {status = 'IN_PROGRESS', startedAt = now, delayTime = now - tonumber(job.queuedAt or job.createdAt),
        worker = wid, attempt = tonumber(job.attempt or '0') + 1, seq = tonumber(job.seq) + 1, input = input,
        queueDeadline = false})
      redis.call('SADD', KEYS[5], id)
      emit(job, 'IN_QUEUE', {delayTime = job.delayTime})
      claimed[#claimed + 1] = {id, job.input or '{}', job.executionTimeout or '0', job.attempt, job.startedAt,
        job.delayTime, job.seq, job.ttl or '0', job.sync or '', job.webhook or '', job.webhookv2 or ''}
    end
    if mode == 'moved' then
      redis.call('LREM', KEYS[4], 1, ARGV[3])
      claim(ARGV[3])
    else
      local wanted = tonumber(ARGV[3])
      local queue = KEYS[2]
      -- Tombstones are skipped, but a bounded number per call, so no call blocks Redis long.
      local budget = wanted + 1000
      while #claimed < wanted and budget > 0 do
        budget = budget - 1
        local entry = redis.call('RPOP', queue)
        if not entry then
          if queue == KEYS[3] then break end
          queue = KEYS[3]
        else
          claim(entry)
        end
      end
    end
    return claimed
    """#)
}
