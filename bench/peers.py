"""The Python peers: RQ, arq and BullMQ (the `bullmq` package from PyPI, a Python port that
runs the same Lua scripts as Node's BullMQ), driven the same way as the orchestrator in the
bench: N no-op jobs with the same 100-byte input, one producer process, one worker process.
Each subcommand is its own process (bench.py times it and reads its CPU) and prints one JSON
line. (Sidekiq, the Ruby peer, is bench/sidekiq_peer.rb.)

  peers.py rq-enqueue        PORT N  enqueue_many in pipelined batches of 1,000 (RQ's fastest)
  peers.py rq-work           PORT    SimpleWorker (no fork per job), burst mode
  peers.py rq-times          PORT    first start / last end of the finished jobs
  peers.py arq-enqueue       PORT N  enqueue_job, 64 in flight on one event loop
  peers.py arq-work          PORT    Worker(max_jobs=1000: faster than 10 or 100, no slower than 5000), burst mode
  peers.py arq-times         PORT    first start / last end from the stored results
  peers.py bullmq-add        PORT N  Queue.add, one job per call, from 64 concurrent asyncio tasks
  peers.py bullmq-add-bulk   PORT N  Queue.addBulk, batches of 1,000
  peers.py bullmq-work       PORT N  Worker(concurrency=100) until N jobs are completed, then close()
  peers.py bullmq-times      PORT    first processedOn / last finishedOn of the completed jobs (ms)

RQ and arq run from .venv-bench; bullmq needs redis-py >= 6.2 where arq 0.28 needs < 6, so it has
a virtualenv of its own (.venv-bench-bullmq, bench/requirements-bullmq.txt); bench.py runs the
bullmq subcommands with that interpreter. Every worker runs with per-job logging off (WARNING;
bullmq logs nothing per job), as the orchestrator's roles do in the bench, and keeps its default
result retention (BullMQ: removeOnComplete false, every job hash kept in the completed set).
"""
import asyncio
import json
import logging
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

PAYLOAD = "x" * 100
QUEUE = "bench"
ARQ_MAX_JOBS = int(os.environ.get("BENCH_ARQ_MAX_JOBS", "1000"))
BULLMQ_CONCURRENCY = int(os.environ.get("BENCH_BULLMQ_CONCURRENCY", "100"))
BULLMQ_PRODUCERS = 64


def rq_enqueue(port, n):
    from redis import Redis
    from rq import Queue
    from peer_tasks import noop

    connection = Redis(port=port)
    queue = Queue(QUEUE, connection=connection)
    started = time.perf_counter()
    done = 0
    while done < n:
        batch = min(1000, n - done)
        with connection.pipeline() as pipe:
            queue.enqueue_many([Queue.prepare_data(noop, (PAYLOAD,)) for _ in range(batch)], pipeline=pipe)
            pipe.execute()
        done += batch
    elapsed = time.perf_counter() - started
    print(json.dumps({"jobs": done, "seconds": elapsed, "config": "Queue.enqueue_many, pipelined batches of 1000"}))


def rq_work(port):
    from redis import Redis
    from rq import Queue
    from rq.worker import SimpleWorker

    connection = Redis(port=port)
    worker = SimpleWorker([Queue(QUEUE, connection=connection)], connection=connection)
    started = time.perf_counter()
    worker.work(burst=True, logging_level="WARNING")
    print(json.dumps({"seconds": time.perf_counter() - started, "config": "SimpleWorker, burst"}))


def rq_times(port):
    from redis import Redis
    from rq import Queue
    from rq.job import Job
    from rq.registry import FinishedJobRegistry

    connection = Redis(port=port)
    queue = Queue(QUEUE, connection=connection)
    ids = FinishedJobRegistry(queue=queue).get_job_ids()
    starts, ends = [], []
    for index in range(0, len(ids), 1000):
        for job in Job.fetch_many(ids[index:index + 1000], connection=connection):
            if job is not None and job.started_at and job.ended_at:
                starts.append(job.started_at.timestamp())
                ends.append(job.ended_at.timestamp())
    print(json.dumps({"finished": len(ends), "first_start": min(starts, default=0), "last_end": max(ends, default=0)}))


def arq_settings(port):
    from arq.connections import RedisSettings
    return RedisSettings(host="127.0.0.1", port=port)


def arq_enqueue(port, n):
    from arq import create_pool

    async def main():
        pool = await create_pool(arq_settings(port), default_queue_name=QUEUE)
        in_flight = asyncio.Semaphore(64)

        async def one():
            async with in_flight:
                await pool.enqueue_job("arq_noop", PAYLOAD)

        started = time.perf_counter()
        for index in range(0, n, 1000):
            await asyncio.gather(*(one() for _ in range(min(1000, n - index))))
        elapsed = time.perf_counter() - started
        await pool.aclose()
        return elapsed

    elapsed = asyncio.run(main())
    print(json.dumps({"jobs": n, "seconds": elapsed, "config": "enqueue_job, 64 in flight (asyncio)"}))


