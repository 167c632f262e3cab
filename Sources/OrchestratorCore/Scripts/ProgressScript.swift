import Redis

/// A running job's progress (RunPod's `progress_update`, a handler's `{"progress": …}` line):
/// stored as the job's `progress` (what `/status` shows as `output` while it runs) and, at most
/// once per interval per job, announced with a `job.progress` event; a webhook of it carries the
/// progress as it is when it is sent, and a suppressed last update is announced before the
/// job's end (`progressPending`), so the latest value always arrives. Only the worker holding
/// the job may report it; a late report after the end changes nothing.
///
/// KEYS: base, the worker's running set, events.
/// ARGV: id, progress JSON, minimum ms between events.
/// Returns 'EMITTED', 'STORED' (no event: too soon after the last) or 'REFUSED'.
enum ProgressScript {
    static let script = RedisScript(name: "progress", source: LuaPrelude.source + #"""
    local id, value, interval = ARGV[1], ARGV[2], tonumber(ARGV[3])
    if redis.call('SISMEMBER', KEYS[2], id) == 0 then return 'REFUSED' end
    local now = now_ms()
    local key = job_key(id)
    local last, seq = unpack(redis.call('HMGET', key, 'progressAt', 'seq'))
    if last and now - tonumber(last) < interval then
      redis.call('HSET', key, 'progress', value, 'progressPending', '1')
      return 'STORED'
    end
    redis.call('HSET', key, 'progress', value, 'progressAt', now)
    redis.call('HDEL', key, 'progressPending')
    redis.call('XADD', KEYS[3], '*', 'type', 'job.progress', 'job', id, 'seq', seq)
    return 'EMITTED'
    """#)
}
