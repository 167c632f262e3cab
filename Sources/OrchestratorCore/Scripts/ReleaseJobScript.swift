import Redis

/// IN_PROGRESS → IN_QUEUE by the worker that holds the job, when it shuts down before the
/// run ended (SIGTERM past the grace period): the job goes back to the head of its queue
/// without using up a requeue, since nothing failed.
///
/// ARGV: prefix, id, worker id. Returns {'OK', 'IN_PROGRESS'} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum ReleaseJobScript {
    static let script = RedisScript(name: "release", source: LuaPrelude.source + #"""
    local job = load_job(ARGV[2])
    if job == nil then return {'NOT_FOUND'} end
    if job.status ~= 'IN_PROGRESS' or job.worker ~= ARGV[3] then return {'REFUSED', job.status} end
    leave_running(job)
    enqueue(job, 'IN_PROGRESS', now_ms(), {worker = false, startedAt = false, delayTime = false}, true,
      'handed back by worker ' .. ARGV[3] .. ' at shutdown')
    return {'OK', 'IN_PROGRESS'}
    """#)
}
