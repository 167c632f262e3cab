import OrchestratorCore
import Redis

/// Operators' moves on dead letters (`webhooks:dead:<id>` hashes).
enum DeadLetterScripts {
    /// Puts a dead letter's delivery back into its lane, due now, for a notifier to attempt again.
    /// ARGV: prefix, id, lane id, item JSON. Returns 'OK', 'MISSING' or 'BUSY' (a replay is
    /// already under way).
    static let replay = RedisScript(name: "dead-letter-replay", source: LuaClock.source + #"""
    local P, id, lane, item = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local key = P .. 'webhooks:dead:' .. id
    local state = redis.call('HGET', key, 'state')
    if not state then return 'MISSING' end
    if state == 'replaying' then return 'BUSY' end
    local now = now_ms()
    redis.call('HSET', key, 'state', 'replaying', 'stateReason', 'replay requested', 'stateAt', tostring(now))
    redis.call('HINCRBY', key, 'replays', 1)
    redis.call('RPUSH', P .. 'webhooks:lane:' .. lane, item)
    redis.call('ZADD', P .. 'webhooks:retry', 'NX', now, lane)
    return 'OK'
    """#)

    /// Marks a dead letter resolved or ignored. ARGV: prefix, id, state, reason.
    /// Returns 'OK' or 'MISSING'.
    static let setState = RedisScript(name: "dead-letter-state", source: LuaClock.source + #"""
    local P, id, state, reason = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
    local key = P .. 'webhooks:dead:' .. id
    if redis.call('EXISTS', key) == 0 then return 'MISSING' end
    redis.call('HSET', key, 'state', state, 'stateReason', reason, 'stateAt', tostring(now_ms()))
    return 'OK'
    """#)
}
