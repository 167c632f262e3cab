import Redis

/// Takes a lost worker out of the registry once the reaper recovered its jobs, and records
/// `worker.lost` (once: a worker that heartbeats again meanwhile stays).
///
/// KEYS: workers (registry), the worker's hash, the global events stream.
/// ARGV: worker id. Returns 1 when it was removed (its lease deadline had passed).
enum ForgetWorkerScript {
    static let script = RedisScript(name: "forget-worker", source: LuaClock.source + #"""
    local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
    if not score or tonumber(score) >= now_ms() then return 0 end
    local endpoints = redis.call('HGET', KEYS[2], 'endpoints') or ''
    redis.call('ZREM', KEYS[1], ARGV[1])
    redis.call('DEL', KEYS[2])
    redis.call('XADD', KEYS[3], '*', 'type', 'worker.lost', 'worker', ARGV[1], 'endpoints', endpoints)
    return 1
    """#)
}
