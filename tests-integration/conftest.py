"""Shared fixtures: the real orchestrator binary and throwaway redis-servers."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

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


@pytest.fixture
def start_role():
    started = []

    def start(*args, env=None):
        role = Role(list(args), env)
        started.append(role)
        return role

    yield start
    for role in started:
        role.stop()
