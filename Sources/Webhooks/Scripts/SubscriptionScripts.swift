import OrchestratorCore
import Redis

/// Writes of subscriptions (global keys). Each bumps `subscriptions:version`, which notifiers
/// watch to reload their copy of the subscriptions before fanning out the next batch of events.
enum SubscriptionScripts {
    /// Replaces the hash (so cleared fields go). `create` stamps createdAt/updatedAt with Redis'
    /// clock, the clock event ids use; `update` refuses a subscription that no longer exists.
    /// KEYS: the subscription's hash, the id set, the version counter.
    /// ARGV: id, mode (`create` | `update`), then field/value pairs.
    /// Returns the creation time (ms) or 0 when an update found nothing.
    static let save = RedisScript(name: "subscription-save", source: LuaClock.source + #"""
    local id, mode = ARGV[1], ARGV[2]
    local created
    if mode == 'update' then
      created = redis.call('HGET', KEYS[1], 'createdAt')
      if not created then return 0 end
    end
    local fields = {}
    for i = 3, #ARGV, 2 do
      if ARGV[i] ~= 'createdAt' then
        fields[#fields + 1] = ARGV[i]; fields[#fields + 1] = ARGV[i + 1]
      end
    end
    if mode == 'create' then
      created = tostring(now_ms())
      fields[#fields + 1] = 'updatedAt'; fields[#fields + 1] = created
    end
    redis.call('DEL', KEYS[1])
    redis.call('HSET', KEYS[1], 'createdAt', created, unpack(fields))
    redis.call('SADD', KEYS[2], id)
    redis.call('INCR', KEYS[3])
    return tonumber(created)
    """#)

    /// Deletes a subscription; a refused request (no such id) writes nothing.
    /// KEYS: the subscription's hash, the id set, the version counter. ARGV: id.
    /// Returns 1 when it existed.
    static let remove = RedisScript(name: "subscription-remove", source: #"""
    if redis.call('DEL', KEYS[1]) == 0 then return 0 end
    redis.call('SREM', KEYS[2], ARGV[1])
    redis.call('INCR', KEYS[3])
    return 1
    """#)

    /// Switches a subscription off (the receiver answered `410 Gone`).
    /// KEYS: the subscription's hash, the version counter. ARGV: reason.
    static let deactivate = RedisScript(name: "subscription-deactivate", source: LuaClock.source + #"""
    if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
    redis.call('HSET', KEYS[1], 'active', '0', 'deactivatedReason', ARGV[1], 'updatedAt', tostring(now_ms()))
    redis.call('INCR', KEYS[2])
    return 1
    """#)
}
