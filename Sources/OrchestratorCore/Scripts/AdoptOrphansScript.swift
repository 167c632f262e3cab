import Redis

/// Orphans: jobs IN_PROGRESS with no lease entry (a lost write after a failover, a key deleted by
/// hand). Claims and ends write status and lease in one script, so such a job is never in the
/// middle of a move: it gets a lease that has already run out, and the reaper's next pass
/// requeues or fails it like any job of a lost worker.
///
/// ARGV: prefix, then job ids. Returns how many were adopted.
enum AdoptOrphansScript {
    static let script = RedisScript(name: "adopt-orphans", source: LuaPrelude.source + #"""
    local now = now_ms()
    local adopted = 0
    for i = 2, #ARGV do
      local id = ARGV[i]
      if redis.call('HGET', job_key(id), 'status') == 'IN_PROGRESS'
        and redis.call('ZSCORE', P .. 'leases', id) == false then
        redis.call('ZADD', P .. 'leases', now, id)
        adopted = adopted + 1
      end
    end
    return adopted
    """#)
}
