import Redis

/// IN_PROGRESS → IN_QUEUE by the worker that holds the job, when it shuts down before the run
/// ended (SIGTERM past the grace period): the job goes back to the head of its queue without
/// using up a requeue, since nothing failed.
///
/// KEYS: base, running set, events.
/// ARGV: id, worker id. Returns {'OK', 'IN_PROGRESS'} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum ReleaseJobScript {
    static let script = RedisScript(name: "release", source: LuaPrelude.source + #"""
    if redis.call('SREM', KEYS[2], ARGV[1]) == 0 then
      local status = redis.call('HGET', job_key(ARGV[1]), 'status')
      if not status then return {'NOT_FOUND'} end
      return {'REFUSED', status}
    end
    local job = load_job(ARGV[1])
    if job == nil then return {'NOT_FOUND'} end
    enqueue(job, 'IN_PROGRESS', now_ms(), {worker = false, startedAt = false, delayTime = false, progress = false}, true,
      'handed back by worker ' .. ARGV[2] .. ' at shutdown')
    return {'OK', 'IN_PROGRESS'}
    """#)
}
