/// Lua shared by every transition script of an endpoint, prepended to each one's body.
///
/// Conventions: `KEYS[1]` is always the endpoint's base (`orch:{<endpoint>}:`); the other
/// fixed keys a script touches follow it in `KEYS` (each script's header names them), and keys
/// named after a job id the script only learns as it runs are built from the base. Stored JSON
/// (input, output) is passed through as text, never through cjson.
///
/// The job hash's fields are ``JobField``'s; the events stream's are ``StreamEvent/Field``'s;
/// queue entries are ``QueueEntry``'s. Tests decode what these scripts write with those types.
enum LuaPrelude {
    static let source = LuaClock.source + #"""
    local B = KEYS[1]
    local function job_key(id) return B .. 'job:' .. id end
    local function present(v) return v ~= nil and v ~= false and v ~= '' end
    local function is_terminal(s)
      return s == 'COMPLETED' or s == 'FAILED' or s == 'CANCELLED' or s == 'TIMED_OUT'
    end
    local counters = {COMPLETED = 'completed', FAILED = 'failed', CANCELLED = 'cancelled', TIMED_OUT = 'timedOut'}
    -- Queue entries: "<id>\t<input>" (QueueEntry).
    local function entry_id(entry)
      local tab = string.find(entry, '\t', 1, true)
      if not tab then return entry, nil end
      return string.sub(entry, 1, tab - 1), string.sub(entry, tab + 1)
    end
    local function make_entry(id, input) return id .. '\t' .. input end
    -- The fields of a job most moves need, as a table (absent fields are nil).
    local job_fields = {'status', 'worker', 'seq', 'attempt', 'requeues', 'createdAt', 'queuedAt', 'startedAt',
      'delayTime', 'queueTtl', 'queueDeadline', 'ttl', 'sync', 'low', 'webhook', 'webhookv2', 'input', 'executionTimeout',
      'output', 'error', 'progress', 'progressPending'}
    local function load_job(id)
      local values = redis.call('HMGET', job_key(id), unpack(job_fields))
      if not values[1] then return nil end
      local job = {id = id}
      for i, name in ipairs(job_fields) do
        if values[i] then job[name] = values[i] end
      end
      return job
    end
    -- Writes fields (false deletes one) into the hash and into `job`.
    local function write(job, fields)
      local set, del = {}, {}
      for k, v in pairs(fields) do
        if v == false then
          if job[k] ~= nil then del[#del + 1] = k end
          job[k] = nil
        else
          set[#set + 1] = k; set[#set + 1] = tostring(v); job[k] = tostring(v)
        end
      end
      if #set > 0 then redis.call('HSET', job_key(job.id), unpack(set)) end
      if #del > 0 then redis.call('HDEL', job_key(job.id), unpack(del)) end
    end
    -- Appends a transition to the endpoint's events stream (StreamEvent.transition); on a terminal
    -- state a /runsync caller waiting for it is woken.
    local function emit(job, from, extra)
      local entry = {'job', job.id, 'from', from, 'to', job.status, 'seq', job.seq}
      if present(job.webhook) then entry[#entry + 1] = 'webhook'; entry[#entry + 1] = job.webhook end
      if present(job.webhookv2) then entry[#entry + 1] = 'webhookv2'; entry[#entry + 1] = job.webhookv2 end
      for k, v in pairs(extra or {}) do entry[#entry + 1] = k; entry[#entry + 1] = tostring(v) end
      redis.call('XADD', B .. 'events', '*', unpack(entry))
      if is_terminal(job.status) and job.sync == '1' then redis.call('PUBLISH', B .. 'done:' .. job.id, job.status) end
    end
    -- Ends a job that is still queued (cancelled, or past its queue deadline). Its queue entry
    -- stays where it is, a tombstone the next claim skips (O(1), whatever the depth): /health
    -- counts tombstones out of the queue's length.
    local function end_queued(job, to, now, fields, reason, popped_input)
      fields.status = to
      fields.completedAt = now
      fields.delayTime = now - tonumber(job.queuedAt or job.createdAt)
      fields.executionTime = 0
      fields.seq = tonumber(job.seq) + 1
      fields.queueDeadline = false
      if present(job.queueDeadline) then redis.call('ZREM', B .. 'queue-deadlines', job.id) end
      if popped_input then fields.input = popped_input
      else redis.call('HINCRBY', B .. 'stats', 'tombstones', 1) end
      write(job, fields)
      redis.call('PEXPIRE', job_key(job.id), tonumber(job.ttl))
      redis.call('HINCRBY', B .. 'stats', counters[to], 1)
      emit(job, 'IN_QUEUE', {reason = reason, delayTime = job.delayTime, executionTime = 0})
    end
    -- Ends a running job (cancelled, its worker lost without requeues, ...).
    local function end_running(job, to, now, fields, reason)
      redis.call('SREM', B .. 'running:' .. (job.worker or ''), job.id)
      fields.status = to
      fields.completedAt = now
      fields.executionTime = now - tonumber(job.startedAt or now)
      fields.seq = tonumber(job.seq) + 1
      fields.progress = false
      write(job, fields)
      redis.call('PEXPIRE', job_key(job.id), tonumber(job.ttl))
      redis.call('HINCRBY', B .. 'stats', counters[to], 1)
      emit(job, 'IN_PROGRESS', {reason = reason, delayTime = job.delayTime, executionTime = job.executionTime})
    end
    -- Puts a job (back) in its queue, its input moving from the hash into the entry: at the tail
    -- for new work (a retry), at the head for work that was already taken once (a requeue after a
    -- lost worker, a hand-back at shutdown goes next). A queued job's key does not expire.
    local function enqueue(job, from, now, fields, at_head, reason)
      local queue = B .. (job.low == '1' and 'queue:low' or 'queue')
      local entry = make_entry(job.id, job.input or '{}')
      if at_head then redis.call('RPUSH', queue, entry) else redis.call('LPUSH', queue, entry) end
      fields.status = 'IN_QUEUE'
      fields.queuedAt = now
      fields.seq = tonumber(job.seq) + 1
      fields.input = false
      local policy_ttl = tonumber(job.queueTtl or '0')
      if policy_ttl > 0 then
        fields.queueDeadline = now + policy_ttl
        redis.call('ZADD', B .. 'queue-deadlines', now + policy_ttl, job.id)
      end
      write(job, fields)
      redis.call('PERSIST', job_key(job.id))
      emit(job, from, {reason = reason})
    end
    -- A running job whose worker is gone: back to the head of its queue while requeues remain,
    -- else FAILED. Returns 'requeued' or 'failed'.
    local function recover_lost(job, max_requeues, now, why)
      local lost = 'worker ' .. (job.worker or '?') .. ' lost (' .. why .. ')'
      if tonumber(job.requeues or '0') < max_requeues then
        redis.call('SREM', B .. 'running:' .. (job.worker or ''), job.id)
        enqueue(job, 'IN_PROGRESS', now, {requeues = tonumber(job.requeues or '0') + 1, worker = false,
          startedAt = false, delayTime = false, progress = false}, true, lost)
        return 'requeued'
      end
      end_running(job, 'FAILED', now, {error = lost .. '; no requeues left'}, lost)
      return 'failed'
    end

    """#
}
