"""Jobs end to end: the real `orchestrator api` and `orchestrator worker` processes, real Redis, real HTTP."""
import os
import signal
import time

import requests

from conftest import wait_for


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_job_completes_with_output_and_readable_redis_fields(cluster):
    cluster.start_api()
    cluster.start_worker()
    job_id = cluster.run({"prompt": "a cat", "n": 2})
    done = cluster.wait_status(job_id, "COMPLETED")
    assert done["output"]["echo"] == {"prompt": "a cat", "n": 2}
    assert done["delayTime"] >= 0 and done["executionTime"] >= 0

    fields = cluster.redis.cli("HGETALL", f"orch:{{default}}:job:{job_id}").split("\n")
    record = dict(zip(fields[::2], fields[1::2]))
    assert record["status"] == "COMPLETED"
    assert record["input"] == '{"prompt": "a cat", "n": 2}'
    assert '"echo"' in record["output"]
    assert record["attempt"] == "1" and record["worker"] and record["seq"] == "3"
    ttl = int(cluster.redis.cli("TTL", f"orch:{{default}}:job:{job_id}"))
    assert 3500 <= ttl <= 3600
    lines = cluster.redis.cli("XRANGE", "orch:{default}:events", "-", "+").split("\n")
    targets = [lines[i + 1] for i, v in enumerate(lines[:-1]) if v == "to"]
    assert targets == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    # The output is stored once: not in the events.
    assert '"echo"' not in "\n".join(lines)


def test_failing_handler_fails_the_job_with_its_error(cluster):
    cluster.start_api()
    cluster.start_worker()
    failed = cluster.wait_status(cluster.run({"fail": "bad prompt"}), "FAILED")
    assert failed["error"] == "bad prompt"
    crashed = cluster.wait_status(cluster.run({"exit": 4}), "FAILED")
    assert "exit code 4" in crashed["error"] and "exiting with 4" in crashed["error"]


def test_timeout_kills_the_handler(cluster, tmp_path):
    cluster.start_api()
    cluster.start_worker()
    pidfile = tmp_path / "pid"
    job_id = cluster.run({"sleep": 60, "pidfile": str(pidfile)}, policy={"executionTimeout": 1500})
    timed_out = cluster.wait_status(job_id, "TIMED_OUT")
    assert "execution timeout of 1500 ms exceeded" in timed_out["error"]
    pid = int(pidfile.read_text())
    wait_for(lambda: not alive(pid), timeout=3, what="the handler process to be gone")


def test_cancel_queued_and_running_jobs(cluster, tmp_path):
    cluster.start_api()
    # Nothing serves this endpoint yet: the job stays queued.
    queued = cluster.run({}, endpoint="later")
    response = requests.post(f"{cluster.base}/v2/later/cancel/{queued}", timeout=10).json()
    assert response == {"id": queued, "status": "CANCELLED"}
    # O(1): the entry stays in the queue as a tombstone the next claim skips; it is not counted.
    assert requests.get(f"{cluster.base}/v2/later/health", timeout=10).json()["jobs"]["inQueue"] == 0

    cluster.start_worker()
    pidfile = tmp_path / "pid"
    running = cluster.run({"sleep": 60, "pidfile": str(pidfile)})
    cluster.wait_status(running, "IN_PROGRESS")
    wait_for(lambda: pidfile.exists() and pidfile.read_text(), what="the handler to start")
    pid = int(pidfile.read_text())
    started = time.monotonic()
    assert requests.post(f"{cluster.base}/cancel/{running}", timeout=10).json()["status"] == "CANCELLED"
    wait_for(lambda: not alive(pid), timeout=3, what="the cancelled handler to be killed")
    assert time.monotonic() - started < 1.5
    assert cluster.status(running)["status"] == "CANCELLED"


def test_killed_worker_manager_job_is_finished_by_another(cluster, tmp_path):
    cluster.start_api()
    doomed = cluster.start_worker("--worker-id", "doomed")
    pidfile = tmp_path / "pid"
    record = tmp_path / "runs"
    job_id = cluster.run({"sleep": 2, "pidfile": str(pidfile), "record": str(record)})
    job = cluster.wait_status(job_id, "IN_PROGRESS")
    assert job["workerId"] == "doomed"
    wait_for(lambda: pidfile.exists() and pidfile.read_text(), what="the handler to start")

    # A machine loss: the manager and its handler (which runs in a process group of its own) die.
    handler_group = os.getpgid(int(pidfile.read_text()))
    os.killpg(doomed.proc.pid, signal.SIGKILL)
    os.killpg(handler_group, signal.SIGKILL)
    doomed.proc.wait(5)
    survivor = cluster.start_worker("--worker-id", "survivor")
    done = cluster.wait_status(job_id, "COMPLETED", timeout=30)
    assert done["workerId"] == "survivor"
    fields = cluster.redis.cli("HGET", f"orch:{{default}}:job:{job_id}", "attempt")
    assert fields == "2"
    assert record.read_text().split() == [job_id]
    # The reaper runs in managers and in the API (one at a time): one of them recovered it.
    assert "reaper recovered work" in survivor.output() + cluster.api.output()


