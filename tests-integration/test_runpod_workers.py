"""Unmodified RunPod workers (the real `runpod` SDK from PyPI, as a worker) taking jobs from the
API, supervised by `orchestrator worker --runtime runpod`, with RunPod's client SDK on the other
side of every test."""
import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests
import runpod

from conftest import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = f"{sys.executable} -u {os.path.join(HERE, 'runpod_worker.py')}"


class RunPodSetup:
    def __init__(self, cluster, tmp_path):
        self.cluster = cluster
        self.log = tmp_path / "runs"
        self.supervisor = None

    def start(self, kind="sync", replicas=1, concurrency=1, extra=(), worker=WORKER, env=None):
        environment = {"RUNPOD_TEST_LOG": str(self.log), "RUNPOD_TEST_HANDLER": kind, "RUNPOD_TEST_CONCURRENCY": str(concurrency)}
        environment.update(env or {})
        self.supervisor = self.cluster.start_role(
            "worker", "--redis-url", self.cluster.redis.url, "--runtime", "runpod", "--replicas", str(replicas),
            "--api-url", self.cluster.base, "--handler", worker, "--lease", "6", "--stop-grace", "3", *extra, env=environment)
        self.supervisor.wait_for_output("worker manager started")
        # Every replica polls: it has registered through a take.
        wait_for(lambda: self.registered() >= replicas, timeout=60, what=f"{replicas} RunPod worker(s) polling")
        return self.supervisor

    def registered(self):
        workers = self.cluster.redis.cli("ZRANGE", "orch:{@global}:workers", "0", "-1").split()
        return sum(1 for w in workers if re.search(r"-\d+$", w))

    def endpoint(self, name="default"):
        runpod.endpoint_url_base = f"{self.cluster.base}/v2"
        runpod.api_key = "test"
        return runpod.Endpoint(name)

    def runs(self):
        if not self.log.exists():
            return []
        return [line.split() for line in self.log.read_text().splitlines()]


@pytest.fixture
def rp(cluster, tmp_path):
    cluster.start_api("--runpod-take-wait", "5")
    return RunPodSetup(cluster, tmp_path)


def test_sync_async_and_generator_handlers_through_runpods_client(rp):
    rp.start("sync")
    endpoint = rp.endpoint()
    assert endpoint.run_sync({"input": {"hello": "world"}}, timeout=60) == {"echo": {"hello": "world"}, "pid": int(rp.runs()[0][2])}
    job = endpoint.run({"input": {"n": 2}})
    assert job.output(timeout=60)["echo"] == {"n": 2}
    assert job.status() == "COMPLETED"
    rp.supervisor.stop()

    rp.start("async")
    assert rp.endpoint().run_sync({"input": {"kind": "async"}}, timeout=60)["echo"] == {"kind": "async"}
    rp.supervisor.stop()

    rp.start("generator")
    job = rp.endpoint().run({"input": {"tokens": 4}})
    assert [chunk for chunk in job.stream()] == [{"token": i} for i in range(4)]
    assert job.status() == "COMPLETED"


def test_a_raised_exception_fails_the_job_with_its_message(rp):
    rp.start("sync")
    job = rp.endpoint().run({"input": {"fail": "CUDA out of memory"}})
    wait_for(lambda: job.status() == "FAILED", timeout=60, what="the job to fail")
    status = requests.get(f"{rp.cluster.base}/v2/default/status/{job.job_id}", timeout=10).json()
    assert status["error"].startswith("ValueError: CUDA out of memory"), status["error"]
    assert "Traceback" in status["error"] or "line" in status["error"]


def test_progress_updates_show_in_status_while_it_runs(rp):
    rp.start("sync")
    job = rp.endpoint().run({"input": {"progress": 5}})
    seen = wait_for(lambda: (lambda s: s if s.get("status") == "IN_PROGRESS" and s.get("output") else None)(
        requests.get(f"{rp.cluster.base}/v2/default/status/{job.job_id}", timeout=10).json()), timeout=60, what="progress in /status")
    assert "step" in seen["output"]
    assert job.output(timeout=60)["echo"] == {"progress": 5}
    # A late progress post after the end changes nothing.
    done = requests.get(f"{rp.cluster.base}/v2/default/status/{job.job_id}", timeout=10).json()
    assert done["status"] == "COMPLETED" and done["output"]["echo"] == {"progress": 5}
    events = rp.cluster.redis.cli("XRANGE", "orch:{default}:events", "-", "+")
    assert "job.progress" in events


def test_concurrency_modifier_takes_jobs_in_batches(rp):
    rp.start("async", concurrency=4)
    endpoint = rp.endpoint()
    jobs = [endpoint.run({"input": {"sleep": 2, "n": n}}) for n in range(4)]
    started = time.monotonic()
    for job in jobs:
        assert job.output(timeout=60)["echo"]["sleep"] == 2
    # Four 2 s jobs at once on one worker: well under the 8 s they would take one by one.
    assert time.monotonic() - started < 7.5
    assert len({pid for kind, _, pid, _ in rp.runs() if kind == "start"}) == 1


def test_cancelling_a_running_async_job_stops_it_through_job_stop(rp):
    rp.start("async")
    job = rp.endpoint().run({"input": {"sleep": 30}})
    wait_for(lambda: any(r[0] == "start" for r in rp.runs()), timeout=60, what="the job to start")
    assert job.cancel()["status"] == "CANCELLED"
    pid = rp.runs()[0][2]
    time.sleep(5)
    assert not any(r[0] == "end" for r in rp.runs()), "the cancelled job ran to its end"
    # The SDK cancelled the task: the same replica (same pid) is still there and takes the next job.
    assert rp.endpoint().run_sync({"input": {"after": 1}}, timeout=60)["pid"] == int(pid)


