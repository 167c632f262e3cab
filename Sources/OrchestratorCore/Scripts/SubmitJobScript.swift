import Redis

/// (new) → IN_QUEUE: writes the job hash, pushes the id on its queue and records the event,
/// in one step. ARGV: prefix, id, endpoint, input, webhook, webhookv2, policy JSON,
/// ttl ms (key retention), execution timeout ms, queue ttl ms (0 = none).
enum SubmitJobScript {
    static let script = RedisScript(name: "submit", source: LuaPrelude.source + #"""
    local id, ep = ARGV[2], ARGV[3]
    if redis.call('EXISTS', job_key(id)) == 1 then return redis.error_reply('EXISTS job ' .. id .. ' already exists') end
    local now = now_ms()
    local job = {id = id, endpoint = ep, ttl = ARGV[8], queueTtl = ARGV[10]}
    local fields = {id = id, endpoint = ep, input = ARGV[4], createdAt = now, attempt = 0, requeues = 0,
      ttl = ARGV[8], executionTimeout = ARGV[9], queueTtl = ARGV[10]}
    if ARGV[5] ~= '' then fields.webhook = ARGV[5] end
    if ARGV[6] ~= '' then fields.webhookv2 = ARGV[6] end
    if ARGV[7] ~= '' then fields.policy = ARGV[7] end
    enqueue(job, '', now, fields, false, nil)
    return now
    """#)
}
