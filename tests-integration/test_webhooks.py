"""Webhook delivery by the real `orchestrator notifier` to a real local HTTP receiver."""
import base64
import hashlib
import hmac
import json
import os
import signal
import time

import requests

from conftest import wait_for

SECRET = "whsec_" + base64.b64encode(b"integration-test-signing-key").decode()
FAST = ("--allow-private-webhooks", "--webhook-delay", "1", "--webhook-timeout", "2")


def verify_standard_webhooks(request, secret=SECRET):
    """The Standard Webhooks check, written from the spec with Python's hmac."""
    headers = request["headers"]
    key = base64.b64decode(secret[len("whsec_"):])
    signed = f'{headers["webhook-id"]}.{headers["webhook-timestamp"]}.{request["body"]}'.encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(part == f"v1,{expected}" for part in headers["webhook-signature"].split(" "))


def deliveries_log(cluster, job_id):
    response = requests.get(f"{cluster.base}/api/jobs/{job_id}/deliveries", timeout=10)
    return response.json()["deliveries"] if response.status_code == 200 else []


def test_every_transition_arrives_in_order_signed(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST, "--signing-secret", SECRET)
    job_id = cluster.run({"hello": "hook"}, webhook=receiver.url("/ok/a"))
    cluster.wait_status(job_id, "COMPLETED")
    got = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(receiver.received("/ok/a")), what="3 deliveries")
    assert [r["json"]["status"] for r in got] == ["IN_QUEUE", "IN_PROGRESS", "COMPLETED"]
    assert got[0]["json"] == {"id": job_id, "status": "IN_QUEUE"}
    assert set(got[1]["json"]) == {"id", "status", "delayTime"}
    assert set(got[2]["json"]) == {"id", "status", "delayTime", "executionTime", "output"}
    assert got[2]["json"]["output"]["echo"] == {"hello": "hook"}
    for request in got:
        headers = request["headers"]
        assert headers["content-type"] == "application/json"
        assert headers["user-agent"].startswith("orchestrator/")
        assert headers["webhook-id"].startswith("msg_")
        assert abs(int(headers["webhook-timestamp"]) - time.time()) < 30
        assert verify_standard_webhooks(request)
        assert not verify_standard_webhooks(request, "whsec_" + base64.b64encode(b"another key").decode())
    assert len({r["headers"]["webhook-id"] for r in got}) == 3
    log = wait_for(lambda: (lambda l: l if len(l) == 3 else None)(deliveries_log(cluster, job_id)), what="the delivery log")
    assert [entry["statusCode"] for entry in log] == [200, 200, 200]


def test_webhookv2_and_failed_job_payload(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    job_id = cluster.run({"fail": "nope"}, webhookv2=receiver.url("/ok/v2"))
    cluster.wait_status(job_id, "FAILED")
    got = wait_for(lambda: (lambda r: r if len(r) == 3 else None)(receiver.received("/ok/v2")), what="3 deliveries")
    assert got[-1]["json"]["status"] == "FAILED" and got[-1]["json"]["error"] == "nope"
    assert "output" in got[-1]["json"]


def test_failing_twice_then_ok_gets_exactly_three_attempts_a_delay_apart(cluster, receiver):
    cluster.start_api()
    cluster.start_notifier(*FAST)
    job_id = cluster.run({}, endpoint="nobody", webhook=receiver.url("/flaky/2/x"))
    got = wait_for(lambda: (lambda r: r if len(r) >= 3 else None)(receiver.received("/flaky/2/x")), timeout=15, what="3 attempts")
    time.sleep(1.5)
    got = receiver.received("/flaky/2/x")
    assert len(got) == 3, [r["at"] for r in got]
    assert len({r["headers"]["webhook-id"] for r in got}) == 1
    assert len({r["headers"]["webhook-timestamp"] for r in got}) >= 2  # re-signed per attempt
    gaps = [b["at"] - a["at"] for a, b in zip(got, got[1:])]
    assert all(0.9 <= gap <= 2.5 for gap in gaps), gaps
    log = wait_for(lambda: (lambda l: l if len(l) == 3 else None)(deliveries_log(cluster, job_id)), what="the delivery log")
    assert [entry["statusCode"] for entry in log] == [500, 500, 200]
    assert [entry["attempt"] for entry in log] == [1, 2, 3]
    assert cluster.redis.total("orch:{*}:webhooks:dead") == 0
    assert cluster.status(job_id, "nobody")["status"] == "IN_QUEUE"


def test_default_policy_waits_ten_seconds(cluster, receiver):
    cluster.start_api()
    cluster.start_notifier("--allow-private-webhooks")
    cluster.run({}, endpoint="nobody", webhook=receiver.url("/flaky/1/slow"))
    got = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(receiver.received("/flaky/1/slow")), timeout=25, what="2 attempts")
    gap = got[1]["at"] - got[0]["at"]
    assert 9.5 <= gap <= 12, gap


