"""A job handler for the integration tests, speaking the handler protocol.

Reads job lines {"id", "input"} on stdin (one per job: the process runtime sends one and
closes stdin, the persistent runtime keeps sending), answers with result lines. The input
says what to do:
  sleep: seconds    fail: message    exit: code    stream: n
  pidfile: path (write this process' pid there first)
  record: path (append the job id there, once the job is done: counts runs)
"""
import json
import os
import sys
import time

for line in sys.stdin:
    job = json.loads(line)
    data = job.get("input", {})
    if "pidfile" in data:
        with open(data["pidfile"], "w") as f:
            f.write(str(os.getpid()))
    if "exit" in data:
        print("exiting with", data["exit"], file=sys.stderr, flush=True)
        os._exit(data["exit"])
    for i in range(data.get("stream", 0)):
        print(json.dumps({"stream": {"chunk": i}}), flush=True)
    if "sleep" in data:
        time.sleep(data["sleep"])
    if "record" in data:
        with open(data["record"], "a") as f:
            f.write(job["id"] + "\n")
    if "fail" in data:
        print(json.dumps({"error": data["fail"]}), flush=True)
    else:
        print(json.dumps({"output": {"echo": data, "pid": os.getpid()}}), flush=True)
