"""An unmodified RunPod serverless worker, as people write them: `runpod.serverless.start` with a
handler. RUNPOD_TEST_HANDLER picks which kind (sync, async, generator); RUNPOD_TEST_CONCURRENCY
sets a concurrency_modifier. Every run appends `start <job id> <pid>` / `end <job id> <pid>` to
RUNPOD_TEST_LOG, so tests see what ran where and what was stopped."""
import asyncio
import os
import time

import runpod

LOG = os.environ.get("RUNPOD_TEST_LOG")
KIND = os.environ.get("RUNPOD_TEST_HANDLER", "sync")
CONCURRENCY = int(os.environ.get("RUNPOD_TEST_CONCURRENCY", "1"))


def record(what, job):
    if LOG:
        with open(LOG, "a") as f:
            f.write(f"{what} {job['id']} {os.getpid()} {time.time()}\n")


def sync_handler(job):
    record("start", job)
    data = job["input"]
    if data.get("fail"):
        raise ValueError(data["fail"])
    for step in range(data.get("progress", 0)):
        runpod.serverless.progress_update(job, {"step": step + 1})
        time.sleep(0.3)
    time.sleep(data.get("sleep", 0))
    record("end", job)
    return {"echo": data, "pid": os.getpid()}


async def async_handler(job):
    record("start", job)
    data = job["input"]
    if data.get("fail"):
        raise ValueError(data["fail"])
    await asyncio.sleep(data.get("sleep", 0))
    record("end", job)
    return {"echo": data, "pid": os.getpid()}


def generator_handler(job):
    record("start", job)
    for index in range(job["input"].get("tokens", 3)):
        time.sleep(0.05)
        yield {"token": index}
    record("end", job)


HANDLERS = {"sync": sync_handler, "async": async_handler, "generator": generator_handler}

config = {"handler": HANDLERS[KIND]}
if CONCURRENCY > 1:
    config["concurrency_modifier"] = lambda current: CONCURRENCY
runpod.serverless.start(config)