def test_two_managers_share_a_queue_without_running_a_job_twice(cluster, tmp_path):
    cluster.start_api()
    record = tmp_path / "runs"
    first = cluster.start_worker("--concurrency", "3", "--runtime", "persistent")
    second = cluster.start_worker("--concurrency", "3")
    ids = [cluster.run({"sleep": 0.05, "record": str(record)}) for _ in range(60)]
    for job_id in ids:
        cluster.wait_status(job_id, "COMPLETED", timeout=60)
    runs = record.read_text().split()
    assert sorted(runs) == sorted(ids)  # each exactly once
    workers = {cluster.status(job_id)["workerId"] for job_id in ids}
    assert len(workers) == 2, "both managers should have taken work"
    health = requests.get(f"{cluster.base}/health", timeout=10).json()
    assert health["jobs"]["completed"] == 60
    # Slot counts come from heartbeats (every lease/6 = 0.5 s here).
    wait_for(lambda: requests.get(f"{cluster.base}/health", timeout=10).json()["workers"] == {"idle": 6, "running": 0},
             timeout=5, what="both managers to report 6 idle slots")
    for worker in (first, second):
        assert worker.stop() == 0


def test_sigterm_hands_running_jobs_back(cluster, tmp_path):
    cluster.start_api()
    worker = cluster.start_worker("--grace", "0.5")
    job_id = cluster.run({"sleep": 60})
    cluster.wait_status(job_id, "IN_PROGRESS")
    assert worker.stop() == 0
    assert "handed back" in worker.output()
    assert cluster.status(job_id)["status"] == "IN_QUEUE"
    cluster.start_worker()
    # Shorter this time: a new job with the same input would sleep 60 s, so cancel instead.
    requests.post(f"{cluster.base}/cancel/{job_id}", timeout=10)
    assert cluster.wait_status(job_id, "CANCELLED")


def test_api_survives_redis_restart(cluster):
    cluster.start_api()
    cluster.start_worker()
    cluster.wait_status(cluster.run({}), "COMPLETED")
    cluster.redis.proc.kill()
    cluster.redis.proc.wait()
    response = requests.post(f"{cluster.base}/run", json={"input": {}}, timeout=15)
    assert response.status_code == 503 and "unavailable" in response.json()["error"]
    cluster.redis.start()
    job_id = wait_for(lambda: (lambda r: r.json().get("id") if r.status_code == 200 else None)(
        requests.post(f"{cluster.base}/run", json={"input": {}}, timeout=15)), timeout=15, what="API to recover")
    cluster.wait_status(job_id, "COMPLETED", timeout=30)


def test_first_requests_after_a_redis_restart_succeed(cluster):
    cluster.start_api()
    for _ in range(4):  # both pooled connections of the API in use
        assert requests.post(f"{cluster.base}/run", json={"input": {}}, timeout=10).status_code == 200
    cluster.redis.proc.kill()
    cluster.redis.proc.wait()
    cluster.redis.start()  # answers PING again
    codes = [requests.post(f"{cluster.base}/run", json={"input": {}}, timeout=15).status_code for _ in range(4)]
    assert codes == [200] * 4


def test_run_refuses_webhook_urls_with_spaces_or_control_characters(cluster):
    cluster.start_api()
    for url in ["http://x/a\r\nX-Injected: 1", "http://x/a b", "http://x/\t", "http://x/\u2028"]:
        for field in ("webhook", "webhookv2"):
            response = requests.post(f"{cluster.base}/run", json={"input": {}, field: url}, timeout=10)
            assert response.status_code == 400, (url, response.text)
            assert "without spaces or control characters" in response.json()["error"]
    assert cluster.redis.cli("DBSIZE") == "0"


def test_errors_are_json_unknown_paths_wrong_methods_and_ids_naming_other_keys(cluster):
    cluster.start_api()
    cluster.start_worker()
    missing = requests.get(f"{cluster.base}/v2/default/nope", timeout=10)
    assert missing.status_code == 404 and missing.headers["Content-Type"] == "application/json"
    assert "no route" in missing.json()["error"]
    wrong = requests.delete(f"{cluster.base}/v2/default/run", timeout=10)
    assert wrong.status_code == 405 and wrong.headers["Allow"] == "POST"
    assert wrong.headers["Content-Type"] == "application/json" and "DELETE" in wrong.json()["error"]

    # While a streaming job runs, `<id>:stream` names its list of unread partial outputs.
    job_id = cluster.run({"stream": 3, "sleep": 30})
    cluster.wait_status(job_id, "IN_PROGRESS")
    time.sleep(1)  # the handler prints its stream lines at once; give the worker a moment to store them
    other = requests.get(f"{cluster.base}/v2/default/status/{job_id}:stream", timeout=10)
    assert other.status_code == 404, (other.status_code, other.text)
    assert other.headers["Content-Type"] == "application/json" and "no job" in other.json()["error"]
    stream = requests.get(f"{cluster.base}/v2/default/stream/{job_id}", timeout=10).json()["stream"]
    assert [item["output"] for item in stream] == [{"chunk": 0}, {"chunk": 1}, {"chunk": 2}]
    requests.post(f"{cluster.base}/cancel/{job_id}", timeout=10)


def test_output_line_over_max_output_fails_the_job(cluster):
    cluster.start_api()
    cluster.start_worker("--max-output", "1000", handler="read line; head -c 5000 /dev/zero | tr '\\0' x; echo; sleep 30")
    failed = cluster.wait_status(cluster.run({}), "FAILED", timeout=15)
    assert failed["error"] == "handler output larger than 1000 bytes (--max-output); the handler was killed"
