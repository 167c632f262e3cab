import Redis

/// FAILED | TIMED_OUT | CANCELLED → IN_QUEUE, by the API (`/retry`): same id, output and error
/// cleared, at the tail of its queue. The cleared output and error are kept for the ended
/// transition's webhooks still on their way (`job:<id>:ended:<seq>`, the job's retention).
/// A job cancelled while queued whose tombstone is still in the queue takes that entry back
/// (its input is there) instead of being queued twice.
///
/// KEYS: base, events, stats, queue deadlines.
/// ARGV: id. Returns {'OK', previous status} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum RetryJobScript {
    static let script = RedisScript(name: "retry", source: LuaPrelude.source + #"""
    local job = load_job(ARGV[1])
    if job == nil then return {'NOT_FOUND'} end
    local from = job.status
    if from ~= 'FAILED' and from ~= 'TIMED_OUT' and from ~= 'CANCELLED' then return {'REFUSED', from} end
    local now = now_ms()
    if present(job.output) or present(job.error) then
      local ended = job_key(job.id) .. ':ended:' .. job.seq
      redis.call('HSET', ended, 'output', job.output or '', 'error', job.error or '')
      redis.call('PEXPIRE', ended, tonumber(job.ttl))
    end
    redis.call('HINCRBY', KEYS[3], 'retried', 1)
    local cleared = {output = false, error = false, startedAt = false, completedAt = false,
      delayTime = false, executionTime = false, worker = false, progress = false}
    if job.input == nil then
      -- Its entry is still in the queue (a tombstone until now): it counts as queued again.
      redis.call('HINCRBY', KEYS[3], 'tombstones', -1)
      cleared.status = 'IN_QUEUE'
      cleared.queuedAt = now
      cleared.seq = tonumber(job.seq) + 1
      local policy_ttl = tonumber(job.queueTtl or '0')
      if policy_ttl > 0 then
        cleared.queueDeadline = now + policy_ttl
        redis.call('ZADD', KEYS[4], now + policy_ttl, job.id)
      end
      write(job, cleared)
      redis.call('PERSIST', job_key(job.id))
      emit(job, from, {reason = 'retried by request'})
    else
      enqueue(job, from, now, cleared, false, 'retried by request')
    end
    return {'OK', from}
    """#)
}
