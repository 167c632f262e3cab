import Redis

/// Server-side execution timeouts for a worker that cannot be trusted to enforce them (an
/// unmodified RunPod worker): its jobs running past `executionTimeout` end TIMED_OUT here, leave
/// its running set, and so are what its job-stop poll tells it to stop.
///
/// KEYS: base, the worker's running set, events, stats. ARGV: none.
/// Returns the ids that timed out.
enum ExpireRunsScript {
    static let script = RedisScript(name: "expire-runs", source: LuaPrelude.source + #"""
    local now = now_ms()
    local expired = {}
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[2])) do
      local job = load_job(id)
      if job ~= nil and job.status == 'IN_PROGRESS' and present(job.startedAt) and present(job.executionTimeout)
        and now - tonumber(job.startedAt) > tonumber(job.executionTimeout) then
        end_running(job, 'TIMED_OUT', now,
          {error = 'execution timeout of ' .. job.executionTimeout .. ' ms exceeded; the worker was told to stop'}, 'execution timeout')
        expired[#expired + 1] = id
      end
    end
    return expired
    """#)
}
