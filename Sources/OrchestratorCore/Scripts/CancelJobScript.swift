import Redis

/// IN_QUEUE | IN_PROGRESS → CANCELLED, by the API. A running job's worker is told on its
/// cancel channel (and finds out from its heartbeat too, should the message be lost).
///
/// ARGV: prefix, id. Returns {'OK', previous status} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum CancelJobScript {
    static let script = RedisScript(name: "cancel", source: LuaPrelude.source + #"""
    local job = load_job(ARGV[2])
    if job == nil then return {'NOT_FOUND'} end
    local from = job.status
    if from ~= 'IN_QUEUE' and from ~= 'IN_PROGRESS' then return {'REFUSED', from} end
    finish(job, 'CANCELLED', now_ms(), {}, 'cancelled by request')
    if from == 'IN_PROGRESS' and present(job.worker) then
      redis.call('PUBLISH', P .. 'worker:' .. job.worker .. ':cancel', job.id)
    end
    return {'OK', from}
    """#)
}
