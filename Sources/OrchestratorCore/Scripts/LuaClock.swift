/// Redis' clock in ms as Lua: the one definition every script uses (`now_ms()`), so all
/// timestamps, leases and due times come from the same clock whatever process sent the script.
public enum LuaClock {
    public static let source = #"""
    local function now_ms()
      local t = redis.call('TIME')
      return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
    end

    """#
}
