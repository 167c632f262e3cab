import OrchestratorCore
import Redis

/// Writes of subscriptions. Each bumps `orch:subscriptions:version`, which notifiers watch to
/// reload their copy of the subscriptions before fanning out the next batch of events.
enum SubscriptionScripts {
    /// ARGV: prefix, id, mode (`create` | `update`), then field/value pairs. Replaces the hash
    /// (so cleared fields go). `create` stamps createdAt/updatedAt with Redis' clock, the clock
    /// event ids use; `update` refuses a subscription that no longer exists.
    /// Returns the creation time (ms) or 0 when an update found nothing.
    static let save = RedisScript(name: "subscription-save", source: LuaClock.source + #"""
    local P, id, mode = ARGV[1], ARGV[2], ARGV[3]
    local key = P .. 'subscription:' .. id
    local created
    if mode == 'update' then
      created = redis.call('HGET', key, 'createdAt')
      if not created then return 0 end
    end
    local fields = {}
    for i = 4, #ARGV, 2 do
      if ARGV[i] ~= 'createdAt' then
        fields[#fields + 1] = ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
      end
    end
    if mode == 'create' then
      created = tostring(now_ms())
      fields[#fields + 1] = 'updatedAt'; fields[#fields + 1] = created
    end
    redis.call('DEL', key)
    redis.call('HSET', key, 'createdAt', created, unpack(fields))
    redis.call('SADD', P .. 'subscriptions', id)
    redis.call('INCR', P .. 'subscriptions:version')
    return tonumber(created)
    """#)

    /// ARGV: prefix, id. Returns 1 when it existed.
    static let remove = RedisScript(name: "subscription-remove", source: #"""
    local P, id = ARGV[1], ARGV[2]
    local removed = redis.call('DEL', P .. 'subscription:' .. id)
    redis.call('SREM', P .. 'subscriptions', id)
    redis.call('INCR', P .. 'subscriptions:version')
    return removed
    """#)

    /// Switches a subscription off (the receiver answered `410 Gone`). ARGV: prefix, id, reason.
    static let deactivate = RedisScript(name: "subscription-deactivate", source: LuaClock.source + #"""
    local P, id, reason = ARGV[1], ARGV[2], ARGV[3]
    local key = P .. 'subscription:' .. id
    if redis.call('EXISTS', key) == 0 then return 0 end
    redis.call('HSET', key, 'active', '0', 'deactivatedReason', reason, 'updatedAt', tostring(now_ms()))
    redis.call('INCR', P .. 'subscriptions:version')
    return 1
    """#)
}
