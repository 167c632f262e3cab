import Redis

/// IN_PROGRESS → COMPLETED | FAILED | TIMED_OUT for a batch of one worker's jobs. A job's
/// result is refused when the job is no longer in the worker's running set (it was cancelled,
/// or its worker was declared lost and the job requeued): a job is never completed twice.
///
/// The worker passes what its claim returned (start time, delay, seq, retention, webhooks), so
/// the script reads nothing but the running set; `completedAt` is the start (Redis' clock) plus
/// the run's duration as the worker measured it. A caller without that context (a RunPod
/// HTTP worker's result) passes '' as the start time and the script reads it from the hash.
///
/// KEYS: base, running set, events, stats.
/// ARGV: job count, then per job ``FinishJobScript/fieldsPerJob`` values: id, status, output
/// ('' = none), error ('' = none), started at ms, run ms, delay ms, seq at the claim, ttl ms,
/// flags ('1' = a /runsync caller waits, 'p' = a progress update is pending announcement), webhook,
/// webhookv2.
/// Returns per job 'OK' or the job's current status ('' when it is gone): refused.
enum FinishJobScript {
    static let fieldsPerJob = 12

    static let script = RedisScript(name: "finish", source: LuaPrelude.source + #"""
    local count = tonumber(ARGV[1])
    local replies = {}
    local done = {}
    for n = 0, count - 1 do
      local a = 2 + n * 12
      local id, to = ARGV[a], ARGV[a + 1]
      if to ~= 'COMPLETED' and to ~= 'FAILED' and to ~= 'TIMED_OUT' then
        return redis.error_reply('ERR finish cannot move a job to ' .. to)
      end
      if redis.call('SREM', KEYS[2], id) == 0 then
        replies[#replies + 1] = redis.call('HGET', job_key(id), 'status') or ''
      else
        local job
        if ARGV[a + 4] == '' then
          job = load_job(id) or {id = id, seq = '0', ttl = '3600000'}
        else
          job = {id = id, startedAt = ARGV[a + 4], delayTime = ARGV[a + 6], seq = ARGV[a + 7], ttl = ARGV[a + 8],
            sync = string.find(ARGV[a + 9], '1', 1, true) and '1' or '', webhook = ARGV[a + 10], webhookv2 = ARGV[a + 11]}
        end
        local started = tonumber(job.startedAt or '0')
        local elapsed = tonumber(ARGV[a + 5])
        if ARGV[a + 4] == '' then elapsed = math.max(0, now_ms() - started) end
        local fields = {status = to, completedAt = started + elapsed, executionTime = elapsed, seq = tonumber(job.seq) + 1}
        if ARGV[a + 2] ~= '' then fields.output = ARGV[a + 2] end
        if ARGV[a + 3] ~= '' then fields.error = ARGV[a + 3] end
        -- A progress update held back by the rate limit is announced before the end.
        if job.progressPending == '1' or string.find(ARGV[a + 9], 'p', 1, true) then
          redis.call('XADD', KEYS[3], '*', 'type', 'job.progress', 'job', id, 'seq', job.seq)
          fields.progressPending = false
        end
        write(job, fields)
        redis.call('PEXPIRE', job_key(id), tonumber(job.ttl))
        done[to] = (done[to] or 0) + 1
        emit(job, 'IN_PROGRESS', {delayTime = job.delayTime, executionTime = elapsed})
        replies[#replies + 1] = 'OK'
      end
    end
    for to, n in pairs(done) do redis.call('HINCRBY', KEYS[4], counters[to], n) end
    return replies
    """#)
}
