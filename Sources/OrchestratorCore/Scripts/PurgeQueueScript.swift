import Redis

/// `/purge-queue`, one slice: takes up to a batch of entries off the endpoint's queues and ends
/// their jobs CANCELLED (so purged jobs still end in a state and fire webhooks); tombstones
/// met on the way are dropped. Callers repeat until a slice takes nothing, so each call stays
/// short (a slice of 200 takes a few ms) however deep the queue is.
///
/// KEYS: base, queue, low queue, events, stats, queue deadlines.
/// ARGV: batch size. Returns {jobs cancelled, entries taken}.
enum PurgeQueueScript {
    static let script = RedisScript(name: "purge-queue", source: LuaPrelude.source + #"""
    local batch = tonumber(ARGV[1])
    local now = now_ms()
    local cancelled, taken = 0, 0
    for _, queue in ipairs({KEYS[2], KEYS[3]}) do
      while taken < batch do
        local entry = redis.call('RPOP', queue)
        if not entry then break end
        taken = taken + 1
        local id, input = entry_id(entry)
        local job = load_job(id)
        if job ~= nil and job.status == 'IN_QUEUE' then
          end_queued(job, 'CANCELLED', now, {}, 'queue purged', input)
          cancelled = cancelled + 1
        else
          if job ~= nil and input and not job.input then redis.call('HSET', job_key(id), 'input', input) end
          redis.call('HINCRBY', KEYS[5], 'tombstones', -1)
        end
      end
    end
    return {cancelled, taken}
    """#)
}
