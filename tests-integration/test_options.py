"""Options from the environment: help never shows their values, bad values are refused like bad flags."""
import base64
import os
import re
import subprocess

import pytest
import requests

from conftest import BINARY, RedisServer, free_port, wait_for

PASSWORD = "redis-pw-7f3a9c"
KEYS = ["api-key-0b1d2e", "api-key-4c5f6a"]
CLIENT_KEY = "client-key-9e8d7c"
SIGNING = "whsec_" + base64.b64encode(b"signing-secret-51d3e0aa").decode()
SECRETS = [PASSWORD, *KEYS, CLIENT_KEY, SIGNING, SIGNING[len("whsec_"):]]
SECRET_ENV = {
    "ORCH_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:1/0",
    "ORCH_API_KEYS": ",".join(KEYS),
    "ORCH_API_KEY": CLIENT_KEY,
    "ORCH_WEBHOOK_SECRET": SIGNING,
}

COMMANDS = [
    ["dev"], ["api"], ["worker"], ["notifier"], ["example-handler"], ["submit"], ["status"], ["cancel"], ["retry"],
    ["health"], ["webhooks", "add"], ["webhooks", "ls"], ["webhooks", "rm"], ["webhooks", "test"], ["deliveries"],
    ["dead-letters", "ls"], ["dead-letters", "inspect"], ["dead-letters", "replay"], ["dead-letters", "resolve"],
    ["dead-letters", "ignore"],
]


def run(args, env, timeout=30):
    full = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
    full.update(env)
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=timeout, env=full)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_names_variables_but_never_shows_their_values(command):
    done = run([*command, "--help"], SECRET_ENV | {"ORCH_PORT": "4321", "ORCH_CONCURRENCY": "7"})
    assert done.returncode == 0, done.stderr
    text = done.stdout + done.stderr
    for secret in SECRETS + ["4321", "127.0.0.1:1/0"]:
        assert secret not in text, f"`{' '.join(command)} --help` shows {secret!r}:\n{text}"
    expected = {"dev": "ORCH_REDIS_URL", "api": "ORCH_API_KEYS", "worker": "ORCH_CONCURRENCY",
                "notifier": "ORCH_WEBHOOK_SECRET", "submit": "ORCH_API_KEY"}.get(command[0])
    if expected:
        assert expected in text


def test_help_shows_the_built_in_defaults():
    text = run(["api", "--help"], SECRET_ENV | {"ORCH_PORT": "4321"}).stdout
    assert "redis://127.0.0.1:6379" in text and "8080" in text


def test_no_secret_is_logged(start_role, monkeypatch):
    monkeypatch.setenv("REDISCLI_AUTH", PASSWORD)  # for the fixture's own redis-cli PING
    redis = RedisServer(extra=["--requirepass", PASSWORD])
    try:
        env = {"ORCH_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:{redis.port}/0", "ORCH_API_KEYS": ",".join(KEYS),
               "ORCH_WEBHOOK_SECRET": SIGNING, "ORCH_LOG_LEVEL": "trace"}
        api = start_role("api", "--port", "0", env=env)
        base = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", api.output()), what="API address").group(1)
        headers = {"Authorization": f"Bearer {KEYS[0]}"}
        job = requests.post(f"{base}/run", json={"input": {}}, headers=headers, timeout=10).json()["id"]
        worker = start_role("worker", "--handler", "cat >/dev/null; echo '{\"output\": 1}'", env=env)
        notifier = start_role("notifier", env=env)
        wait_for(lambda: requests.get(f"{base}/status/{job}", headers=headers, timeout=10).json()["status"] == "COMPLETED",
                 what="the job to complete")
        notifier.wait_for_output("notifier started")
        # A refused key is logged by nobody either.
        assert requests.get(f"{base}/health", headers={"Authorization": "Bearer wrong"}, timeout=10).status_code == 401
        for role in (api, worker, notifier):
            role.stop()
            for secret in SECRETS:
                assert secret not in role.output(), f"{secret!r} in the log:\n{role.output()}"
    finally:
        redis.stop()


def test_a_bad_redis_url_is_refused_without_showing_its_password():
    done = run(["worker", "--handler", "true"], {"ORCH_REDIS_URL": f"redis://:{PASSWORD}@127.0.0.1:6379/notanumber"})
    assert done.returncode == 64, (done.returncode, done.stderr)
    assert "ORCH_REDIS_URL" in done.stderr and PASSWORD not in done.stdout + done.stderr, done.stderr


