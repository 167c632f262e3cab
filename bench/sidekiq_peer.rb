# Sidekiq (Debian's ruby-sidekiq 6.4.1, redis-rb 4.8, Ruby 3.1), driven the same way as the
# orchestrator and the Python peers in the bench: N no-op jobs carrying the same 100-byte
# payload, one producer process, one worker process. bench.py runs each part as its own
# process (it times it and reads its CPU); each prints one JSON line.
#
#   ruby [--yjit] sidekiq_peer.rb enqueue   PORT N   BenchJob.perform_async, one job per call
#   ruby [--yjit] sidekiq_peer.rb push-bulk PORT N   Sidekiq::Client.push_bulk, batches of 1,000
#   BENCH_REDIS_PORT=PORT BENCH_N=N ruby [--yjit] /usr/bin/sidekiq -r ./sidekiq_peer.rb -c C -q bench
#                                                   the worker (this file loaded by Sidekiq's CLI)
#
# Timing of the worker: a server middleware (the only one in the chain) takes
# Process.clock_gettime(CLOCK_MONOTONIC) before and after each job, in the worker process itself
# (no extra Redis command per job), and keeps the first start and the last end. When the N-th
# job has ended it writes {"first_start","last_end","finished"} once to the key
# bench:sidekiq:done, which bench.py polls for (beside LLEN queue:bench == 0); bench.py then
# stops the worker with TERM, and on shutdown the worker prints its JSON line (those figures,
# the concurrency, whether YJIT is on). jobs/s = finished / (last_end - first_start), the same
# first start -> last end span the bench takes for RQ, arq and BullMQ. After the worker exited,
# bench.py checks Sidekiq's own stat:processed (flushed by its heartbeat and at exit) against N.
#
# Logging is at WARN, as the other peers and our roles run in the bench: Sidekiq's JobLogger
# otherwise writes a "start" and a "done" line per job. Debian's redis-rb 4.8 prints a
# deprecation warning for every pipelined SADD Sidekiq sends (one per perform_async) unless the
# two switches below are set; with them the calls behave as before, silently.
require "json"
require "sidekiq"

Redis.silence_deprecations = true if Redis.respond_to?(:silence_deprecations=)
Redis.sadd_returns_boolean = false if Redis.respond_to?(:sadd_returns_boolean=)

PAYLOAD = "x" * 100
QUEUE = "bench"
DONE_KEY = "bench:sidekiq:done"

class BenchJob
  include Sidekiq::Worker
  sidekiq_options queue: QUEUE

  def perform(payload)
    nil
  end
end

def yjit?
  defined?(RubyVM::YJIT) && RubyVM::YJIT.respond_to?(:enabled?) && RubyVM::YJIT.enabled? ? true : false
end

# Keeps the first start and the last end of the jobs this process ran, and signals the N-th.
class BenchTiming
  @lock = Mutex.new
  @first_start = nil
  @last_end = nil
  @finished = 0
  @target = Integer(ENV.fetch("BENCH_N", "0"))

  class << self
    attr_reader :first_start, :last_end, :finished

    def record(started, ended)
      done = @lock.synchronize do
        @first_start = started if @first_start.nil? || started < @first_start
        @last_end = ended if @last_end.nil? || ended > @last_end
        @finished += 1
        @finished == @target
      end
      Sidekiq.redis { |conn| conn.set(DONE_KEY, JSON.generate(figures)) } if done
    end

    def figures
      {first_start: @first_start || 0, last_end: @last_end || 0, finished: @finished}
    end
  end

  def call(_worker, _job, _queue)
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    yield
    BenchTiming.record(started, Process.clock_gettime(Process::CLOCK_MONOTONIC))
  end
end

def redis_url(port)
  "redis://127.0.0.1:#{port}/0"
end

Sidekiq.logger.level = Logger::WARN

if __FILE__ == $PROGRAM_NAME
  command, port, count = ARGV[0], Integer(ARGV[1]), Integer(ARGV[2] || "0")
  Sidekiq.configure_client { |config| config.redis = {url: redis_url(port), size: 1} }
  $stdout.sync = true
  case command
  when "enqueue"
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    count.times { BenchJob.perform_async(PAYLOAD) }
    config = "perform_async, one job per call"
  when "push-bulk"
    started = Process.clock_gettime(Process::CLOCK_MONOTONIC)
    done = 0
    while done < count
      batch = [1000, count - done].min
      Sidekiq::Client.push_bulk("class" => BenchJob, "args" => Array.new(batch) { [PAYLOAD] })
      done += batch
    end
    config = "Client.push_bulk, batches of 1000"
  else
    abort "usage: sidekiq_peer.rb enqueue|push-bulk PORT N"
  end
  elapsed = Process.clock_gettime(Process::CLOCK_MONOTONIC) - started
  puts JSON.generate(jobs: count, seconds: elapsed, config: config + (yjit? ? ", YJIT" : ""), yjit: yjit?)
else
  # Loaded by the sidekiq CLI (-r): the worker.
  Sidekiq.configure_server do |config|
    config.redis = {url: redis_url(ENV.fetch("BENCH_REDIS_PORT"))}
    config.server_middleware { |chain| chain.add BenchTiming }
    config.on(:shutdown) do
      $stdout.puts JSON.generate(BenchTiming.figures.merge(
        concurrency: Sidekiq.options[:concurrency], yjit: yjit?, ruby: RUBY_VERSION, sidekiq: Sidekiq::VERSION,
        redis_rb: Redis::VERSION))
      $stdout.flush
    end
  end
end
