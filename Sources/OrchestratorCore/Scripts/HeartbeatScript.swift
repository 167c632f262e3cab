import Redis

/// One worker manager tick: registers the manager, extends the leases of the jobs it runs
/// (and their keys' TTL), and returns the ids it must stop because they are no longer its
/// own (cancelled, reaped and handed to another manager, or gone).
///
/// ARGV: prefix, worker id, lease ms, registration TTL ms, host, pid, endpoints (comma
/// separated), concurrency, started at ms, then the ids it runs.
enum HeartbeatScript {
    static let script = RedisScript(name: "heartbeat", source: LuaPrelude.source + #"""
    local wid, lease_ms, reg_ttl = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
    local now = now_ms()
    local wkey = P .. 'worker:' .. wid
    redis.call('HSET', wkey, 'id', wid, 'host', ARGV[5], 'pid', ARGV[6], 'endpoints', ARGV[7],
      'concurrency', ARGV[8], 'startedAt', ARGV[9], 'heartbeat', now, 'running', #ARGV - 9)
    redis.call('PEXPIRE', wkey, reg_ttl)
    redis.call('ZADD', P .. 'workers', now, wid)
    local lost = {}
    for i = 10, #ARGV do
      local id = ARGV[i]
      local key = job_key(id)
      local status, worker, ttl = unpack(redis.call('HMGET', key, 'status', 'worker', 'ttl'))
      if status == 'IN_PROGRESS' and worker == wid then
        redis.call('ZADD', P .. 'leases', 'XX', now + lease_ms, id)
        redis.call('PEXPIRE', key, tonumber(ttl))
      else
        lost[#lost + 1] = id
      end
    end
    return lost
    """#)
}
