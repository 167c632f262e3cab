import Redis

/// FAILED | TIMED_OUT | CANCELLED → IN_QUEUE, by the API (`/retry`): same id, output and
/// error cleared, at the tail of its queue.
///
/// ARGV: prefix, id. Returns {'OK', previous status} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum RetryJobScript {
    static let script = RedisScript(name: "retry", source: LuaPrelude.source + #"""
    local job = load_job(ARGV[2])
    if job == nil then return {'NOT_FOUND'} end
    local from = job.status
    if from ~= 'FAILED' and from ~= 'TIMED_OUT' and from ~= 'CANCELLED' then return {'REFUSED', from} end
    redis.call('HINCRBY', stats_key(job.endpoint), 'retried', 1)
    enqueue(job, from, now_ms(), {output = false, error = false, startedAt = false, completedAt = false,
      delayTime = false, executionTime = false, worker = false}, false, 'retried by request')
    return {'OK', from}
    """#)
}
