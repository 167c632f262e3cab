import Redis

/// IN_QUEUE → IN_PROGRESS for a worker manager, recording its lease.
///
/// Two modes. `pop`: takes up to N ids from the given endpoints' queues (in order) and claims
/// them, all inside the script, so a job is never only in a process' memory. `moved`: claims
/// one id that a blocking `BLMOVE` already moved into the worker's claiming list, removing it
/// from there. Ids of jobs no longer IN_QUEUE (cancelled or expired while queued) are dropped;
/// jobs past their queue deadline end TIMED_OUT instead of starting.
///
/// ARGV: prefix, worker id, lease ms, mode, then
/// - pop: max jobs, endpoint...
/// - moved: endpoint, job id
/// Returns a list of {id, endpoint, input, executionTimeout ms, attempt}.
enum ClaimJobsScript {
    static let script = RedisScript(name: "claim", source: LuaPrelude.source + #"""
    local wid, lease_ms, mode = ARGV[2], tonumber(ARGV[3]), ARGV[4]
    local now = now_ms()
    local claimed = {}
    local function claim(id)
      local job = load_job(id)
      if job == nil or job.status ~= 'IN_QUEUE' then return end
      if tonumber(job.queueDeadline or '0') > 0 and now > tonumber(job.queueDeadline) then
        finish(job, 'TIMED_OUT', now, {error = 'job waited in the queue longer than its ttl'}, 'queue ttl exceeded')
        return
      end
      redis.call('ZREM', P .. 'queue-deadlines', id)
      write(job, {status = 'IN_PROGRESS', startedAt = now, delayTime = now - tonumber(job.queuedAt),
        worker = wid, attempt = tonumber(job.attempt or '0') + 1, queueDeadline = false})
      redis.call('ZADD', P .. 'leases', now + lease_ms, id)
      redis.call('HINCRBY', stats_key(job.endpoint), 'inProgress', 1)
      emit(job, 'IN_QUEUE', now, nil)
      claimed[#claimed + 1] = {id, job.endpoint, job.input, job.executionTimeout, job.attempt}
    end
    if mode == 'moved' then
      local ep, id = ARGV[5], ARGV[6]
      redis.call('LREM', P .. 'worker:' .. wid .. ':claiming:' .. ep, 1, id)
      claim(id)
    else
      local wanted = tonumber(ARGV[5])
      for i = 6, #ARGV do
        while #claimed < wanted do
          local id = redis.call('RPOP', queue_key(ARGV[i]))
          if not id then break end
          claim(id)
        end
      end
    end
    return claimed
    """#)
}
