"""RunPod's own Python SDK, unmodified, against `orchestrator dev`."""
import re

import pytest
import runpod

from conftest import wait_for


@pytest.fixture
def dev(start_role):
    role = start_role("dev", "--port", "0", "--api-key", "sdk-key")
    base = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", role.output()), timeout=30, what="API").group(1)
    runpod.api_key = "sdk-key"
    runpod.endpoint_url_base = f"{base}/v2"
    return role


def test_run_status_output(dev):
    endpoint = runpod.Endpoint("default")
    job = endpoint.run({"input": {"prompt": "hello"}, "policy": {"executionTimeout": 30000}})
    assert job.status() in ("IN_QUEUE", "IN_PROGRESS", "COMPLETED")
    output = job.output(timeout=30)
    assert output["echo"] == {"prompt": "hello"}
    assert job.status() == "COMPLETED"


def test_run_sync(dev):
    endpoint = runpod.Endpoint("default")
    output = endpoint.run_sync({"prompt": "sync", "sleep": 0.2}, timeout=30)
    assert output["echo"] == {"prompt": "sync", "sleep": 0.2}


def test_cancel(dev):
    endpoint = runpod.Endpoint("default")
    job = endpoint.run({"sleep": 30})
    wait_for(lambda: job.status() == "IN_PROGRESS", timeout=10, what="the job to start")
    job.cancel()
    assert job.status() == "CANCELLED"


def test_health_and_purge(dev):
    endpoint = runpod.Endpoint("default")
    health = endpoint.health()
    assert set(health["jobs"]) == {"completed", "failed", "inProgress", "inQueue", "retried"}
    assert endpoint.purge_queue()["status"] == "completed"


def test_wrong_key_is_refused(dev):
    runpod.api_key = "wrong"
    with pytest.raises(Exception):
        runpod.Endpoint("default").run({"x": 1}).status()
