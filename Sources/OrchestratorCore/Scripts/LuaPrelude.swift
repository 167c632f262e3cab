/// Lua shared by every transition script, prepended to each one's body.
///
/// Conventions: `ARGV[1]` is always the key prefix; job keys are built from it (the
/// orchestrator targets one Redis or a Sentinel-managed primary, not Redis Cluster).
/// Stored JSON (input, output) is spliced into payloads as text, never through cjson,
/// which would turn `[]` into `{}` and round numbers.
enum LuaPrelude {
    static let source = LuaClock.source + #"""
    local P = ARGV[1]
    local function job_key(id) return P .. 'job:' .. id end
    local function stats_key(ep) return P .. 'endpoint:' .. ep .. ':stats' end
    local function queue_key(ep) return P .. 'queue:' .. ep end
    local function load_job(id)
      local flat = redis.call('HGETALL', job_key(id))
      if #flat == 0 then return nil end
      local job = {}
      for i = 1, #flat, 2 do job[flat[i]] = flat[i + 1] end
      return job
    end
    local function is_terminal(s)
      return s == 'COMPLETED' or s == 'FAILED' or s == 'CANCELLED' or s == 'TIMED_OUT'
    end
    local function present(v) return v ~= nil and v ~= '' and v ~= false end
    -- The webhook payload as RunPod sends it for this state.
    local function payload(job)
      local s = job.status
      local parts = {'{"id":' .. cjson.encode(job.id), '"status":"' .. s .. '"'}
      if s ~= 'IN_QUEUE' and present(job.delayTime) then parts[#parts + 1] = '"delayTime":' .. job.delayTime end
      if is_terminal(s) then
        parts[#parts + 1] = '"executionTime":' .. (present(job.executionTime) and job.executionTime or '0')
        parts[#parts + 1] = '"output":' .. (present(job.output) and job.output or 'null')
        if present(job.error) then parts[#parts + 1] = '"error":' .. cjson.encode(job.error) end
      end
      return table.concat(parts, ',') .. '}'
    end
    -- Appends the transition to the events stream (and wakes /runsync waiters on a terminal state).
    local function emit(job, from, now, reason)
      -- seq numbers a job's transitions so notifiers can keep its webhooks in order.
      local seq = redis.call('HINCRBY', job_key(job.id), 'seq', 1)
      local entry = {'job', job.id, 'endpoint', job.endpoint, 'from', from, 'to', job.status,
        'at', tostring(now), 'seq', tostring(seq), 'attempt', job.attempt or '0', 'payload', payload(job)}
      if present(job.webhook) then entry[#entry + 1] = 'webhook'; entry[#entry + 1] = job.webhook end
      if present(job.webhookv2) then entry[#entry + 1] = 'webhookv2'; entry[#entry + 1] = job.webhookv2 end
      if present(reason) then entry[#entry + 1] = 'reason'; entry[#entry + 1] = reason end
      redis.call('XADD', P .. 'events', '*', unpack(entry))
      if is_terminal(job.status) then redis.call('PUBLISH', P .. 'done:' .. job.id, job.status) end
    end
    -- Writes changed fields (false = delete the field) into the hash and into `job`.
    local function write(job, fields)
      local set, del = {}, {}
      for k, v in pairs(fields) do
        if v == false then del[#del + 1] = k; job[k] = nil
        else set[#set + 1] = k; set[#set + 1] = tostring(v); job[k] = tostring(v) end
      end
      if #set > 0 then redis.call('HSET', job_key(job.id), unpack(set)) end
      if #del > 0 then redis.call('HDEL', job_key(job.id), unpack(del)) end
      redis.call('PEXPIRE', job_key(job.id), tonumber(job.ttl))
    end
    -- Leaving IN_PROGRESS: drop the lease and the running count.
    local function leave_running(job)
      redis.call('ZREM', P .. 'leases', job.id)
      redis.call('HINCRBY', stats_key(job.endpoint), 'inProgress', -1)
    end
    -- Ends a job (terminal state) from IN_QUEUE or IN_PROGRESS.
    local function finish(job, to, now, fields, reason)
      local from = job.status
      if from == 'IN_PROGRESS' then
        leave_running(job)
        fields.executionTime = now - tonumber(job.startedAt)
      else
        redis.call('LREM', queue_key(job.endpoint), 1, job.id)
        redis.call('ZREM', P .. 'queue-deadlines', job.id)
        fields.delayTime = now - tonumber(job.queuedAt)
        fields.executionTime = 0
      end
      fields.status = to
      fields.completedAt = now
      write(job, fields)
      local counter = ({COMPLETED = 'completed', FAILED = 'failed', CANCELLED = 'cancelled', TIMED_OUT = 'timedOut'})[to]
      redis.call('HINCRBY', stats_key(job.endpoint), counter, 1)
      emit(job, from, now, reason)
    end
    -- Puts a job (back) in its queue: at the tail for new work, at the head for work that was
    -- already taken once (a requeue after a lost worker goes next).
    local function enqueue(job, from, now, fields, at_head, reason)
      fields.status = 'IN_QUEUE'
      fields.queuedAt = now
      local policy_ttl = tonumber(job.queueTtl or '0')
      if policy_ttl > 0 then
        fields.queueDeadline = now + policy_ttl
        redis.call('ZADD', P .. 'queue-deadlines', now + policy_ttl, job.id)
      end
      write(job, fields)
      if at_head then redis.call('RPUSH', queue_key(job.endpoint), job.id)
      else redis.call('LPUSH', queue_key(job.endpoint), job.id) end
      emit(job, from, now, reason)
    end

    """#
}
