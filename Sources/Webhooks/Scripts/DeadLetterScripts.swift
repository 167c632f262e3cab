import OrchestratorCore
import Redis

/// Operators' moves on dead letters (`<base>webhooks:dead:<id>` hashes).
enum DeadLetterScripts {
    /// Puts a dead letter's delivery back into its lane, due now, for a notifier to attempt again.
    /// KEYS: base, due set, the dead letter's hash, pending dead letters. ARGV: lane id, item.
    /// Returns 'OK', 'MISSING' or 'BUSY' (a replay is already under way).
    static let replay = RedisScript(name: "dead-letter-replay", source: LuaClock.source + #"""
    local state = redis.call('HGET', KEYS[3], 'state')
    if not state then return 'MISSING' end
    if state == 'replaying' then return 'BUSY' end
    local now = now_ms()
    redis.call('HSET', KEYS[3], 'state', 'replaying', 'stateReason', 'replay requested', 'stateAt', tostring(now))
    redis.call('HINCRBY', KEYS[3], 'replays', 1)
    redis.call('SREM', KEYS[4], redis.call('HGET', KEYS[3], 'id'))
    redis.call('RPUSH', KEYS[1] .. 'webhooks:lane:' .. ARGV[1], ARGV[2])
    redis.call('ZADD', KEYS[2], 'NX', now, ARGV[1])
    return 'OK'
    """#)

    /// Marks a dead letter resolved or ignored. KEYS: the dead letter's hash, pending dead letters.
    /// ARGV: state, reason.
    /// Returns 'OK' or 'MISSING'.
    static let setState = RedisScript(name: "dead-letter-state", source: LuaClock.source + #"""
    if redis.call('EXISTS', KEYS[1]) == 0 then return 'MISSING' end
    redis.call('HSET', KEYS[1], 'state', ARGV[1], 'stateReason', ARGV[2], 'stateAt', tostring(now_ms()))
    redis.call('SREM', KEYS[2], redis.call('HGET', KEYS[1], 'id'))
    return 'OK'
    """#)
}