BAD = [
    (["worker", "--handler", "true"], "ORCH_CONCURRENCY", "abc", "ORCH_CONCURRENCY: 'abc' is not a whole number"),
    (["worker", "--handler", "true"], "ORCH_RUNTIME", "persistant", "ORCH_RUNTIME: 'persistant' is not one of process, persistent, container"),
    (["worker", "--handler", "true"], "ORCH_LEASE", "30s", "ORCH_LEASE: '30s' is not a number"),
    (["worker", "--handler", "true"], "ORCH_MAX_REQUEUES", "-1", "ORCH_MAX_REQUEUES must be at least 0"),
    (["worker", "--handler", "true"], "ORCH_GRACE", "later", "ORCH_GRACE: 'later' is not a number"),
    (["worker", "--handler", "true"], "ORCH_MAX_OUTPUT", "20MB", "ORCH_MAX_OUTPUT: '20MB' is not a whole number"),
    (["worker", "--handler", "true"], "ORCH_ENDPOINTS", "a,b c", "ORCH_ENDPOINTS: 'b c' is not a valid endpoint name"),
    (["api"], "ORCH_PORT", "80a", "ORCH_PORT: '80a' is not a whole number"),
    (["api"], "ORCH_PORT", "70000", "ORCH_PORT must be from 0 to 65535"),
    (["api"], "ORCH_MAX_BODY", "10M", "ORCH_MAX_BODY: '10M' is not a whole number"),
    (["api"], "ORCH_RETENTION", "1h", "ORCH_RETENTION: '1h' is not a whole number"),
    (["api"], "ORCH_EXECUTION_TIMEOUT", "0", "ORCH_EXECUTION_TIMEOUT must be at least 1"),
    (["api"], "ORCH_ALLOW_PRIVATE_WEBHOOKS", "maybe", "ORCH_ALLOW_PRIVATE_WEBHOOKS: 'maybe' is not 1/true/yes or 0/false/no"),
    (["api"], "ORCH_REDIS_POOL", "0", "ORCH_REDIS_POOL must be at least 1"),
    (["api"], "ORCH_LOG_LEVEL", "loud", "ORCH_LOG_LEVEL: 'loud' is not one of trace, debug, info, notice, warning, error, critical"),
    (["notifier"], "ORCH_WEBHOOK_ATTEMPTS", "three", "ORCH_WEBHOOK_ATTEMPTS: 'three' is not a whole number"),
    (["notifier"], "ORCH_WEBHOOK_DELAY", "soon", "ORCH_WEBHOOK_DELAY: 'soon' is not a number"),
    (["notifier"], "ORCH_WEBHOOK_BACKOFF", "linear", "ORCH_WEBHOOK_BACKOFF: 'linear' is not one of fixed, exponential"),
    (["notifier"], "ORCH_WEBHOOK_TIMEOUT", "0", "ORCH_WEBHOOK_TIMEOUT must be more than 0"),
    (["notifier"], "ORCH_WEBHOOK_CONCURRENCY", "many", "ORCH_WEBHOOK_CONCURRENCY: 'many' is not a whole number"),
    (["notifier"], "ORCH_WEBHOOK_PER_HOST", "0", "ORCH_WEBHOOK_PER_HOST must be at least 1"),
    (["notifier"], "ORCH_EVENTS_MAX_AGE", "1d", "ORCH_EVENTS_MAX_AGE: '1d' is not a number"),
    (["notifier"], "ORCH_EVENTS_MAX_LENGTH", "1e6", "ORCH_EVENTS_MAX_LENGTH: '1e6' is not a whole number"),
    (["dev"], "ORCH_CONCURRENCY", "two", "ORCH_CONCURRENCY: 'two' is not a whole number"),
    (["health"], "ORCH_URL", "localhost:8080", "ORCH_URL: 'localhost:8080' is not an http:// or https:// URL"),
]


@pytest.mark.parametrize("args,name,value,message", BAD, ids=[f"{b[1]}={b[2]}" for b in BAD])
def test_bad_environment_values_are_refused_like_bad_flags(args, name, value, message):
    # A Redis that is not there: the refusal must come before any connection attempt.
    done = run(args, {name: value, "ORCH_REDIS_URL": f"redis://127.0.0.1:{free_port()}"}, timeout=20)
    assert done.returncode == 64, (done.returncode, done.stdout, done.stderr)
    assert message in done.stderr, done.stderr


def test_bad_flags_still_name_the_flag():
    done = run(["worker", "--handler", "true", "--concurrency", "0"], {})
    assert done.returncode == 64 and "--concurrency must be at least 1" in done.stderr, done.stderr


def test_empty_variables_count_as_unset(cluster):
    cluster.start_api("--port", "0")
    done = run(["health", "--url", cluster.base, "--json"], {"ORCH_API_KEY": "", "ORCH_CONCURRENCY": ""})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("secret", ["whsec_not base64!!", "whsec_" + base64.b64encode(b"too short").decode(), "x" * 257])
@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_signing_secret_subscriptions_would_refuse_is_refused_at_startup(secret, how):
    args, env = ["notifier"], {"ORCH_REDIS_URL": f"redis://127.0.0.1:{free_port()}"}
    if how == "flag":
        args += ["--signing-secret", secret]
    else:
        env["ORCH_WEBHOOK_SECRET"] = secret
    done = run(args, env, timeout=20)
    assert done.returncode == 64, (done.returncode, done.stderr)
    source = "--signing-secret" if how == "flag" else "ORCH_WEBHOOK_SECRET"
    assert source in done.stderr and secret not in done.stderr, done.stderr
    rule = "must be 1 to 256 characters" if len(secret) > 256 else "starting with whsec_ must continue with base64 of at least 16 bytes"
    assert rule in done.stderr, done.stderr


def test_a_valid_signing_secret_starts_the_notifier(start_role):
    notifier = start_role("notifier", "--signing-secret", SIGNING, env={"ORCH_REDIS_URL": f"redis://127.0.0.1:{free_port()}"})
    notifier.wait_for_output("notifier started")
    assert notifier.proc.poll() is None
