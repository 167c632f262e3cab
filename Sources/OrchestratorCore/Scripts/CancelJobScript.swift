import Redis

/// IN_QUEUE | IN_PROGRESS → CANCELLED, by the API. A queued job's entry stays in the queue as a
/// tombstone (O(1)); a running job leaves its worker's running set and the worker is told on
/// its cancel channel (its heartbeat finds out too, should the message be lost).
///
/// KEYS: base, events, stats, queue deadlines.
/// ARGV: id, the cancel channels' prefix (`orch:{@global}:worker:`).
/// Returns {'OK', previous status} or {'REFUSED', current status} or {'NOT_FOUND'}.
enum CancelJobScript {
    static let script = RedisScript(name: "cancel", source: LuaPrelude.source + #"""
    local job = load_job(ARGV[1])
    if job == nil then return {'NOT_FOUND'} end
    local from = job.status
    if from == 'IN_QUEUE' then
      end_queued(job, 'CANCELLED', now_ms(), {}, 'cancelled by request', nil)
    elseif from == 'IN_PROGRESS' then
      local worker = job.worker
      end_running(job, 'CANCELLED', now_ms(), {}, 'cancelled by request')
      if present(worker) then redis.call('PUBLISH', ARGV[2] .. worker .. ':cancel', job.id) end
    else
      return {'REFUSED', from}
    end
    return {'OK', from}
    """#)
}