def test_cancelling_a_sync_job_gets_its_replica_killed_and_replaced(rp):
    rp.start("sync")
    job = rp.endpoint().run({"input": {"sleep": 60}})
    wait_for(lambda: any(r[0] == "start" for r in rp.runs()), timeout=60, what="the job to start")
    pid = int(rp.runs()[0][2])
    assert job.cancel()["status"] == "CANCELLED"
    # A sync handler blocks the SDK's loop: the runtime kills the replica after the stop grace.
    wait_for(lambda: "keeps running jobs it was told to stop" in rp.supervisor.output(), timeout=30, what="the replica to be killed")
    wait_for(lambda: not os.path.exists(f"/proc/{pid}"), timeout=10, what="the old replica to exit")
    assert rp.endpoint().run_sync({"input": {"after": 1}}, timeout=90)["pid"] != pid
    assert job.status() == "CANCELLED"


def test_execution_timeout_ends_timed_out(rp):
    rp.start("async")
    job = rp.endpoint().run({"input": {"sleep": 30}, "policy": {"executionTimeout": 2000}})
    wait_for(lambda: job.status() == "TIMED_OUT", timeout=30, what="the job to time out")
    time.sleep(3)
    assert not any(r[0] == "end" for r in rp.runs())


def test_a_replica_killed_mid_job_never_loses_the_job(rp):
    rp.start("sync", replicas=2)
    job = rp.endpoint().run({"input": {"sleep": 4}})
    wait_for(lambda: any(r[0] == "start" for r in rp.runs()), timeout=60, what="the job to start")
    victim = int(rp.runs()[0][2])
    os.kill(victim, signal.SIGKILL)
    # The replica's death is seen at once: the job goes back to the queue and another takes it.
    result = job.output(timeout=90)
    assert result["pid"] != victim
    ends = [r for r in rp.runs() if r[0] == "end" and r[1] == job.job_id]
    assert len(ends) == 1


def test_health_counts_replicas_once(rp):
    rp.start("sync", replicas=2)
    health = rp.endpoint().health()
    assert health["workers"]["idle"] + health["workers"]["running"] == 2


def test_with_redis_stopped_workers_back_off_and_come_back(rp):
    rp.start("sync")
    rp.cluster.redis.proc.kill()
    rp.cluster.redis.proc.wait(5)
    before = rp.cluster.api.output().count("asking RunPod workers to back off")
    time.sleep(10)
    backoffs = rp.cluster.api.output().count("asking RunPod workers to back off") - before
    # One worker: its take loop sleeps 5 s on a 429, its pings retry a few times per interval.
    assert backoffs / 10 < 3, f"{backoffs} refused worker requests in 10 s"
    rp.cluster.redis.start()
    assert rp.endpoint().run_sync({"input": {"back": True}}, timeout=90)["echo"] == {"back": True}


def legacy_worker():
    python = os.environ.get("RUNPOD_LEGACY_PYTHON")
    assert python and os.path.exists(python), "RUNPOD_LEGACY_PYTHON (set by tests-integration/run.sh) names no python"
    return f"{python} -u {os.path.join(HERE, 'runpod_worker.py')}"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_an_sdk_without_job_stop_runs_fails_times_out_and_is_cancelled(rp, kind):
    """runpod 1.7.13 never asks job-stop: a cancelled or timed-out job keeps running in it, so
    the runtime kills the replica after the stop grace and starts another."""
    rp.start(kind, worker=legacy_worker())
    version = subprocess.run([legacy_worker().split()[0], "-c", "import runpod; print(runpod.__version__)"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == "1.7.13"
    endpoint = rp.endpoint()
    first = endpoint.run_sync({"input": {"hello": kind}}, timeout=60)
    assert first["echo"] == {"hello": kind}
    failed = endpoint.run({"input": {"fail": "CUDA out of memory"}})
    wait_for(lambda: failed.status() == "FAILED", timeout=60, what="the job to fail")
    assert "CUDA out of memory" in rp.cluster.status(failed.job_id)["error"]

    job = endpoint.run({"input": {"sleep": 60}})
    wait_for(lambda: any(r[0] == "start" and r[1] == job.job_id for r in rp.runs()), timeout=60, what="the job to start")
    assert job.cancel()["status"] == "CANCELLED"
    wait_for(lambda: "keeps running jobs it was told to stop" in rp.supervisor.output(), timeout=30, what="the replica to be killed")
    wait_for(lambda: not os.path.exists(f"/proc/{first['pid']}"), timeout=10, what="the old replica to exit")
    second = endpoint.run_sync({"input": {"after": 1}}, timeout=90)
    assert second["pid"] != first["pid"]
    assert job.status() == "CANCELLED"

    slow = endpoint.run({"input": {"sleep": 60}, "policy": {"executionTimeout": 2000}})
    wait_for(lambda: slow.status() == "TIMED_OUT", timeout=30, what="the job to time out")
    # Its replica, still busy with it, goes the same way; the next job runs elsewhere.
    wait_for(lambda: not os.path.exists(f"/proc/{second['pid']}"), timeout=30, what="the timed-out replica to be killed")
    assert endpoint.run_sync({"input": {"after": 2}}, timeout=90)["echo"] == {"after": 2}
    assert not any(r[0] == "end" and r[1] in (job.job_id, slow.job_id) for r in rp.runs())


def test_a_generator_handler_streams_on_an_sdk_without_job_stop(rp):
    rp.start("generator", worker=legacy_worker())
    job = rp.endpoint().run({"input": {"tokens": 4}})
    assert [chunk for chunk in job.stream()] == [{"token": i} for i in range(4)]
    assert job.status() == "COMPLETED"
