"""Operations: Prometheus metrics of every role after a known sequence of jobs (checked by
Debian's promtool), /ready, and JSON logs."""
import json
import os
import re
import subprocess
import tempfile

import requests

from conftest import BINARY, free_port, wait_for


def scrape(url):
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text


def samples(text):
    """{(name, frozenset(labels)): value} of every sample line."""
    found = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        assert match, f"not a sample line: {line!r}"
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        found[(match.group(1), labels)] = float(match.group(3))
    return found


def value(found, name, **labels):
    return found.get((name, frozenset(labels.items())))


def promtool_check(text):
    done = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr


def test_metrics_count_a_known_sequence_of_jobs(cluster, receiver):
    cluster.start_api("--allow-private-webhooks")
    worker_port, notifier_port = free_port(), free_port()
    worker = cluster.start_worker("--endpoint", "m", "--concurrency", "3", "--metrics-port", str(worker_port))
    cluster.start_notifier("--allow-private-webhooks", "--metrics-port", str(notifier_port))
    ids = [cluster.run({"n": n}, endpoint="m", webhook=receiver.url("/ok/m")) for n in range(3)]
    ids.append(cluster.run({"fail": "bad input"}, endpoint="m", webhook=receiver.url("/ok/m")))
    for job in ids:
        cluster.wait_status(job, {"COMPLETED", "FAILED"}, endpoint="m")
    queued = [cluster.run({"n": n}, endpoint="idle") for n in range(2)]
    # A job's webhook hears every transition: 4 jobs x (IN_QUEUE, IN_PROGRESS, end).
    wait_for(lambda: len(receiver.requests) >= 12, timeout=20, what="12 webhook deliveries")

    api = scrape(f"{cluster.base}/metrics")
    promtool_check(api)
    found = samples(api)
    assert value(found, "orchestrator_jobs_total", endpoint="m", status="IN_QUEUE") == 4
    assert value(found, "orchestrator_jobs_total", endpoint="idle", status="IN_QUEUE") == 2
    # Gauges read from Redis at scrape time.
    assert value(found, "orchestrator_queue_depth", endpoint="idle") == 2
    assert value(found, "orchestrator_queue_depth", endpoint="m") == 0
    assert value(found, "orchestrator_queue_oldest_age_seconds", endpoint="idle") >= 0
    assert value(found, "orchestrator_jobs_running", endpoint="m") == 0
    assert value(found, "orchestrator_workers", endpoint="m", state="idle") == 3
    assert value(found, "orchestrator_workers", endpoint="m", state="busy") == 0
    # HTTP durations by route pattern: no job id becomes a label value.
    assert not any(job in api for job in ids + queued)
    assert any("status/:id" in line or "status/{id}" in line for line in api.splitlines()), api

    work = scrape(f"http://127.0.0.1:{worker_port}/metrics")
    promtool_check(work)
    found = samples(work)
    assert value(found, "orchestrator_jobs_total", endpoint="m", status="IN_PROGRESS") == 4
    assert value(found, "orchestrator_jobs_total", endpoint="m", status="COMPLETED") == 3
    assert value(found, "orchestrator_jobs_total", endpoint="m", status="FAILED") == 1
    assert value(found, "orchestrator_job_execution_seconds_count", endpoint="m") == 4
    assert value(found, "orchestrator_job_delay_seconds_count", endpoint="m") == 4
    assert value(found, "orchestrator_jobs_total", endpoint="idle", status="IN_PROGRESS") is None

    notes = scrape(f"http://127.0.0.1:{notifier_port}/metrics")
    promtool_check(notes)
    found = samples(notes)
    assert value(found, "orchestrator_webhook_deliveries_total", outcome="success") == 12
    assert value(found, "orchestrator_webhook_deliveries_total", outcome="dead") == 0
    assert value(found, "orchestrator_webhook_attempt_seconds_count") == 12
    assert value(found, "orchestrator_webhook_retry_pending") == 0
    assert value(found, "orchestrator_webhook_dead_letters_pending") == 0
    # The 2 queued jobs' IN_QUEUE events have no webhook but are read all the same.
    wait_for(lambda: value(samples(scrape(f"http://127.0.0.1:{notifier_port}/metrics")), "orchestrator_notifier_lag") == 0,
             what="the notifier to read every event")

    worker.stop()


def test_ready_follows_redis(cluster):
    cluster.start_api()
    assert requests.get(f"{cluster.base}/ready", timeout=5).json() == {"status": "ready"}
    cluster.redis.stop()
    # (A 503 Response is falsy: keep its body.)
    body = wait_for(lambda: (lambda r: r.json() if r.status_code == 503 else None)(requests.get(f"{cluster.base}/ready", timeout=10)),
                    timeout=20, what="/ready to answer 503")
    assert body["status"] == "unavailable" and "Connection refused" in body["error"]
    assert requests.get(f"{cluster.base}/ping", timeout=5).status_code == 200


def test_json_logs_are_one_object_per_line(redis_server):
    errors = tempfile.TemporaryFile(mode="w+")
    api = subprocess.Popen([BINARY, "api", "--redis-url", redis_server.url, "--port", "0", "--log-format", "json"],
                           stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        base = re.search(r"API: (http://\S+)", api.stdout.readline()).group(1)
        job = requests.post(f"{base}/v2/logs/run", json={"input": {}}, timeout=10).json()["id"]
        requests.post(f"{base}/v2/logs/run", data="nope", timeout=10)
    finally:
        api.terminate()
        api.wait(15)
    errors.seek(0)
    lines = [line for line in errors.read().splitlines() if line.strip()]
    assert lines
    entries = [json.loads(line) for line in lines]
    for entry in entries:
        assert {"ts", "level", "label", "msg"} <= entry.keys(), entry
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", entry["ts"]), entry["ts"]
    queued = [entry for entry in entries if entry["msg"] == "job queued"]
    assert queued and queued[0]["job"] == job and queued[0]["endpoint"] == "logs" and queued[0]["label"] == "orchestrator.api"


def test_api_without_metrics(cluster):
    cluster.start_api("--no-metrics")
    response = requests.get(f"{cluster.base}/metrics", timeout=5)
    assert response.status_code == 404 and "error" in response.json()
