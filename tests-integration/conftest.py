"""Shared fixtures: the real orchestrator binary and throwaway redis-servers."""
import os
import re
import shutil
import sys
import signal
import socket
import subprocess
import tempfile
import time

import pytest
import requests

BINARY = os.environ.get("ORCHESTRATOR_BINARY", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "orchestrator"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def redis_cli(port, *args):
    out = subprocess.run(["redis-cli", "-p", str(port), *map(str, args)], capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


class RedisServer:
    def __init__(self, extra=()):
        self.dir = tempfile.mkdtemp(prefix="orch-it-redis-")
        self.port = free_port()
        self.extra = list(extra)
        self.proc = None
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--save", "", "--appendonly", "no", "--logfile", os.path.join(self.dir, "redis.log"), *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: redis_cli(self.port, "PING") == "PONG", what="redis-server")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def cli(self, *args):
        return redis_cli(self.port, *args)

    def keys(self, pattern):
        return [k for k in self.cli("--scan", "--pattern", pattern).split("\n") if k]

    def total(self, pattern, command="ZCARD"):
        """The sum of `command` (ZCARD, LLEN, ...) over every key matching `pattern`: keys are
        per endpoint (`orch:{<endpoint>}:...`), so counts across endpoints add up."""
        return sum(int(self.cli(command, key) or 0) for key in self.keys(pattern))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis_server():
    server = RedisServer()
    yield server
    server.stop()


class Role:
    """One running `orchestrator <role>` process whose output is kept in a log file."""

    def __init__(self, args, env=None):
        self.log_path = tempfile.mktemp(prefix="orch-it-", suffix=".log")
        self.log = open(self.log_path, "w+")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen([BINARY, *args], stdout=self.log, stderr=subprocess.STDOUT, env=full_env,
                                     start_new_session=True)

    def output(self):
        self.log.flush()
        with open(self.log_path) as f:
            return f.read()

    def wait_for_output(self, text, timeout=30):
        return wait_for(lambda: text in self.output(), timeout=timeout, what=f"'{text}' in output")

    def signal(self, sig):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, sig)

    def stop(self, timeout=15):
        self.signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            return self.proc.wait(5)


HANDLER = f"{sys.executable} -u {os.path.join(os.path.dirname(os.path.abspath(__file__)), 'handler.py')}"


class Cluster:
    """API and worker managers around one throwaway Redis."""

    def __init__(self, redis_server, start_role):
        self.redis = redis_server
        self.start_role = start_role
        self.api = None
        self.base = None

    def start_api(self, *extra):
        self.api = self.start_role("api", "--redis-url", self.redis.url, "--port", "0", *extra)
        match = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", self.api.output()), what="API address")
        self.base = match.group(1)
        return self.base

    def start_worker(self, *extra, handler=HANDLER, lease="3"):
        worker = self.start_role("worker", "--redis-url", self.redis.url, "--handler", handler, "--lease", lease, *extra)
        worker.wait_for_output("worker manager started")
        return worker

    def run(self, input, endpoint="default", **extra):
        body = {"input": input, **extra}
        response = requests.post(f"{self.base}/v2/{endpoint}/run", json=body, timeout=10)
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def status(self, job_id, endpoint="default"):
        return requests.get(f"{self.base}/v2/{endpoint}/status/{job_id}", timeout=10).json()

    def wait_status(self, job_id, statuses, timeout=20, endpoint="default"):
        statuses = {statuses} if isinstance(statuses, str) else set(statuses)
        return wait_for(lambda: (lambda s: s if s.get("status") in statuses else None)(self.status(job_id, endpoint)),
                        timeout=timeout, what=f"job {job_id} to reach {statuses}")


    def start_notifier(self, *extra):
        notifier = self.start_role("notifier", "--redis-url", self.redis.url, *extra)
        notifier.wait_for_output("notifier started")
        return notifier


@pytest.fixture
def receiver():
    from receiver import Receiver
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def cluster(redis_server, start_role):
    return Cluster(redis_server, start_role)


@pytest.fixture
def start_role():
    started = []

    def start(*args, env=None):
        role = Role(list(args), env)
        started.append(role)
        return role

    start.started = started
    yield start
    for role in started:
        role.stop()
