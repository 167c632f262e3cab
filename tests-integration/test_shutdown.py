"""Stopping within a bound: SIGTERM ends /runsync waits at once, and every role exits within its
grace also while Redis is unreachable."""
import re
import signal
import threading
import time

import requests

from conftest import HANDLER, wait_for


def test_sigterm_ends_a_waiting_runsync_at_once(start_role):
    dev = start_role("dev", "--port", "0")
    base = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", dev.output()), timeout=30, what="dev's API").group(1)
    answer = {}

    def runsync():
        # Nothing serves this endpoint: the wait would last its full 90 s.
        response = requests.post(f"{base}/v2/nobody/runsync", json={"input": {}}, timeout=120)
        answer["status"], answer["body"] = response.status_code, response.json()

    waiter = threading.Thread(target=runsync)
    waiter.start()
    time.sleep(1)
    started = time.monotonic()
    dev.signal(signal.SIGTERM)
    dev.proc.wait(30)
    waiter.join(30)
    took = time.monotonic() - started
    print(f"dev with a waiting /runsync stopped {took:.1f} s after SIGTERM")
    assert took < 10, f"dev took {took:.1f} s to stop"
    assert answer["status"] == 200 and answer["body"]["status"] == "IN_QUEUE" and answer["body"]["id"]
    assert dev.proc.returncode == 0


def test_every_role_stops_within_its_grace_while_redis_is_away(cluster, start_role, receiver):
    cluster.start_api()
    cluster.start_worker("--grace", "2", handler=HANDLER)
    notifier = cluster.start_notifier("--allow-private-webhooks", "--webhook-timeout", "2")
    # Work in flight when Redis goes: a running job and a webhook to deliver.
    job = cluster.run({"sleep": 30}, webhook=receiver.url("/ok/x"))
    cluster.wait_status(job, "IN_PROGRESS")
    cluster.redis.proc.kill()
    cluster.redis.proc.wait(5)
    time.sleep(1)
    roles = [role for role in start_role.started if role.proc.poll() is None]
    assert len(roles) == 3
    for role in roles:
        role.signal(signal.SIGTERM)
    started = time.monotonic()
    for role in roles:
        role.proc.wait(60)
    took = time.monotonic() - started
    # The worker's grace (2 s), then hand-back attempts and the 5 s cap on retries while stopping.
    print(f"api, worker (grace 2 s) and notifier stopped {took:.1f} s after SIGTERM without Redis")
    assert took < 15, f"roles took {took:.1f} s to stop without Redis"
    assert all(role.proc.returncode == 0 for role in roles), [role.output()[-2000:] for role in roles]
