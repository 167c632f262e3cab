import Redis

/// A worker's heartbeat in the global registry: its description, its lease deadline as its
/// score in the registry (Redis' time plus the worker's own lease: each kind of worker has its
/// own, and the reaper only compares scores with Redis' clock), and its endpoints in the
/// endpoint directory. Leases are per worker: while a worker heartbeats, every job in its
/// running sets is its own.
///
/// KEYS: workers (registry), the worker's hash, endpoints (directory).
/// ARGV: worker id, hash TTL ms, lease ms (until the reaper may declare it lost), then
/// field/value pairs for the hash (`endpoints` among them, comma separated).
/// Returns Redis' time (ms).
enum HeartbeatScript {
    static let script = RedisScript(name: "heartbeat", source: LuaClock.source + #"""
    local now = now_ms()
    local fields = {'heartbeat', now, 'lease', ARGV[3]}
    local endpoints = ''
    for i = 4, #ARGV, 2 do
      fields[#fields + 1] = ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
      if ARGV[i] == 'endpoints' then endpoints = ARGV[i + 1] end
    end
    redis.call('HSET', KEYS[2], unpack(fields))
    redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[2]))
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[1])
    for ep in string.gmatch(endpoints, '[^,]+') do redis.call('SADD', KEYS[3], ep) end
    return now
    """#)
}
