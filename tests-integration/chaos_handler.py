"""The chaos suite's job handler (persistent runtime: one process answers job after job).

Input: {"n": <submission number>, "ms": <how long to work>, "fail"?: message}.
Every run is recorded in the file named by CHAOS_RUNS (one JSON line per start and per finish,
each one O_APPEND write), tagged with CHAOS_WORKER (the worker manager incarnation that spawned
this handler): the chaos suite counts from it how many times each job's handler ran to the end.
"""
import json
import os
import sys
import time

RUNS = os.environ["CHAOS_RUNS"]
WORKER = os.environ.get("CHAOS_WORKER", "?")
fd = os.open(RUNS, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)


def record(kind, job_id, n):
    line = json.dumps({"kind": kind, "job": job_id, "n": n, "worker": WORKER, "pid": os.getpid(), "t": time.time()})
    os.write(fd, (line + "\n").encode())


for line in sys.stdin:
    job = json.loads(line)
    data = job.get("input", {})
    record("start", job["id"], data.get("n"))
    time.sleep(data.get("ms", 100) / 1000)
    record("done", job["id"], data.get("n"))
    try:
        if "fail" in data:
            print(json.dumps({"error": data["fail"]}), flush=True)
        else:
            print(json.dumps({"output": {"n": data.get("n"), "worker": WORKER}}), flush=True)
    except BrokenPipeError:
        # Our worker manager was killed (kill -9): nobody reads the result any more.
        os._exit(0)
