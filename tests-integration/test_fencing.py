"""Fencing under a network partition, with real hosts: network namespaces of the test's own (a veth
pair), Redis on one side, a worker manager on the other, the link cut with `ip link set down`.

A manager that cannot renew its lease for a lease period kills its handler itself; the reaper hands
the job to another manager only after the lease plus a margin; so the job never runs on two
machines at once."""
import os
import random
import shutil
import subprocess
import sys
import time

import pytest

from conftest import BINARY, RedisServer, wait_for

LEASE = 3


def ip(*args, check=True):
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def partition():
    """A namespace `ns` reachable as 10.77.N.2 from the root namespace's 10.77.N.1."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("needs root and iproute2 (ip netns)")
    n = random.randrange(1, 250)
    ns, outside, inside = f"orch-fence-{os.getpid()}-{n}", f"vfa{n}x{os.getpid() % 1000}", f"vfb{n}x{os.getpid() % 1000}"
    if ip("netns", "add", ns, check=False).returncode != 0:
        pytest.skip("cannot create a network namespace here")
    try:
        ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        ip("link", "set", inside, "netns", ns)
        ip("addr", "add", f"10.77.{n}.1/24", "dev", outside)
        ip("link", "set", outside, "up")
        ip("netns", "exec", ns, "ip", "addr", "add", f"10.77.{n}.2/24", "dev", inside)
        ip("netns", "exec", ns, "ip", "link", "set", inside, "up")
        ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")
        yield {"ns": ns, "link": outside, "redis_host": f"10.77.{n}.1"}
    finally:
        ip("link", "del", outside, check=False)
        ip("netns", "del", ns, check=False)


HANDLER = f"""{sys.executable} -u -c '
import json, os, sys, time
for line in sys.stdin:
    job = json.loads(line)
    log = job["input"]["log"]
    with open(log, "a") as f: f.write(f"start {{os.getpid()}} {{time.time()}}\\n")
    time.sleep(job["input"]["sleep"])
    with open(log, "a") as f: f.write(f"end {{os.getpid()}} {{time.time()}}\\n")
    print(json.dumps({{"output": {{"pid": os.getpid()}}}}), flush=True)
'"""


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_manager_cut_off_from_redis_stops_its_handler_before_the_job_runs_elsewhere(partition, start_role, tmp_path):
    redis = RedisServer(extra=["--bind", f"127.0.0.1 {partition['redis_host']}", "--protected-mode", "no"])
    processes = []
    try:
        api = start_role("api", "--redis-url", redis.url, "--port", "0")
        base = wait_for(lambda: __import__("re").search(r"API: (http://[0-9.]+:\d+)", api.output()), what="API").group(1)
        log_a = open(tmp_path / "far.log", "w")
        far = subprocess.Popen(
            ["ip", "netns", "exec", partition["ns"], BINARY, "worker", "--redis-url", f"redis://{partition['redis_host']}:{redis.port}",
             "--worker-id", "far", "--runtime", "persistent", "--handler", HANDLER, "--lease", str(LEASE)],
            stdout=log_a, stderr=subprocess.STDOUT, start_new_session=True)
        processes.append(far)
        wait_for(lambda: "worker manager started" in (tmp_path / "far.log").read_text(), timeout=30, what="the far worker")
        import requests
        runs = tmp_path / "runs"
        job = requests.post(f"{base}/run", json={"input": {"sleep": 25, "log": str(runs)}}, timeout=10).json()["id"]
        status = lambda: requests.get(f"{base}/status/{job}", timeout=10).json()
        wait_for(lambda: status().get("workerId") == "far" and runs.exists(), timeout=15, what="the job to start on the far worker")
        far_pid = int(runs.read_text().split()[1])

        near = start_role("worker", "--redis-url", redis.url, "--worker-id", "near", "--runtime", "persistent",
                          "--handler", HANDLER, "--lease", str(LEASE))
        near.wait_for_output("worker manager started")
        cut = time.time()
        ip("link", "set", partition["link"], "down")

        # The far manager kills its handler within a lease (plus a heartbeat) of the cut...
        wait_for(lambda: not alive(far_pid), timeout=LEASE + 3, what="the far handler to be stopped by fencing")
        fenced = time.time()
        # ...and only then, after the lease plus the margin, the job starts again near Redis.
        wait_for(lambda: len(runs.read_text().split("\n")) > 2, timeout=30, what="the job to start again on the near worker")
        lines = [line.split() for line in runs.read_text().splitlines()]
        starts = [(int(pid), float(at)) for kind, pid, at in lines if kind == "start"]
        assert len(starts) == 2 and starts[1][0] != far_pid
        restarted = starts[1][1]
        assert fenced < restarted, f"the job started again {restarted - cut:.1f} s after the cut, before the far handler stopped ({fenced - cut:.1f} s)"
        assert restarted - cut >= LEASE, f"restarted {restarted - cut:.1f} s after the cut, within a lease"
        assert not any(kind == "end" and int(pid) == far_pid for kind, pid, _ in lines)
        print(f"lease {LEASE} s: far handler stopped {fenced - cut:.1f} s after the cut, the job restarted near Redis {restarted - cut:.1f} s after it")
        assert "lease not renewed for a lease period" in (tmp_path / "far.log").read_text()

        # The link comes back: the far manager renews and claims again; the job ends once, near.
        ip("link", "set", partition["link"], "up")
        wait_for(lambda: "lease renewed again" in (tmp_path / "far.log").read_text(), timeout=20, what="the far manager to renew")
        done = wait_for(lambda: (lambda s: s if s["status"] == "COMPLETED" else None)(status()), timeout=40, what="the job to complete")
        assert done["workerId"] == "near"
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
                try:
                    process.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, 9)
        redis.stop()
