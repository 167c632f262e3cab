import Redis

/// `/purge-queue`: IN_QUEUE → CANCELLED for up to a batch of an endpoint's queued jobs
/// (callers repeat until it returns 0), so purged jobs still end in a state and fire webhooks.
///
/// ARGV: prefix, endpoint, batch size. Returns the number of jobs cancelled.
enum PurgeQueueScript {
    static let script = RedisScript(name: "purge-queue", source: LuaPrelude.source + #"""
    local ep, batch = ARGV[2], tonumber(ARGV[3])
    local now = now_ms()
    local removed, seen = 0, 0
    while seen < batch do
      local id = redis.call('RPOP', queue_key(ep))
      if not id then break end
      seen = seen + 1
      local job = load_job(id)
      if job ~= nil and job.status == 'IN_QUEUE' then
        -- finish() removes the id from the queue again; it is already out, which LREM ignores.
        finish(job, 'CANCELLED', now, {}, 'queue purged')
        removed = removed + 1
      end
    end
    return {removed, seen}
    """#)
}
