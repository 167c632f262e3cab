import OrchestratorCore

/// Lua the lane scripts share. A *lane* (`<base>webhooks:lane:<lane id>`) is one job's pending
/// deliveries to one target, worked front to back; lane ids start with the job id
/// (`<job>:<target>`, or `event:<entry>:<subscription>` for events about no job). A lane is in
/// the scope's due set while it has work, scored by when it may next be worked on: a notifier
/// that takes a lane pushes the score a lease ahead, so if it dies the lane becomes due again.
///
/// The order gate: every transition carries the job's `seq`. Notifiers fan entries out in
/// whatever order they read them, so the job keeps `fanned` (see ``JobHashLua``). A lane keeps
/// its items in `seq` order and hands out its head only once every earlier transition has been
/// fanned out; an earlier transition that never comes (lost with Redis' last second of writes)
/// holds the lane at most `order_wait` ms, counted from the event's time.
enum LaneLua {
    static let source = LuaClock.source + JobHashLua.source + #"""
    local B = KEYS[1]
    local order_wait = 120000
    -- A lane whose head must wait for an earlier transition is looked at again shortly.
    local order_poll = 200
    local function lane_key(lane) return B .. 'webhooks:lane:' .. lane end
    local function lane_job(lane)
      if string.sub(lane, 1, 6) == 'event:' then return '' end
      return string.match(lane, '^([^:]+):') or ''
    end
    -- The fields before an item's JSON (WebhookDelivery.stored): seq, status, entry id, id.
    local function item_head(item)
      local seq, status, entry, id = string.match(item or '', '^(%d+)|([^|]*)|([^|]*)|([^|]*)|')
      return tonumber(seq) or 0, status or '', entry or '', id or ''
    end
    local function is_terminal(s)
      return s == 'COMPLETED' or s == 'FAILED' or s == 'CANCELLED' or s == 'TIMED_OUT'
    end
    local function ready(lane, item, now)
      local seq, _, entry = item_head(item)
      local job = lane_job(lane)
      local at = tonumber(string.match(entry, '^(%d+)') or '0')
      if seq <= 1 or job == '' or now - at > order_wait then return true end
      local fanned = job_fanned_through(B, job)
      if fanned == nil then return true end
      return fanned >= seq - 1
    end
    -- Into the lane before the first item of a later transition (else at the end).
    local function insert_in_order(key, item)
      local seq = item_head(item)
      if seq > 0 then
        for _, existing in ipairs(redis.call('LRANGE', key, 0, -1)) do
          if item_head(existing) > seq then
            redis.call('LINSERT', key, 'BEFORE', existing, item)
            return
          end
        end
      end
      redis.call('RPUSH', key, item)
    end
    -- What a notifier gets for a lane it takes: the lane, its head, and for a terminal
    -- transition the job's output and error (stored once, in the job).
    local function hand_out(out, lane, item)
      local seq, status = item_head(item)
      local output, err = false, false
      local job = lane_job(lane)
      if job ~= '' and is_terminal(status) then output, err = job_ended_data(B, job, seq) end
      out[#out + 1] = lane; out[#out + 1] = item; out[#out + 1] = output; out[#out + 1] = err
    end

    """#
}
