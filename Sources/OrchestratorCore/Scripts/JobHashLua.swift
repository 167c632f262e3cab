/// Lua functions over a job hash for scripts outside the job's own transitions (the notifier's
/// lane scripts): the job hash belongs to this module, so its fields are read and written only
/// through these. `B` is the endpoint's base (`orch:{<endpoint>}:`).
public enum JobHashLua {
    public static let source = #"""
    local function job_hash(B, id) return B .. 'job:' .. id end
    -- The highest seq up to which every transition of the job has been fanned out to webhooks;
    -- nil when the job is gone.
    local function job_fanned_through(B, id)
      local key = job_hash(B, id)
      local fanned = redis.call('HGET', key, 'fanned')
      if fanned then return tonumber(fanned) end
      if redis.call('EXISTS', key) == 0 then return nil end
      return 0
    end
    -- Records that transition `seq` was fanned out; later ones fanned out ahead of an earlier one
    -- wait in job:<id>:fanned-ahead until the gap closes.
    local function job_mark_fanned(B, id, seq)
      local key = job_hash(B, id)
      if seq <= 0 or redis.call('EXISTS', key) == 0 then return end
      local fanned = tonumber(redis.call('HGET', key, 'fanned') or '0')
      if seq <= fanned then return end
      local ahead = key .. ':fanned-ahead'
      if seq > fanned + 1 then
        redis.call('SADD', ahead, seq)
        local ttl = redis.call('PTTL', key)
        if ttl > 0 then redis.call('PEXPIRE', ahead, ttl) end
        return
      end
      fanned = seq
      while redis.call('SREM', ahead, fanned + 1) == 1 do fanned = fanned + 1 end
      redis.call('HSET', key, 'fanned', fanned)
    end
    -- The output and error of the job's terminal transition `seq` (false when there is none):
    -- from the job while that transition is its latest, else from what /retry kept of it.
    local function job_ended_data(B, id, seq)
      local key = job_hash(B, id)
      local now_seq, output, err = unpack(redis.call('HMGET', key, 'seq', 'output', 'error'))
      if tonumber(now_seq or '-1') ~= seq then
        output, err = unpack(redis.call('HMGET', key .. ':ended:' .. seq, 'output', 'error'))
      end
      if output == '' then output = false end
      if err == '' then err = false end
      return output or false, err or false
    end
    -- Appends a webhook attempt to the job's delivery log, which lives as long as the job.
    local function job_log_delivery(B, id, entry, default_ttl)
      local log = job_hash(B, id) .. ':deliveries'
      redis.call('RPUSH', log, entry)
      local ttl = redis.call('PTTL', job_hash(B, id))
      redis.call('PEXPIRE', log, ttl > 0 and ttl or default_ttl)
    end

    """#
}