def arq_work(port):
    from arq.worker import Worker
    from peer_tasks import arq_noop

    logging.basicConfig(level=logging.WARNING)
    worker = Worker(functions=[arq_noop], queue_name=QUEUE, redis_settings=arq_settings(port),
                    max_jobs=ARQ_MAX_JOBS, burst=True, log_results=False, handle_signals=True)
    started = time.perf_counter()
    worker.run()
    print(json.dumps({"seconds": time.perf_counter() - started, "config": f"Worker(max_jobs={ARQ_MAX_JOBS}), burst"}))


def arq_times(port):
    from arq import create_pool
    from arq.constants import result_key_prefix
    from arq.jobs import deserialize_result

    async def main():
        pool = await create_pool(arq_settings(port))
        keys = [key async for key in pool.scan_iter(match=result_key_prefix + "*", count=1000)]
        starts, ends = [], []
        for index in range(0, len(keys), 1000):
            for raw in await pool.mget(keys[index:index + 1000]):
                if raw:
                    result = deserialize_result(raw)
                    if result.success:
                        starts.append(result.start_time.timestamp())
                        ends.append(result.finish_time.timestamp())
        await pool.aclose()
        return starts, ends

    starts, ends = asyncio.run(main())
    print(json.dumps({"finished": len(ends), "first_start": min(starts, default=0), "last_end": max(ends, default=0)}))


def bullmq_opts(port):
    return {"connection": {"host": "127.0.0.1", "port": port}}


def bullmq_add(port, n, bulk):
    from bullmq import Queue

    async def main():
        queue = Queue(QUEUE, bullmq_opts(port))
        started = time.perf_counter()
        if bulk:
            for index in range(0, n, 1000):
                await queue.addBulk([{"name": "noop", "data": PAYLOAD} for _ in range(min(1000, n - index))])
        else:
            remaining = iter(range(n))

            async def producer():
                for _ in remaining:
                    await queue.add("noop", PAYLOAD)

            await asyncio.gather(*(producer() for _ in range(BULLMQ_PRODUCERS)))
        elapsed = time.perf_counter() - started
        await queue.close()
        return elapsed

    elapsed = asyncio.run(main())
    config = "Queue.addBulk, batches of 1000" if bulk else f"Queue.add, {BULLMQ_PRODUCERS} concurrent asyncio tasks"
    print(json.dumps({"jobs": n, "seconds": elapsed, "config": config}))


def bullmq_work(port, n):
    """Runs a Worker until the completed and failed sets hold n jobs (ZCARD every 50 ms on a
    connection of its own), then closes it: BullMQ has no burst mode."""
    import redis.asyncio
    from bullmq import Worker
    from peer_tasks import bullmq_noop

    logging.basicConfig(level=logging.WARNING)

    async def main():
        counter = redis.asyncio.Redis(port=port)
        started = time.perf_counter()
        worker = Worker(QUEUE, bullmq_noop, dict(bullmq_opts(port), concurrency=BULLMQ_CONCURRENCY))
        while True:
            async with counter.pipeline(transaction=False) as pipe:
                completed, failed = await pipe.zcard(f"bull:{QUEUE}:completed").zcard(f"bull:{QUEUE}:failed").execute()
            if completed + failed >= n:
                break
            await asyncio.sleep(0.05)
        await worker.close()
        await counter.aclose()
        return time.perf_counter() - started, failed

    elapsed, failed = asyncio.run(main())
    print(json.dumps({"seconds": elapsed, "failed": failed, "config": f"Worker(concurrency={BULLMQ_CONCURRENCY})"}))


def bullmq_times(port):
    from redis import Redis

    connection = Redis(port=port)
    ids = connection.zrange(f"bull:{QUEUE}:completed", 0, -1)
    starts, ends = [], []
    for index in range(0, len(ids), 1000):
        with connection.pipeline(transaction=False) as pipe:
            for job_id in ids[index:index + 1000]:
                pipe.hmget(f"bull:{QUEUE}:" + job_id.decode(), "processedOn", "finishedOn")
            for processed_on, finished_on in pipe.execute():
                if processed_on and finished_on:
                    starts.append(int(processed_on) / 1000)
                    ends.append(int(finished_on) / 1000)
    print(json.dumps({"finished": len(ends), "first_start": min(starts, default=0), "last_end": max(ends, default=0)}))


if __name__ == "__main__":
    command, port = sys.argv[1], int(sys.argv[2])
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    {
        "rq-enqueue": lambda: rq_enqueue(port, count),
        "rq-work": lambda: rq_work(port),
        "rq-times": lambda: rq_times(port),
        "arq-enqueue": lambda: arq_enqueue(port, count),
        "arq-work": lambda: arq_work(port),
        "arq-times": lambda: arq_times(port),
        "bullmq-add": lambda: bullmq_add(port, count, bulk=False),
        "bullmq-add-bulk": lambda: bullmq_add(port, count, bulk=True),
        "bullmq-work": lambda: bullmq_work(port, count),
        "bullmq-times": lambda: bullmq_times(port),
    }[command]()
