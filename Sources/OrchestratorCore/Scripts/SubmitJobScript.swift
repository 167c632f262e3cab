import Redis

/// (new) → IN_QUEUE for a batch of jobs of one endpoint: each job's hash, its queue entry and
/// its event, all in one step (a batch is all or nothing).
///
/// KEYS: base, queue, low queue, events, queue deadlines.
/// ARGV: job count, then per job ``SubmitJobScript/fieldsPerJob`` values: id, input, webhook,
/// webhookv2, policy JSON ('' = none), ttl ms (key retention after the end), execution timeout
/// ms, queue ttl ms (0 = none), flags ('s' = a /runsync caller waits, 'l' = low priority).
/// Returns the creation time (ms, Redis' clock), or the error `EXISTS <id>` (nothing written)
/// when a job of the batch already exists.
enum SubmitJobScript {
    static let fieldsPerJob = 9

    static let script = RedisScript(name: "submit", source: LuaPrelude.source + #"""
    local count = tonumber(ARGV[1])
    for n = 0, count - 1 do
      local id = ARGV[2 + n * 9]
      if redis.call('EXISTS', job_key(id)) == 1 then return redis.error_reply('EXISTS ' .. id) end
    end
    local now = now_ms()
    -- Queue entries go out in one LPUSH per queue (per 1000: unpack's stack limit), the same
    -- order as one LPUSH each.
    local entries = {[KEYS[2]] = {}, [KEYS[3]] = {}}
    local function flush(queue)
      local list = entries[queue]
      for first = 1, #list, 1000 do redis.call('LPUSH', queue, unpack(list, first, math.min(first + 999, #list))) end
    end
    for n = 0, count - 1 do
      local a = 2 + n * 9
      local id, input, webhook, webhookv2, policy = ARGV[a], ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4]
      local ttl, timeout, queue_ttl, flags = ARGV[a + 5], ARGV[a + 6], tonumber(ARGV[a + 7]), ARGV[a + 8]
      local fields = {'status', 'IN_QUEUE', 'createdAt', now, 'seq', 1, 'ttl', ttl, 'executionTimeout', timeout}
      local job = {id = id, status = 'IN_QUEUE', seq = '1'}
      if webhook ~= '' then fields[#fields + 1] = 'webhook'; fields[#fields + 1] = webhook; job.webhook = webhook end
      if webhookv2 ~= '' then fields[#fields + 1] = 'webhookv2'; fields[#fields + 1] = webhookv2; job.webhookv2 = webhookv2 end
      if policy ~= '' then fields[#fields + 1] = 'policy'; fields[#fields + 1] = policy end
      if queue_ttl > 0 then
        fields[#fields + 1] = 'queueTtl'; fields[#fields + 1] = queue_ttl
        fields[#fields + 1] = 'queueDeadline'; fields[#fields + 1] = now + queue_ttl
        redis.call('ZADD', KEYS[5], now + queue_ttl, id)
      end
      if string.find(flags, 's', 1, true) then fields[#fields + 1] = 'sync'; fields[#fields + 1] = '1'; job.sync = '1' end
      local low = string.find(flags, 'l', 1, true)
      if low then fields[#fields + 1] = 'low'; fields[#fields + 1] = '1' end
      redis.call('HSET', job_key(id), unpack(fields))
      local queue = entries[low and KEYS[3] or KEYS[2]]
      queue[#queue + 1] = make_entry(id, input)
      emit(job, '', nil)
    end
    flush(KEYS[2])
    flush(KEYS[3])
    return now
    """#)
}
