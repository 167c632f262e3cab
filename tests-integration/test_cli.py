"""The CLI (`orchestrator submit|status|…|webhooks|deliveries|dead-letters`) against a real API."""
import json
import os
import subprocess

from conftest import BINARY, free_port, wait_for

FAST = ("--allow-private-webhooks", "--webhook-delay", "0.2", "--webhook-timeout", "2", "--webhook-attempts", "2")


def cli(cluster, *args, api_key=None):
    env = dict(os.environ, ORCH_URL=cluster.base)
    env.pop("ORCH_API_KEY", None)
    if api_key:
        env["ORCH_API_KEY"] = api_key
    done = subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=60, env=env)
    return done.returncode, done.stdout, done.stderr


def test_job_commands_and_exit_codes(cluster):
    cluster.start_api()
    cluster.start_worker("--endpoint", "default", "--endpoint", "gpu")
    code, out, err = cli(cluster, "submit", "--input", '{"hello": "cli"}', "--wait")
    assert code == 0, err
    assert "status:        COMPLETED" in out and '"hello":"cli"' in out

    code, out, _ = cli(cluster, "submit", "--endpoint", "gpu", "--input", '{"fail": "bad input"}', "--wait", "--json")
    assert code == 3
    answer = json.loads(out)
    assert answer["status"] == "FAILED" and answer["error"] == "bad input"
    job = answer["id"]
    code, out, _ = cli(cluster, "status", "--endpoint", "gpu", job)
    assert code == 0 and "FAILED" in out and "bad input" in out
    code, out, _ = cli(cluster, "retry", "--endpoint", "gpu", job, "--json")
    assert code == 0 and json.loads(out)["status"] == "IN_QUEUE"

    code, out, _ = cli(cluster, "submit", "--input", '{"sleep": 30}', "--json")
    slow = json.loads(out)["id"]
    cluster.wait_status(slow, "IN_PROGRESS")
    code, out, _ = cli(cluster, "cancel", slow)
    assert code == 0 and "CANCELLED" in out

    code, out, err = cli(cluster, "status", "no-such-job")
    assert code == 1 and out == "" and err.startswith("error: HTTP 404") and len(err.strip().splitlines()) == 1
    code, _, err = cli(cluster, "submit", "--input", "[1, 2]")
    assert code == 1 and "--input must be a JSON object" in err
    code, out, _ = cli(cluster, "health", "--endpoint", "gpu")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ENDPOINT", "IN", "QUEUE"]
    code, out, _ = cli(cluster, "health", "--json")
    assert code == 0 and json.loads(out)["jobs"]["completed"] >= 1

    # Unreachable API: one line, exit 1.
    dead = subprocess.run([BINARY, "health", "--url", f"http://127.0.0.1:{free_port()}"], capture_output=True, text=True, timeout=30)
    assert dead.returncode == 1 and "cannot reach the API" in dead.stderr and "connection refused" in dead.stderr


def test_api_key_is_sent(cluster):
    cluster.start_api("--api-key", "k-123")
    code, _, err = cli(cluster, "health")
    assert code == 1 and "HTTP 401" in err
    code, _, err = cli(cluster, "health", api_key="k-123")
    assert code == 0, err