def test_three_failures_dead_letter_and_job_unaffected(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    job_id = cluster.run({}, webhook=receiver.url("/status/500/dead"))
    assert cluster.wait_status(job_id, "COMPLETED")
    wait_for(lambda: cluster.redis.total("orch:{*}:webhooks:dead") == 3, timeout=20, what="3 dead letters")
    assert len(receiver.received("/status/500/dead")) == 9
    ids = cluster.redis.cli("ZRANGE", "orch:{default}:webhooks:dead", "0", "-1").split("\n")
    attempts = [json.loads(cluster.redis.cli("HGET", f"orch:{{default}}:webhooks:dead:{i}", "attempts")) for i in ids]
    assert len(attempts) == 3
    assert all(len(a) == 3 and [x["statusCode"] for x in a] == [500, 500, 500] for a in attempts)
    assert {cluster.redis.cli("HGET", f"orch:{{default}}:webhooks:dead:{i}", "state") for i in ids} == {"pending"}
    assert cluster.status(job_id)["status"] == "COMPLETED"


def test_refused_connection_is_a_failed_attempt_at_once(cluster):
    from conftest import free_port
    cluster.start_api()
    cluster.start_notifier(*FAST)
    job_id = cluster.run({}, endpoint="nobody", webhook=f"http://127.0.0.1:{free_port()}/refused")
    # Each attempt fails as soon as the connection is refused (no retrying of the connect for
    # the whole connect timeout), and the delivery's own policy spaces the attempts.
    log = wait_for(lambda: (lambda l: l if len(l) == 3 else None)(deliveries_log(cluster, job_id)), timeout=10, what="3 attempts")
    assert all(entry["error"] == "connection refused" and entry["latencyMs"] < 1000 for entry in log), log
    wait_for(lambda: cluster.redis.total("orch:{*}:webhooks:dead") == 1, timeout=5, what="a dead letter")


def test_gone_stops_retrying(cluster, receiver):
    cluster.start_api()
    cluster.start_notifier(*FAST)
    cluster.run({}, endpoint="nobody", webhook=receiver.url("/status/410/gone"))
    wait_for(lambda: cluster.redis.total("orch:{*}:webhooks:dead") == 1, timeout=10, what="a dead letter")
    time.sleep(1.5)
    assert len(receiver.received("/status/410/gone")) == 1


def test_dead_and_hanging_receivers_do_not_delay_a_healthy_one(cluster, receiver):
    from conftest import free_port
    from receiver import Receiver
    hanging = Receiver()
    cluster.start_api()
    cluster.start_notifier("--allow-private-webhooks", "--webhook-delay", "1", "--webhook-timeout", "5", "--webhook-per-host", "4")
    dead = f"http://127.0.0.1:{free_port()}/refused"
    for _ in range(20):
        cluster.run({}, endpoint="nobody", webhook=dead)
        cluster.run({}, endpoint="nobody", webhook=hanging.url("/hang/h"))
    time.sleep(0.5)
    healthy = []
    for _ in range(20):
        sent = time.time()
        job_id = cluster.run({}, endpoint="nobody", webhook=receiver.url("/ok/healthy"))
        healthy.append((job_id, sent))
    wait_for(lambda: len(receiver.received("/ok/healthy")) == 20, timeout=10, what="healthy deliveries")
    arrivals = {r["json"]["id"]: r["at"] for r in receiver.received("/ok/healthy")}
    latencies = [arrivals[job_id] - sent for job_id, sent in healthy]
    # The hanging receiver holds connections for 120 s and the dead one refuses them;
    # the healthy one is still served at once.
    assert max(latencies) < 2.0, latencies
    assert len(hanging.received("/hang/h")) <= 4 * 2  # per-receiver cap (a retry may start as a slot frees)
    hanging.stop()


def test_killed_notifier_work_is_finished_by_another(cluster, receiver):
    cluster.start_api()
    first = cluster.start_notifier("--allow-private-webhooks", "--webhook-delay", "2", "--webhook-timeout", "2", "--claim-idle", "3")
    # Fewer first failures than the circuit breaker's threshold (20), which would pause the receiver.
    ids = [cluster.run({}, endpoint="nobody", webhook=receiver.url("/flaky/1/k")) for _ in range(15)]
    wait_for(lambda: len(receiver.received("/flaky/1/k")) >= 15, timeout=10, what="first attempts")
    os.killpg(first.proc.pid, signal.SIGKILL)
    first.proc.wait(5)
    # Submitted while no notifier runs: pending in the stream.
    ids += [cluster.run({}, endpoint="nobody", webhook=receiver.url("/flaky/1/k")) for _ in range(10)]
    cluster.start_notifier("--allow-private-webhooks", "--webhook-delay", "2", "--webhook-timeout", "2", "--claim-idle", "3")
    def all_delivered():
        ok = {r["json"]["id"] for r in receiver.received("/flaky/1/k") if receiver.seen[(r["path"], r["headers"]["webhook-id"])] >= 2}
        return set(ids) <= ok
    wait_for(all_delivered, timeout=30, what="every job's webhook to be delivered")
    assert cluster.redis.total("orch:{*}:webhooks:dead") == 0, cluster.redis.keys("orch:{*}:webhooks:dead")
    # The receiver records a request before its answer reaches the notifier, which then takes
    # the lane out of the retry set; and a lane whose delivery went out just before the kill
    # is delivered again (same webhook-id) once its lease (2 x timeout) ends. Wait for both.
    wait_for(lambda: cluster.redis.total("orch:{*}:webhooks:due") == 0, timeout=15,
             what="every lane to leave the retry set")


def test_private_targets_are_refused_by_default(cluster, receiver):
    cluster.start_api()
    cluster.start_notifier("--webhook-delay", "0.2", "--webhook-timeout", "2")
    job_id = cluster.run({}, endpoint="nobody", webhook=receiver.url("/ok/ssrf"))
    wait_for(lambda: cluster.redis.total("orch:{*}:webhooks:dead") == 1, timeout=10, what="a dead letter")
    assert receiver.received("/ok/ssrf") == []
    log = wait_for(lambda: (lambda l: l if len(l) == 3 else None)(deliveries_log(cluster, job_id)), what="the delivery log")
    assert all("private, loopback or link-local" in entry["error"] for entry in log)


def test_notifier_recovers_when_redis_restarts_empty(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    notifier = cluster.start_notifier(*FAST)
    first = cluster.run({}, webhook=receiver.url("/ok/restart"))
    wait_for(lambda: len(receiver.received("/ok/restart", job=first)) == 3, what="deliveries before the restart")
    # Redis comes back without its data: the stream and the consumer group are gone (NOGROUP).
    cluster.redis.proc.kill()
    cluster.redis.proc.wait()
    cluster.redis.start()
    second = wait_for(lambda: (lambda r: r.json().get("id") if r.status_code == 200 else None)(
        requests.post(f"{cluster.base}/run", json={"input": {}, "webhook": receiver.url("/ok/restart")}, timeout=15)),
        timeout=15, what="the API to accept jobs again")
    wait_for(lambda: len(receiver.received("/ok/restart", job=second)) == 3, timeout=30, what="deliveries after the restart")
    assert notifier.proc.poll() is None


def test_retry_after_is_honoured_as_seconds_and_as_an_http_date(cluster, receiver):
    cluster.start_api()
    cluster.start_notifier(*FAST)  # 1 s between attempts unless the receiver asks for more
    for form in ("seconds", "date"):
        path = f"/retry-after/{form}/4/1/x"
        cluster.run({}, endpoint="nobody", webhook=receiver.url(path))
        got = wait_for(lambda: (lambda r: r if len(r) >= 2 else None)(receiver.received(path)), timeout=20,
                       what=f"the retry after a 503 with Retry-After ({form})")
        gap = got[1]["at"] - got[0]["at"]
        # Asked for 4 s; an HTTP date has whole seconds, so the wait may be up to 1 s shorter.
        assert 2.9 <= gap <= 8, (form, gap, got[0]["headers"])
