import Redis

/// IN_PROGRESS → COMPLETED | FAILED | TIMED_OUT, by the worker that holds the job.
/// Refused when the job is no longer IN_PROGRESS (cancelled, reaped) or is held by another
/// worker (its lease was taken over): a job is never completed twice.
///
/// ARGV: prefix, id, worker id, target status, output JSON ('' = none), error ('' = none).
/// Returns {'OK'} or {'REFUSED', current status or '', current worker or ''}.
enum FinishJobScript {
    static let script = RedisScript(name: "finish", source: LuaPrelude.source + #"""
    local id, wid, to = ARGV[2], ARGV[3], ARGV[4]
    if to ~= 'COMPLETED' and to ~= 'FAILED' and to ~= 'TIMED_OUT' then
      return redis.error_reply('ERR finish cannot move a job to ' .. to)
    end
    local job = load_job(id)
    if job == nil then return {'REFUSED', '', ''} end
    if job.status ~= 'IN_PROGRESS' or job.worker ~= wid then return {'REFUSED', job.status, job.worker or ''} end
    local fields = {}
    if ARGV[5] ~= '' then fields.output = ARGV[5] end
    if ARGV[6] ~= '' then fields.error = ARGV[6] end
    finish(job, to, now_ms(), fields, nil)
    return {'OK'}
    """#)
}
