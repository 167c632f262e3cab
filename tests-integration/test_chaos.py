"""The chaos suite in its short form (`make test` runs it; `make chaos` runs the long one).

Runs tests-integration/chaos.py as its own process against ORCHESTRATOR_BINARY: 2 APIs,
3 worker managers, 2 notifiers, Redis with AOF, a webhook receiver; 250 jobs over 30 s while
worker managers and notifiers are killed with SIGKILL and restarted and Redis is killed and
restarted once. Fails with chaos.py's summary and findings.

Also the chaos suite's first finding reduced to its cause, without faults: two notifiers and
one job at a time; each job's webhooks must arrive in transition order.
"""
import os
import subprocess
import sys
import time

import pytest

from conftest import BINARY, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
SHORT = ["--jobs", "250", "--duration", "30", "--worker-kill-every", "5", "--notifier-kill-every", "6",
         "--settle-timeout", "120"]


def test_chaos_short_form():
    if not os.access(BINARY, os.X_OK):
        pytest.fail(f"no orchestrator binary at {BINARY}")
    result = subprocess.run([sys.executable, os.path.join(HERE, "chaos.py"), "--binary", BINARY, *SHORT],
                            capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    print(output)
    assert result.returncode == 0, output[-12000:]


def test_two_notifiers_keep_each_jobs_webhooks_in_order(cluster, receiver):
    """No faults at all: an idle worker claims each job at once, so its IN_QUEUE and IN_PROGRESS
    events are a millisecond apart and the two notifiers' blocked XREADGROUPs each get one of
    them. The job's webhooks must still arrive in transition order (the chaos suite's order check,
    reduced to its cause)."""
    cluster.start_api()
    cluster.start_worker("--concurrency", "2")
    for _ in range(2):
        cluster.start_notifier("--allow-private-webhooks", "--webhook-timeout", "2", "--webhook-delay", "1")
    ids = []
    for i in range(60):
        ids.append(cluster.run({}, webhook=receiver.url(f"/ok/order/{i}")))
        time.sleep(0.15)
    wait_for(lambda: len(receiver.received("/ok/order/")) >= 180, timeout=60, what="180 deliveries")
    wrong = {}
    for i, job_id in enumerate(ids):
        got = [r["json"]["status"] for r in receiver.received() if r["path"] == f"/ok/order/{i}"]
        if got != ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]:
            wrong[job_id] = got
    assert not wrong, f"{len(wrong)} of {len(ids)} jobs' webhooks arrived out of order: {wrong}"
