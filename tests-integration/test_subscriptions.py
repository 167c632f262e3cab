"""Webhook subscriptions, event types, templates, the test button and dead letters, through the
real API and notifier processes and a real local receiver."""
import hashlib
import hmac
import json
import time

import requests
from standardwebhooks.webhooks import Webhook

from conftest import free_port, wait_for

FAST = ("--allow-private-webhooks", "--webhook-delay", "0.2", "--webhook-timeout", "2")


def api(cluster, method, path, **kwargs):
    return requests.request(method, f"{cluster.base}{path}", timeout=15, **kwargs)


def subscribe(cluster, url, events, **extra):
    response = api(cluster, "POST", "/api/webhooks", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    return response.json()


def types_of(requests_seen):
    return [r["json"]["type"] for r in requests_seen]


def test_subscription_crud_and_validation(cluster):
    cluster.start_api()
    created = subscribe(cluster, "https://example.com/hook", ["job.completed", "job.failed"], description="ops")
    assert created["id"].startswith("wh_") and created["secret"].startswith("whsec_")
    assert created["active"] is True and created["template"] == "default" and created["createdAt"].endswith("Z")
    own = subscribe(cluster, "https://example.com/b", ["*"], secret="my-own-secret", endpoint="alpha", template="slack",
                    retry={"attempts": 5, "delay": 500, "backoff": "exponential"})
    assert own["secret"] == "my-own-secret" and own["endpoint"] == "alpha"
    assert own["retry"] == {"attempts": 5, "delay": 500, "backoff": "exponential"}

    # The secret is shown once, at creation; reading it again takes the secret route.
    shown = {k: v for k, v in created.items() if k != "secret"}
    assert api(cluster, "GET", f"/api/webhooks/{created['id']}").json() == shown
    listed = api(cluster, "GET", "/api/webhooks").json()["webhooks"]
    assert [s["id"] for s in listed] == [created["id"], own["id"]]
    assert all("secret" not in s for s in listed)
    assert api(cluster, "GET", f"/api/webhooks/{own['id']}/secret").json() == {"id": own["id"], "secret": "my-own-secret"}

    updated = api(cluster, "PUT", f"/api/webhooks/{created['id']}", json={"events": ["job.*"], "active": False})
    assert updated.status_code == 200, updated.text
    assert updated.json()["events"] == ["job.*"] and updated.json()["active"] is False
    assert updated.json()["url"] == created["url"] and "secret" not in updated.json()
    assert api(cluster, "GET", f"/api/webhooks/{created['id']}/secret").json()["secret"] == created["secret"]
    # Readable with redis-cli.
    assert cluster.redis.cli("HGET", f"orch:{{@global}}:subscription:{created['id']}", "events") == "job.*"

    bad = [
        ({"url": "ftp://x/y", "events": ["*"]}, "'url' must be an absolute http"),
        ({"url": "https://x/y\r\nX-Injected: 1", "events": ["*"]}, "without spaces or control characters"),
        ({"url": "https://x/a b", "events": ["*"]}, "without spaces or control characters"),
        ({"url": "https://x/y", "events": ["job.nope"]}, "unknown event type 'job.nope'"),
        ({"url": "https://x/y", "events": []}, "at least one event type"),
        ({"url": "https://x/y"}, "missing 'events'"),
        ({"events": ["*"]}, "missing 'url'"),
        ({"url": "https://x/y", "events": "job.failed"}, "'events' must be an array of strings"),
        ({"url": "https://x/y", "events": ["*"], "retry": {"attempts": 0}}, "'retry.attempts' must be between 1 and 20"),
        ({"url": "https://x/y", "events": ["*"], "retry": {"delay": -5}}, "'retry.delay' must be between 0"),
        ({"url": "https://x/y", "events": ["*"], "retry": {"backoff": "linear"}}, "'retry.backoff' must be"),
        ({"url": "https://x/y", "events": ["*"], "template": "xml"}, "unknown template 'xml'"),
        ({"url": "https://x/y", "events": ["*"], "secret": "whsec_!!"}, "'secret' starting with whsec_"),
    ]
    for body, message in bad:
        response = api(cluster, "POST", "/api/webhooks", json=body)
        assert response.status_code == 400 and message in response.json()["error"], (body, response.text)
    assert api(cluster, "POST", "/api/webhooks", data="{not json").status_code == 400
    assert api(cluster, "PUT", f"/api/webhooks/{own['id']}", json={"events": ["nope"]}).status_code == 400
    assert cluster.redis.cli("SCARD", "orch:{@global}:subscriptions") == "2"

    version = cluster.redis.cli("GET", "orch:{@global}:subscriptions:version")
    # A refused request writes nothing: deleting what is not there leaves the version alone.
    assert api(cluster, "DELETE", "/api/webhooks/wh_unknown").status_code == 404
    assert cluster.redis.cli("GET", "orch:{@global}:subscriptions:version") == version
    assert api(cluster, "DELETE", f"/api/webhooks/{created['id']}").json() == {"id": created["id"], "deleted": True}
    assert api(cluster, "GET", f"/api/webhooks/{created['id']}").status_code == 404
    assert api(cluster, "DELETE", f"/api/webhooks/{created['id']}").status_code == 404
    assert api(cluster, "PUT", "/api/webhooks/wh_missing", json={"active": True}).status_code == 404
    assert [s["id"] for s in api(cluster, "GET", "/api/webhooks").json()["webhooks"]] == [own["id"]]


def test_event_filters_wildcards_and_endpoint(cluster, receiver):
    cluster.start_api()
    cluster.start_worker("--endpoint", "alpha", "--endpoint", "beta")
    cluster.start_notifier(*FAST)
    subscribe(cluster, receiver.url("/ok/failed-only"), ["job.failed"])
    subscribe(cluster, receiver.url("/ok/alpha-jobs"), ["job.*"], endpoint="alpha")
    subscribe(cluster, receiver.url("/ok/everything"), ["*"])
    subscribe(cluster, receiver.url("/ok/ends"), ["job.completed", "job.cancelled"])
    ok = cluster.run({}, endpoint="alpha")
    failed = cluster.run({"fail": "boom"}, endpoint="alpha")
    other = cluster.run({}, endpoint="beta")
    for job, status in [(ok, "COMPLETED"), (failed, "FAILED"), (other, "COMPLETED")]:
        cluster.wait_status(job, status, endpoint="alpha" if job != other else "beta")
    wait_for(lambda: len(receiver.received("/ok/everything")) >= 9, what="9 events for the * subscriber")

    failures = receiver.received("/ok/failed-only")
    assert types_of(failures) == ["job.failed"] and failures[0]["json"]["data"]["id"] == failed
    assert failures[0]["json"]["data"]["error"] == "boom"

    alpha = receiver.received("/ok/alpha-jobs")
    assert {r["json"]["data"]["id"] for r in alpha} == {ok, failed}
    per_job = {job: [r["json"]["type"] for r in alpha if r["json"]["data"]["id"] == job] for job in (ok, failed)}
    assert per_job[ok] == ["job.queued", "job.started", "job.completed"]
    assert per_job[failed] == ["job.queued", "job.started", "job.failed"]

    everything = receiver.received("/ok/everything")
    assert {r["json"]["data"]["id"] for r in everything} == {ok, failed, other}
    assert sorted(r["json"]["data"]["id"] for r in receiver.received("/ok/ends")) == sorted([ok, other])
    # Each event of each subscription once, with the event's own id shared across subscriptions.
    assert len({r["headers"]["webhook-id"] for r in everything}) == len(everything) == 9
    completed = [r for r in receiver.received() if r["json"].get("type") == "job.completed" and r["json"]["data"]["id"] == ok]
    assert len({r["json"]["event_id"] for r in completed}) == 1 and len(completed) == 3


def test_signed_envelope_verifies_with_both_conventions(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    subscription = subscribe(cluster, receiver.url("/ok/signed"), ["job.completed"])
    job = cluster.run({"x": 1})
    cluster.wait_status(job, "COMPLETED")
    got = wait_for(lambda: receiver.received("/ok/signed"), what="the signed delivery")[0]
    headers, body = got["headers"], got["body"]
    # Standard Webhooks, checked by the reference Python package.
    verified = Webhook(subscription["secret"]).verify(body, {
        "webhook-id": headers["webhook-id"], "webhook-timestamp": headers["webhook-timestamp"],
        "webhook-signature": headers["webhook-signature"],
    })
    assert verified["type"] == "job.completed"
    # The older convention: hex HMAC-SHA256 of the raw body, keyed with the secret as written.
    expected = hmac.new(subscription["secret"].encode(), body.encode(), hashlib.sha256).hexdigest()
    assert headers["x-webhook-signature"] == expected
    assert headers["x-webhook-event"] == "job.completed"
    assert abs(int(headers["x-webhook-timestamp"]) - int(headers["webhook-timestamp"]) * 1000) < 2000
    envelope = json.loads(body)
    assert set(envelope) == {"event_id", "type", "timestamp", "data"}
    assert envelope["event_id"].startswith("evt_") and envelope["timestamp"].endswith("Z")
    assert envelope["data"]["id"] == job and envelope["data"]["status"] == "COMPLETED"
    assert envelope["data"]["output"]["echo"] == {"x": 1}


def test_slack_and_runpod_templates(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    subscribe(cluster, receiver.url("/ok/slack"), ["job.completed", "job.failed"], template="slack")
    subscribe(cluster, receiver.url("/ok/runpod"), ["job.completed"], template="runpod")
    ok = cluster.run({})
    failed = cluster.run({"fail": "out of memory"})
    cluster.wait_status(ok, "COMPLETED")
    cluster.wait_status(failed, "FAILED")
    slack = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(receiver.received("/ok/slack")), what="2 slack messages")
    texts = {r["json"]["text"] for r in slack}
    assert all(set(r["json"]) == {"text"} for r in slack)
    completed = next(t for t in texts if ok in t)
    assert "COMPLETED" in completed and "`default`" in completed
    failure = next(t for t in texts if failed in t)
    assert "FAILED" in failure and "out of memory" in failure
    runpod = wait_for(lambda: receiver.received("/ok/runpod"), what="runpod-shaped delivery")[0]["json"]
    assert set(runpod) == {"id", "status", "delayTime", "executionTime", "output"} and runpod["id"] == ok


def test_test_button_against_live_and_dead_receivers(cluster, receiver):
    cluster.start_api("--allow-private-webhooks")
    secret = "whsec_" + "dGVzdC1idXR0b24tc2VjcmV0LWtleQ=="
    live = api(cluster, "POST", "/api/webhooks/test", json={
        "url": receiver.url("/ok/button"), "event": "job.failed", "payload": {"id": "j1", "status": "FAILED"}, "secret": secret})
    assert live.status_code == 200, live.text
    answer = live.json()
    assert answer["success"] is True and answer["statusCode"] == 200 and answer["latencyMs"] >= 0
    got = receiver.received("/ok/button")[0]
    Webhook(secret).verify(got["body"], got["headers"])
    assert got["json"]["type"] == "job.failed" and got["json"]["data"] == {"id": "j1", "status": "FAILED"}

    dead = api(cluster, "POST", "/api/webhooks/test", json={"url": f"http://127.0.0.1:{free_port()}/x", "event": "job.completed", "payload": {}})
    assert dead.status_code == 200
    assert dead.json()["success"] is False and dead.json()["statusCode"] is None
    assert dead.json()["message"] == "connection refused"
    failing = api(cluster, "POST", "/api/webhooks/test", json={"url": receiver.url("/status/500/x")}).json()
    assert failing["success"] is False and failing["statusCode"] == 500

    subscription = subscribe(cluster, receiver.url("/ok/sub-button"), ["job.*"], template="slack")
    by_id = api(cluster, "POST", f"/api/webhooks/{subscription['id']}/test", json={"event": "job.completed"})
    assert by_id.json()["success"] is True
    assert "COMPLETED" in receiver.received("/ok/sub-button")[0]["json"]["text"]
    assert api(cluster, "POST", "/api/webhooks/test", json={"url": "x"}).status_code == 400
    assert api(cluster, "POST", "/api/webhooks/test", json={"url": receiver.url("/ok/z"), "event": "job.*"}).status_code == 400
    assert api(cluster, "POST", "/api/webhooks/wh_nothere/test", json={}).status_code == 404


def test_dead_letter_replay_resolve_ignore(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    receiver.failing.add("down")
    target = subscribe(cluster, receiver.url("/switch/down/target"), ["job.completed"], retry={"attempts": 2, "delay": 100})
    notices = subscribe(cluster, receiver.url("/ok/notices"), ["webhook.dead_lettered"])
    # A notice subscriber that fails too: its dead notices must not make new notices (no loop).
    subscribe(cluster, receiver.url("/status/500/notices"), ["webhook.dead_lettered"], retry={"attempts": 1, "delay": 0})
    job = cluster.run({})
    cluster.wait_status(job, "COMPLETED")

    def pending():
        letters = api(cluster, "GET", "/api/dead-letters").json()["deadLetters"]
        return letters if len(letters) == 2 else None
    letters = wait_for(pending, timeout=20, what="2 pending dead letters")
    letter = next(l for l in letters if l["subscription"] == target["id"])
    assert letter["state"] == "pending" and letter["job"] == job and letter["type"] == "job.completed"
    assert letter["attemptCount"] == 2 and letter["reason"] == "2 attempts failed"
    notice = wait_for(lambda: receiver.received("/ok/notices"), what="a dead-letter notice")[0]["json"]
    assert notice["type"] == "webhook.dead_lettered" and notice["data"]["deadLetterId"] == letter["id"]
    assert notice["data"]["job"] == job and notice["data"]["event"] == "job.completed"
    # The failing notice subscriber's own dead letter exists, and made no notice of its own.
    assert len(receiver.received("/ok/notices")) == 1
    assert cluster.redis.total("orch:{*}:webhooks:dead") == 2

    inspected = api(cluster, "GET", f"/api/dead-letters/{letter['id']}").json()
    assert [a["attempt"] for a in inspected["attempts"]] == [1, 2]
    assert all(a["statusCode"] == 500 for a in inspected["attempts"])
    assert json.loads(inspected["body"])["data"]["id"] == job
    first_id = receiver.received("/switch/down/target")[0]["headers"]["webhook-id"]
    assert first_id == letter["id"]

    # The receiver is back: a replay delivers (same webhook-id) and resolves the dead letter.
    receiver.failing.discard("down")
    replayed = api(cluster, "POST", f"/api/dead-letters/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["state"] == "replaying", replayed.text
    resolved = wait_for(lambda: (lambda l: l if l["state"] == "resolved" else None)(
        api(cluster, "GET", f"/api/dead-letters/{letter['id']}").json()), what="the replayed letter to resolve")
    assert resolved["stateReason"] == "delivered on replay" and resolved["replays"] == 1
    target_requests = receiver.received("/switch/down/target")
    assert len(target_requests) == 3 and {r["headers"]["webhook-id"] for r in target_requests} == {letter["id"]}
    assert api(cluster, "GET", "/api/dead-letters").json()["deadLetters"][0]["subscription"] != target["id"]

    other = next(l for l in letters if l["id"] != letter["id"])
    assert api(cluster, "POST", f"/api/dead-letters/{other['id']}/ignore", json={}).status_code == 400
    ignored = api(cluster, "POST", f"/api/dead-letters/{other['id']}/ignore", json={"reason": "test receiver"})
    assert ignored.json()["state"] == "ignored" and ignored.json()["stateReason"] == "test receiver"
    again = api(cluster, "POST", f"/api/dead-letters/{other['id']}/resolve", json={"reason": "handled by hand"}).json()
    assert again["state"] == "resolved"
    assert api(cluster, "GET", "/api/dead-letters").json()["deadLetters"] == []
    assert len(api(cluster, "GET", "/api/dead-letters?state=all").json()["deadLetters"]) == 2
    assert api(cluster, "GET", "/api/dead-letters?state=weird").status_code == 400
    assert api(cluster, "POST", "/api/dead-letters/msg_nothere/replay").status_code == 404
    assert api(cluster, "POST", "/api/dead-letters/msg_nothere/resolve", json={"reason": "x"}).status_code == 404
    # The job itself never changed.
    assert cluster.status(job)["status"] == "COMPLETED"
    assert notices["id"]


def test_gone_receiver_deactivates_its_subscription(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    gone = subscribe(cluster, receiver.url("/status/410/gone"), ["job.*"])
    job = cluster.run({})
    cluster.wait_status(job, "COMPLETED")
    state = wait_for(lambda: (lambda s: s if s["active"] is False else None)(
        api(cluster, "GET", f"/api/webhooks/{gone['id']}").json()), what="the subscription to be switched off")
    assert "410" in state["deactivatedReason"]
    time.sleep(1)
    # One attempt for the first event; the rest were dropped, not retried.
    assert len(receiver.received("/status/410/gone")) == 1
    assert api(cluster, "PUT", f"/api/webhooks/{gone['id']}", json={"active": True}).json()["active"] is True


def test_rotating_a_secret_keeps_the_old_one_signing_for_the_overlap(cluster, receiver):
    cluster.start_api()
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    created = subscribe(cluster, receiver.url("/ok/rot"), ["job.completed"])
    old = created["secret"]
    rotated = api(cluster, "POST", f"/api/webhooks/{created['id']}/secret/rotate", json={"overlap": 3600})
    assert rotated.status_code == 200, rotated.text
    new = rotated.json()["secret"]
    assert new != old and new.startswith("whsec_") and rotated.json()["previousSecret"] == old
    assert rotated.json()["previousSecretExpiresAt"].endswith("Z")
    assert api(cluster, "GET", f"/api/webhooks/{created['id']}").json()["previousSecretExpiresAt"]
    cluster.wait_status(cluster.run({"n": 1}), "COMPLETED")
    got = wait_for(lambda: receiver.received("/ok/rot"), what="a delivery during the overlap")[0]
    # Two signatures in webhook-signature: receivers holding either secret verify it.
    assert len(got["headers"]["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(got["body"], {k: v for k, v in got["headers"].items() if k.startswith("webhook-")})

    # Overlap 0: the old secret stops at once.
    third = api(cluster, "POST", f"/api/webhooks/{created['id']}/secret/rotate", json={"secret": "whsec_" + "A" * 32, "overlap": 0})
    assert third.status_code == 200 and "previousSecret" not in third.json()
    for body, message in [({"overlap": -1}, "'overlap' must be"), ({"secret": "whsec_!!"}, "'secret' starting with whsec_")]:
        response = api(cluster, "POST", f"/api/webhooks/{created['id']}/secret/rotate", json=body)
        assert response.status_code == 400 and message in response.json()["error"], response.text
    assert api(cluster, "POST", "/api/webhooks/wh_nope/secret/rotate", json={}).status_code == 404
    cluster.wait_status(cluster.run({"n": 2}), "COMPLETED")
    latest = wait_for(lambda: (lambda r: r if len(r) == 2 else None)(receiver.received("/ok/rot")), what="a second delivery")[1]
    assert len(latest["headers"]["webhook-signature"].split(" ")) == 1
    Webhook("whsec_" + "A" * 32).verify(latest["body"], {k: v for k, v in latest["headers"].items() if k.startswith("webhook-")})