def test_webhook_and_dead_letter_commands(cluster, receiver):
    cluster.start_api("--allow-private-webhooks")
    cluster.start_worker()
    cluster.start_notifier(*FAST)
    code, out, err = cli(cluster, "webhooks", "add", receiver.url("/switch/down/cli"), "--events", "job.completed,job.failed", "--template", "slack")
    assert code == 0, err
    fields = dict(line.split(":", 1) for line in out.splitlines())
    sub = fields["id"].strip()
    assert fields["secret"].strip().startswith("whsec_")
    code, _, err = cli(cluster, "webhooks", "add", receiver.url("/x"), "--events", "job.bogus")
    assert code == 1 and "unknown event type 'job.bogus'" in err
    code, out, _ = cli(cluster, "webhooks", "ls")
    assert code == 0 and sub in out and "slack" in out and "job.completed,job.failed" in out

    code, out, _ = cli(cluster, "webhooks", "test", sub)
    assert code == 0 and "success:    true" in out
    code, out, _ = cli(cluster, "webhooks", "test", "--target", f"http://127.0.0.1:{free_port()}/dead")
    assert code == 1 and "connection refused" in out

    receiver.failing.add("down")
    code, out, _ = cli(cluster, "submit", "--input", "{}", "--wait", "--json")
    job = json.loads(out)["id"]
    wait_for(lambda: json.loads(cli(cluster, "dead-letters", "ls", "--json")[1])["deadLetters"], timeout=20, what="a dead letter")
    code, out, _ = cli(cluster, "dead-letters", "ls")
    assert code == 0 and "pending" in out and job in out
    letter = json.loads(cli(cluster, "dead-letters", "ls", "--json")[1])["deadLetters"][0]["id"]
    code, out, _ = cli(cluster, "dead-letters", "inspect", letter)
    assert code == 0 and "HTTP 500" in out and "ATTEMPT" in out
    code, out, _ = cli(cluster, "deliveries", job)
    assert code == 0 and out.count("HTTP 500") == 2 and letter in out

    receiver.failing.discard("down")
    code, out, _ = cli(cluster, "dead-letters", "replay", letter)
    assert code == 0 and "replaying" in out
    wait_for(lambda: "resolved" in cli(cluster, "dead-letters", "ls", "--all")[1], what="the replay to resolve it")
    code, _, err = cli(cluster, "dead-letters", "resolve", "msg_unknown", "--reason", "x")
    assert code == 1 and "HTTP 404" in err
    code, out, _ = cli(cluster, "dead-letters", "ignore", letter, "--reason", "done")
    assert code == 0 and "ignored" in out
    code, _, err = cli(cluster, "dead-letters", "resolve", letter)
    assert code != 0 and "--reason" in err

    code, out, _ = cli(cluster, "webhooks", "rm", sub)
    assert code == 0 and f"deleted {sub}" in out
    code, _, err = cli(cluster, "webhooks", "rm", sub)
    assert code == 1 and "HTTP 404" in err


def test_batch_submit_and_listings(cluster, tmp_path):
    cluster.start_api("--max-batch", "3")
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text("".join(json.dumps({"input": {"n": n}}) + "\n" for n in range(7)) + "\n")
    code, out, err = cli(cluster, "submit", "--endpoint", "bulk", "--batch", str(jobs), "--batch-size", "3")
    assert code == 0, err
    ids = out.split()
    assert len(ids) == 7 and len(set(ids)) == 7
    assert cluster.redis.cli("LLEN", "orch:{bulk}:queue") == "7"

    # A bad line queues nothing and names the line.
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": {}}\n{"input": 5}\n')
    code, out, err = cli(cluster, "submit", "--endpoint", "bulk", "--batch", str(bad))
    assert code == 1 and f"{bad}:2:" in err and out == ""
    # Over the API's --max-batch: the server's 413 message, nothing queued by that request.
    code, _, err = cli(cluster, "submit", "--endpoint", "bulk", "--batch", str(jobs), "--batch-size", "4")
    assert code == 1 and "HTTP 413" in err and "nothing was queued" in err
    assert cluster.redis.cli("LLEN", "orch:{bulk}:queue") == "7"
    code, _, err = cli(cluster, "submit", "--batch", str(jobs), "--wait")
    assert code != 0 and "leave out --input" in err

    code, out, err = cli(cluster, "jobs", "ls", "--endpoint", "bulk", "--status", "queued", "--json")
    assert code == 0, err
    listed = json.loads(out)["jobs"]
    assert [job["id"] for job in listed] == ids and all(job["status"] == "IN_QUEUE" for job in listed)
    code, out, _ = cli(cluster, "endpoints", "ls")
    header, *rows = out.splitlines()
    assert header.split()[0] == "ENDPOINT" and any(row.split()[:2] == ["bulk", "7"] for row in rows), out
    code, out, _ = cli(cluster, "workers", "ls", "--json")
    assert code == 0 and json.loads(out)["workers"] == []
