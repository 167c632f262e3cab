import Redis

/// A RunPod worker's ping lists the jobs it runs: a job it holds but no longer lists (taken more
/// than `grace` ago, so not one the ping was sent before) is a lost-worker job, requeued while
/// requeues remain, else FAILED, as for a dead manager.
///
/// The same with nothing listed and no grace recovers every job of a worker known to be gone (a
/// supervised replica that exited), `reason` saying why.
///
/// KEYS: base, queue, low queue, the worker's running set, events, stats.
/// ARGV: worker id, grace ms, max requeues, reason, then the listed ids.
/// Returns {requeued, failed}.
enum DropUnlistedScript {
    static let script = RedisScript(name: "drop-unlisted", source: LuaPrelude.source + #"""
    local wid, grace, max_requeues, reason = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
    local listed = {}
    for i = 5, #ARGV do listed[ARGV[i]] = true end
    local now = now_ms()
    local counts = {requeued = 0, failed = 0}
    for _, id in ipairs(redis.call('SMEMBERS', KEYS[4])) do
      if not listed[id] then
        local job = load_job(id)
        if job ~= nil and job.status == 'IN_PROGRESS' and job.worker == wid and now - tonumber(job.startedAt or now) >= grace then
          local what = recover_lost(job, max_requeues, now, reason)
          counts[what] = counts[what] + 1
        end
      end
    end
    return {counts.requeued, counts.failed}
    """#)
}
