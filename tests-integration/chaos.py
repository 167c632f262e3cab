#!/usr/bin/env python3
"""Chaos suite: real processes on one machine, loopback only, faults injected while jobs flow.

    python3 tests-integration/chaos.py [--jobs 1000] [--duration 120] [--seed 1] [--keep]

What runs (every process real, started from ORCHESTRATOR_BINARY or --binary):
  - redis-server with AOF (appendonly yes, appendfsync everysec, maxmemory-policy noeviction)
  - 2 `orchestrator api`, 3 `orchestrator worker` (persistent runtime, handlers taking
    50-500 ms: chaos_handler.py), 2 `orchestrator notifier`
  - chaos_receiver.py: a webhook receiver in its own process that records every delivery
    (webhook-id, arrival order) before answering 200

While --jobs jobs (each with a webhook; 1 in 20 asks its handler to fail) are submitted at an
even pace over --duration seconds, alternating between the two APIs:
  - every --worker-kill-every seconds a random worker manager is killed with SIGKILL and
    restarted (a new worker id): either the manager alone (its persistent handlers live on,
    finish their job and exit, as README documents) or, as on a machine loss, the manager and
    its handler processes together;
  - every --notifier-kill-every seconds a random notifier is killed with SIGKILL and restarted;
  - once, half-way, Redis is killed with SIGKILL (or SHUTDOWN with --redis-restart shutdown)
    and restarted on the same port and directory, so it reloads its AOF.
Then it waits for the system to settle and checks, failing (exit 1) with the evidence on
any of:
  - an accepted job (HTTP 200 from /run) that is missing or not in its expected terminal state
    (COMPLETED with its own output; FAILED with its own error for the 1-in-20); the only
    allowance: jobs whose writes fell in the AOF everysec window before a SIGKILL of Redis
    (accepted or moved in the --aof-window seconds before it) may be lost; they are counted
    and reported as "lost (AOF window)";
  - a job whose handler ran to the end more than once, unless every extra run was on a worker
    manager that was killed while the job was in its hands (counted: "killed after the handler
    finished" or "orphaned handler finished after the kill");
  - a transition (an entry of the events stream) whose webhook never arrived, a received webhook-id
    that matches no transition, duplicates whose bodies differ, or a job whose webhooks first
    arrived out of transition order;
  - a process that exited without being killed, a non-zero exit on the final SIGTERM, or
    "Fatal error" in a log; leftovers in running sets, webhook lanes, or pending stream entries.
It prints a summary table (jobs, kills, restarts, lost, duplicates, recovery times).
"""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import requests

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from conftest import free_port, wait_for  # noqa: E402  (conftest: the integration tests' helpers)

TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"}


# ---------------------------------------------------------------------------------------------
# A minimal RESP client (the venv has no Redis package; redis-cli cannot pipeline structured
# replies): enough for pipelined HGETALL / XRANGE / ZRANGE during checks.

class MiniRedis:
    def __init__(self, port, timeout=30):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""

    def close(self):
        self.sock.close()

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(1 << 16)
            if not chunk:
                raise ConnectionError("redis closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return RedisReplyError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self._exact(n).decode()
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self._reply() for _ in range(n)]
        raise ConnectionError(f"unexpected RESP reply {line!r}")

    @staticmethod
    def _encode(args):
        out = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = str(arg).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(out)

    def pipeline(self, commands):
        self.sock.sendall(b"".join(self._encode(c) for c in commands))
        return [self._reply() for _ in commands]

    def command(self, *args):
        reply = self.pipeline([args])[0]
        if isinstance(reply, RedisReplyError):
            raise reply
        return reply


class RedisReplyError(Exception):
    pass


FAILURE_KINDS = [
    (r"webhooks first arrived as", "a job's webhooks arrived out of transition order"),
    (r"never arrived", "a transition's webhook never arrived"),
    (r"matches no transition", "a webhook-id that matches no transition"),
    (r"arrived with bodies", "duplicates with different bodies"),
    (r"ran to completion", "a job ran to completion twice without a kill to explain it"),
    (r"missing from Redis|not terminal|expected (COMPLETED|FAILED)|transitions in the events stream are|API says",
     "an accepted job lost, stuck or in the wrong state"),
    (r"exited on its own|after SIGTERM|Fatal error|Segmentation|Stack dump", "a process crashed or did not stop cleanly"),
    (r"refused while Redis was up", "the API refused a job while Redis was up"),
    (r"not empty at the end|still pending", "work left behind in Redis"),
]


EP = "orch:{default}:"  # every chaos job is on the endpoint `default`: its keys share this base


def is_transition(fields):
    """A job transition in the endpoint's events (not a `type webhook.dead_lettered` or other notice)."""
    return "job" in fields and "to" in fields and "type" not in fields


def expected_body(fields, job):
    """The webhook body of a transition, as RunPod shapes it: from the event's own fields and, for a
    terminal state, the job's output and error (stored once, in the job hash)."""
    to = fields.get("to")
    body = {"id": fields["job"], "status": to}
    terminal = to in TERMINAL
    if (terminal or to == "IN_PROGRESS") and fields.get("delayTime") is not None:
        body["delayTime"] = int(fields["delayTime"])
    if terminal:
        body["executionTime"] = int(fields.get("executionTime") or 0)
        body["output"] = json.loads(job["output"]) if job.get("output") else None
        if job.get("error"):
            body["error"] = job["error"]
    return body


def pairs(flat):
    return dict(zip(flat[::2], flat[1::2])) if flat else {}


# ---------------------------------------------------------------------------------------------
# Processes

class Proc:
    """A process we started: its log, and how it ended (killed by us, or not)."""

    def __init__(self, name, argv, log_path, env=None, cwd=None):
        self.name = name
        self.argv = argv
        self.log_path = log_path
        self.log = open(log_path, "ab")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.started_at = time.time()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
                                     start_new_session=True)
        self.pid = self.proc.pid
        self.killed_at = None
        self.exit_code = None

    def output(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def tail(self, lines=30):
        return "\n".join(self.output().splitlines()[-lines:])

    def alive(self):
        return self.proc.poll() is None

    def wait_output(self, pattern, timeout):
        return wait_for(lambda: re.search(pattern, self.output()), timeout=timeout,
                        what=f"{pattern!r} in the log of {self.name} ({self.log_path})")

    def kill9(self):
        self.killed_at = time.time()
        os.kill(self.pid, signal.SIGKILL)
        self.exit_code = self.proc.wait(30)

    def terminate(self, timeout):
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.pid, signal.SIGKILL)
            self.proc.wait(10)
            self.exit_code = f"no exit {timeout} s after SIGTERM (killed)"
        return self.exit_code


def descendants(pid):
    """Pids of every process below `pid` (from /proc), children first."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


class ChaosRedis:
    """redis-server with AOF on a fixed port and directory, so a restart reloads the AOF."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "redis")
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = None
        self.starts = 0
        self.start()

    def argv(self):
        return ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
                "--maxmemory-policy", "noeviction", "--logfile", os.path.join(self.dir, "redis.log")]

    def start(self):
        self.starts += 1
        self.proc = subprocess.Popen(self.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

        def ready():
            try:
                r = MiniRedis(self.port, timeout=5)
                try:
                    return r.command("PING") == "PONG" and "loading:0" in r.command("INFO", "persistence")
                finally:
                    r.close()
            except (OSError, ConnectionError, RedisReplyError):
                return False
        wait_for(ready, timeout=60, interval=0.02, what="redis-server to answer PING with its data loaded")

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def client(self):
        return MiniRedis(self.port)

    def crash(self, how):
        if how == "shutdown":
            try:
                r = MiniRedis(self.port, timeout=10)
                r.sock.sendall(MiniRedis._encode(["SHUTDOWN"]))
                r.close()
            except OSError:
                pass
        else:
            self.proc.send_signal(signal.SIGKILL)
        code = self.proc.wait(60)
        if how == "wipe":  # the suite's self-test: Redis comes back empty, so the checks must fail
            shutil.rmtree(os.path.join(self.dir, "appendonlydir"), ignore_errors=True)
        return code

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(30)


# ---------------------------------------------------------------------------------------------
# The run

class Chaos:
    def __init__(self, options):
        self.o = options
        self.rng = random.Random(options.seed + 1)  # faults; jobs draw from job_rng
        self.binary = os.path.abspath(options.binary)
        self.workdir = tempfile.mkdtemp(prefix="orch-chaos-")
        self.logdir = os.path.join(self.workdir, "logs")
        os.makedirs(self.logdir)
        self.runs_path = os.path.join(self.workdir, "handler-runs.jsonl")
        self.deliveries_path = os.path.join(self.workdir, "deliveries.jsonl")
        self.lock = threading.RLock()
        self.job_rng = random.Random(options.seed)
        self.redis_busy = False
        self.failures = []          # strings: what went wrong, with evidence
        self.notes = []             # strings: what happened that is allowed but worth saying
        self.procs = []             # every Proc ever started
        self.apis, self.workers, self.notifiers = [], [None] * 3, [None] * options.notifiers
        self.incarnations = {}      # worker id -> {"slot", "proc", "killed_at", "mode"}
        self.kills = []             # dicts: kind, slot, name, mode, at, restarted_at, inflight
        self.redis_restart = None   # dict: how, at, up_at, downtime
        self.accepted = {}          # n -> {"id", "api", "sent", "at", "fail"}
        self.rejected = []          # (n, api, what, sent, at)
        self.submitting = True
        self.stop_chaos = threading.Event()
        self.unexpected_exits = []

    # -- set-up ----------------------------------------------------------------------------

    def log(self, message):
        print(f"[chaos {time.time() - self.t0:7.1f}s] {message}", flush=True)

    def start_role(self, name, *args, env=None):
        proc = Proc(name, [self.binary, *args], os.path.join(self.logdir, f"{name}.log"), env=env)
        self.procs.append(proc)
        return proc

    def start_worker(self, slot, generation):
        wid = f"w{slot + 1}-{generation}"
        handler = f"{sys.executable} -u {os.path.join(HERE, 'chaos_handler.py')}"
        proc = self.start_role(
            wid, "worker", "--redis-url", self.redis.url, "--worker-id", wid, "--runtime", "persistent",
            "--concurrency", str(self.o.concurrency), "--handler", handler, "--lease", str(self.o.lease),
            "--max-requeues", str(self.o.max_requeues), "--grace", "10",
            env={"CHAOS_RUNS": self.runs_path, "CHAOS_WORKER": wid})
        proc.wait_output(r"worker manager started", timeout=60)
        proc.wid = wid
        proc.generation = generation
        self.workers[slot] = proc
        self.incarnations[wid] = {"slot": slot, "proc": proc, "killed_at": None, "mode": None}
        return proc

    def start_notifier(self, slot, generation):
        name = f"n{slot + 1}-{generation}"
        proc = self.start_role(
            name, "notifier", "--redis-url", self.redis.url, "--allow-private-webhooks",
            "--webhook-timeout", str(self.o.webhook_timeout), "--webhook-delay", "1",
            "--webhook-attempts", str(self.o.webhook_attempts), "--claim-idle", str(self.o.claim_idle))
        proc.wait_output(r"notifier started", timeout=60)
        proc.generation = generation
        self.notifiers[slot] = proc
        return proc

    def setup(self):
        self.t0 = time.time()
        self.log(f"work directory {self.workdir}; binary {self.binary}")
        self.redis = ChaosRedis(self.workdir)
        receiver_log = open(os.path.join(self.logdir, "receiver.log"), "wb")
        self.receiver = subprocess.Popen(
            [sys.executable, "-u", os.path.join(HERE, "chaos_receiver.py"), "--out", self.deliveries_path],
            stdout=subprocess.PIPE, stderr=receiver_log, start_new_session=True)
        line = self.receiver.stdout.readline().decode()
        match = re.match(r"listening on (\d+)", line)
        if not match:
            raise RuntimeError(f"receiver did not start: {line!r}")
        self.receiver_port = int(match.group(1))
        for i in range(2):
            api = self.start_role(f"api{i + 1}", "api", "--redis-url", self.redis.url, "--port", "0")
            api.base = api.wait_output(r"API: (http://[0-9.]+:\d+)", timeout=60).group(1)
            api.session = requests.Session()
            self.apis.append(api)
        for slot in range(3):
            self.start_worker(slot, 1)
        for slot in range(self.o.notifiers):
            self.start_notifier(slot, 1)
        self.log(f"redis :{self.redis.port}, receiver :{self.receiver_port}, APIs "
                 f"{', '.join(a.base for a in self.apis)}, 3 workers, {self.o.notifiers} notifiers")

    # -- load ------------------------------------------------------------------------------

    def submitter(self):
        pace = self.o.duration / self.o.jobs
        start = time.time()
        n = 0
        while len(self.accepted) < self.o.jobs:
            due = start + n * pace
            delay = due - time.time()
            if delay > 0:
                time.sleep(delay)
            api = self.apis[n % 2]
            fail = n % 20 == 7
            body = {"input": {"n": n, "ms": self.job_rng.randint(50, 500)},
                    "webhook": f"http://127.0.0.1:{self.receiver_port}/hook/{n}"}
            if fail:
                body["input"]["fail"] = f"chaos failure {n}"
            sent = time.time()
            try:
                response = api.session.post(f"{api.base}/v2/default/run", json=body, timeout=30)
                at = time.time()
                if response.status_code == 200 and response.json().get("status") == "IN_QUEUE":
                    with self.lock:
                        self.accepted[n] = {"id": response.json()["id"], "api": api.name, "sent": sent, "at": at,
                                            "fail": body["input"].get("fail")}
                else:
                    with self.lock:
                        self.rejected.append((n, api.name, f"{response.status_code} {response.text[:120]}", sent, at))
            except requests.RequestException as error:
                with self.lock:
                    self.rejected.append((n, api.name, f"{type(error).__name__}: {error}", sent, time.time()))
            n += 1
        self.submitted = n
        self.submit_ended = time.time()
        self.submitting = False

    # -- faults ----------------------------------------------------------------------------

    def inflight_of(self, wid):
        """Ids of jobs IN_PROGRESS under worker `wid` right now (leases, then their job hashes)."""
        try:
            r = self.redis.client()
            try:
                ids = r.command("SMEMBERS", f"{EP}running:{wid}") or []
                workers = r.pipeline([("HMGET", f"{EP}job:{i}", "worker", "status") for i in ids])
            finally:
                r.close()
            return [i for i, w in zip(ids, workers) if isinstance(w, list) and w[0] == wid and w[1] == "IN_PROGRESS"]
        except (OSError, ConnectionError):
            return None

    def kill_worker(self):
        slot = self.rng.randrange(3)
        victim = self.workers[slot]
        mode = self.rng.choice(["manager", "machine"])
        inflight = self.inflight_of(victim.wid)
        handlers = descendants(victim.pid) if mode == "machine" else []
        with self.lock:
            victim.kill9()
            for pid in handlers:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        killed_at = victim.killed_at
        self.incarnations[victim.wid].update(killed_at=killed_at, mode=mode)
        time.sleep(self.o.restart_after)
        replacement = self.start_worker(slot, victim.generation + 1)
        self.kills.append({"kind": "worker", "name": victim.wid, "mode": mode, "at": killed_at,
                           "restarted_at": time.time(), "inflight": inflight or [], "new": replacement.wid})
        self.log(f"kill -9 worker {victim.wid} ({'manager and its handlers' if mode == 'machine' else 'manager only'}, "
                 f"{len(inflight or [])} jobs in flight); restarted as {replacement.wid}")

    def kill_notifier(self):
        slot = self.rng.randrange(len(self.notifiers))
        victim = self.notifiers[slot]
        with self.lock:
            victim.kill9()
        time.sleep(self.o.restart_after)
        replacement = self.start_notifier(slot, victim.generation + 1)
        self.kills.append({"kind": "notifier", "name": victim.name, "at": victim.killed_at,
                           "restarted_at": time.time(), "new": replacement.name})
        self.log(f"kill -9 notifier {victim.name}; restarted as {replacement.name}")

    def restart_redis(self):
        how = self.o.redis_restart
        self.redis_busy = True
        at = time.time()
        code = self.redis.crash(how)
        down = time.time()
        self.redis.start()
        up = time.time()
        self.redis_busy = False
        self.redis_restart = {"how": how, "at": at, "down_at": down, "up_at": up, "exit": code,
                              "downtime": up - at}
        self.log(f"redis {'SHUTDOWN' if how == 'shutdown' else 'SIGKILL'} (exit {code}) and restart: "
                 f"down {up - at:.2f} s, {'AOF deleted' if how == 'wipe' else 'AOF reloaded'}")

    def chaos(self):
        start = time.time()
        next_worker = start + self.o.worker_kill_every * (0.5 + self.rng.random() * 0.5)
        next_notifier = start + self.o.notifier_kill_every * (0.5 + self.rng.random() * 0.5)
        redis_at = start + self.o.duration * 0.5 if self.o.redis_restart != "none" else None
        while not self.stop_chaos.is_set():
            now = time.time()
            if now - start >= self.o.duration and not self.submitting:
                break
            try:
                if redis_at and now >= redis_at:
                    redis_at = None
                    self.restart_redis()
                elif now >= next_worker:
                    self.kill_worker()
                    next_worker = time.time() + self.o.worker_kill_every * (0.5 + self.rng.random())
                elif now >= next_notifier:
                    self.kill_notifier()
                    next_notifier = time.time() + self.o.notifier_kill_every * (0.5 + self.rng.random())
            except Exception as error:  # a role that does not come back is a finding, not a crash of the suite
                self.fail(f"fault injection failed: {type(error).__name__}: {error}")
                self.stop_chaos.set()
                break
            time.sleep(0.1)

    # -- watching ----------------------------------------------------------------------------

    def fail(self, message):
        with self.lock:
            self.failures.append(message)
            count = len(self.failures)
        if count <= 5:
            self.log("FAILURE: " + message.splitlines()[0][:300])
        elif count == 6:
            self.log("more failures: the summary lists them")

    def watch_processes(self):
        with self.lock:
            for proc in self.procs:
                if proc.killed_at is None and proc.exit_code is None and not proc.alive():
                    proc.exit_code = proc.proc.returncode
                    self.unexpected_exits.append(proc)
                    self.fail(f"{proc.name} exited on its own with code {proc.exit_code}; last lines of "
                              f"{proc.log_path}:\n{proc.tail()}")
            if self.receiver.poll() is not None and not getattr(self, "receiver_failed", False):
                self.receiver_failed = True
                self.fail(f"the webhook receiver exited with {self.receiver.returncode}")
            if not self.redis_busy and self.redis.proc.poll() is not None and not getattr(self, "redis_failed", False):
                self.redis_failed = True
                self.fail(f"redis-server exited with {self.redis.proc.returncode}; see {self.redis.dir}/redis.log")

    def run(self):
        self.setup()
        submitter = threading.Thread(target=self.submitter, daemon=True)
        chaos = threading.Thread(target=self.chaos, daemon=True)
        self.chaos_started = time.time()
        submitter.start()
        chaos.start()
        last_report = 0
        while chaos.is_alive() or submitter.is_alive():
            time.sleep(0.5)
            self.watch_processes()
            if time.time() - last_report > 10:
                last_report = time.time()
                self.log(f"{len(self.accepted)} jobs accepted, {len(self.rejected)} refused, "
                         f"{sum(1 for k in self.kills if k['kind'] == 'worker')} worker / "
                         f"{sum(1 for k in self.kills if k['kind'] == 'notifier')} notifier kills")
            if submitter.is_alive() and time.time() - self.chaos_started > self.o.duration * 3 + 120:
                self.fail(f"submission still not done after {self.o.duration * 3 + 120} s "
                          f"({len(self.accepted)} of {self.o.jobs} accepted)")
                self.stop_chaos.set()
                break
        self.chaos_ended = time.time()
        self.log(f"faults stop: {len(self.accepted)} jobs accepted in {self.chaos_ended - self.chaos_started:.1f} s; "
                 f"waiting for the system to settle")
        self.settle()
        self.watch_processes()
        self.final = self.collect()
        self.shutdown()
        self.check(self.final)
        return self.report()

    # -- settling and collecting ---------------------------------------------------------------

    def read_events(self, r):
        events, cursor = [], "-"
        while True:
            batch = r.command("XRANGE", f"{EP}events", cursor, "+", "COUNT", 2000) or []
            if cursor != "-" and batch and batch[0][0] == cursor:
                batch = batch[1:]
            if not batch:
                return events
            for entry_id, fields in batch:
                events.append((entry_id, pairs(fields)))
            cursor = batch[-1][0]

    def read_deliveries(self):
        out = []
        with open(self.deliveries_path) as f:
            for line in f:
                if line.endswith("\n"):  # a line being written right now is read next time
                    out.append(json.loads(line))
        return out

    def expected_webhooks(self, events):
        """webhook-id -> (job, entry id, status, event fields, url), as the notifier derives it."""
        expected = {}
        for entry_id, fields in events:
            if not is_transition(fields):
                continue
            for key in ("webhook", "webhookv2"):
                url = fields.get(key)
                if url:
                    wid = "msg_" + hashlib.sha256(f"{entry_id}|{url}".encode()).hexdigest()[:32]
                    expected[wid] = (fields["job"], entry_id, fields.get("to"), fields, url)
        return expected

    def settle(self):
        ids = [a["id"] for a in self.accepted.values()]
        deadline = time.time() + self.o.settle_timeout
        last = None
        while time.time() < deadline:
            self.watch_processes()
            try:
                r = self.redis.client()
                try:
                    statuses = r.pipeline([("HGET", f"{EP}job:{i}", "status") for i in ids])
                    events = self.read_events(r)
                finally:
                    r.close()
            except (OSError, ConnectionError) as error:
                last = f"redis unreachable: {error}"
                time.sleep(1)
                continue
            open_jobs = sum(1 for s in statuses if s not in TERMINAL and s is not None)
            received = {d["id"] for d in self.read_deliveries()}
            missing = [w for w in self.expected_webhooks(events) if w not in received]
            last = f"{open_jobs} jobs not terminal, {len(missing)} webhooks not yet received"
            if open_jobs == 0 and not missing:
                self.settled_at = time.time()
                self.log(f"settled {self.settled_at - self.chaos_ended:.1f} s after the faults stopped")
                time.sleep(2)  # late duplicates, if any, get recorded too
                return
            time.sleep(1)
        self.settled_at = None
        self.fail(f"not settled {self.o.settle_timeout} s after the faults stopped: {last}")

    def collect(self):
        r = self.redis.client()
        try:
            ids = {n: a["id"] for n, a in self.accepted.items()}
            hashes = r.pipeline([("HGETALL", f"{EP}job:{i}") for i in ids.values()])
            jobs = {n: pairs(h) for n, h in zip(ids, hashes)}
            events = self.read_events(r)
            running_sets = r.command("KEYS", f"{EP}running:*") or []
            leftovers = {
                f"{EP}running:*": sum(r.command("SCARD", key) for key in running_sets),
                f"{EP}webhooks:due": r.command("ZCARD", f"{EP}webhooks:due"),
                f"{EP}webhooks:lane:*": len(r.command("KEYS", f"{EP}webhooks:lane:*") or []),
                f"{EP}queue": r.command("LLEN", f"{EP}queue"),
                f"{EP}webhooks:dead": r.command("ZCARD", f"{EP}webhooks:dead"),
            }
            dead = [pairs(r.command("HGETALL", f"{EP}webhooks:dead:{i}"))
                    for i in r.command("ZRANGE", f"{EP}webhooks:dead", 0, 4) or []]
            pending = 0
            for stream in (f"{EP}events", "orch:{@global}:events"):
                groups = r.command("XINFO", "GROUPS", stream) if r.command("EXISTS", stream) else []
                pending += sum(pairs(g).get("pending", 0) for g in groups or [])
            persistence = r.command("INFO", "persistence")
        finally:
            r.close()
        # What a client sees: every accepted job's status through the API.
        api_status = {}
        session = requests.Session()
        for n, job_id in ids.items():
            try:
                api_status[n] = session.get(f"{self.apis[n % 2].base}/v2/default/status/{job_id}", timeout=30).json()
            except (requests.RequestException, ValueError) as error:
                api_status[n] = {"error": str(error)}
        runs = []
        if os.path.exists(self.runs_path):
            with open(self.runs_path) as f:
                runs = [json.loads(line) for line in f if line.strip()]
        return {"jobs": jobs, "events": events, "leftovers": leftovers, "pending": pending, "dead": dead,
                "api_status": api_status, "runs": runs, "deliveries": self.read_deliveries(),
                "aof": "aof_enabled:1" in persistence}

    def shutdown(self):
        live = [p for p in self.procs if p.killed_at is None and p.exit_code is None]
        for proc in live:
            code = proc.terminate(timeout=40)
            if code != 0:
                self.fail(f"{proc.name} ended with {code} after SIGTERM; last lines of {proc.log_path}:\n{proc.tail()}")
        self.receiver.terminate()
        self.receiver.wait(10)
        self.redis.stop()
        for proc in self.procs:
            text = proc.output()
            for marker in ("Fatal error", "Segmentation fault", "Stack dump", "💣"):
                if marker in text:
                    line = next(l for l in text.splitlines() if marker in l)
                    self.fail(f"{proc.name}: '{marker}' in {proc.log_path}: {line[:300]}")
        # Orphaned persistent handlers (of managers killed alone) exit when their stdin closes.
        for proc in self.procs:
            for pid in descendants(proc.pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # -- checks ----------------------------------------------------------------------------------

    def check(self, final):
        jobs, events, runs = final["jobs"], final["events"], final["runs"]
        window = self.aof_window()
        per_job_events = {}
        for entry_id, fields in events:
            if is_transition(fields):
                per_job_events.setdefault(fields["job"], []).append((entry_id, fields))
        by_id = {a["id"]: n for n, a in self.accepted.items()}

        # Handler runs per job.
        done_runs, started_runs = {}, {}
        for run in runs:
            (done_runs if run["kind"] == "done" else started_runs).setdefault(run["job"], []).append(run)

        def touched_in_window(n):
            if window is None:
                return False
            lo, hi = window
            a = self.accepted[n]
            times = [a["at"], a["sent"]] + [run["t"] for run in started_runs.get(a["id"], []) + done_runs.get(a["id"], [])]
            times += [int(f.get("at", 0)) / 1000 for _, f in per_job_events.get(a["id"], [])]
            return any(lo <= t <= hi for t in times)

        # 1. Every accepted job: present, terminal, with its own result.
        self.lost, self.missing, self.window_anomalies, self.requeue_failures = [], [], [], []
        self.status_counts = {}
        for n, a in sorted(self.accepted.items()):
            job = jobs[n]
            status = job.get("status")
            self.status_counts[status or "missing"] = self.status_counts.get(status or "missing", 0) + 1
            problem = None
            if not job:
                problem = "missing from Redis (lost)"
                self.missing.append(n)
            elif status not in TERMINAL:
                problem = f"not terminal: {status}"
            elif a["fail"]:
                if status != "FAILED" or job.get("error") != a["fail"]:
                    problem = f"expected FAILED '{a['fail']}', got {status} {job.get('error', '')!r}"
            elif status != "COMPLETED":
                if status == "FAILED" and "no requeues left" in job.get("error", ""):
                    self.requeue_failures.append(n)
                    killed = {i for i in self.incarnations if self.incarnations[i]["killed_at"]}
                    lost_runs = [r for r in started_runs.get(a["id"], []) if r["worker"] in killed]
                    if len(lost_runs) < self.o.max_requeues + 1:
                        problem = (f"FAILED '{job.get('error')}' but only {len(lost_runs)} of its runs were on "
                                   f"killed workers (max requeues {self.o.max_requeues})")
                else:
                    problem = f"expected COMPLETED, got {status} {job.get('error', '')!r}"
            else:
                output = json.loads(job.get("output") or "null")
                if not isinstance(output, dict) or output.get("n") != n:
                    problem = f"COMPLETED with someone else's output: {job.get('output')}"
            history = [f.get("to") for _, f in per_job_events.get(a["id"], [])]
            if not problem and (not history or history[0] != "IN_QUEUE" or history[-1] != status):
                problem = f"its transitions in the events stream are {history}, its status {status}"
            api = final["api_status"].get(n, {})
            if not problem and job and api.get("status") != status:
                problem = f"API says {api} but Redis says {status}"
            if problem:
                if touched_in_window(n):
                    self.window_anomalies.append((n, a["id"], problem))
                    if not job:
                        self.lost.append(n)
                else:
                    self.fail(f"job {a['id']} (n={n}, accepted by {a['api']} at +{a['at'] - self.t0:.2f}s): {problem}; "
                              f"events {[f.get('to') for _, f in per_job_events.get(a['id'], [])]}, "
                              f"runs {[(r['kind'], r['worker']) for r in sorted(started_runs.get(a['id'], []) + done_runs.get(a['id'], []), key=lambda r: r['t'])]}")

        # Refusals: only while Redis was away (and the API reconnecting, --reconnect-grace).
        rr = self.redis_restart
        for n, api, what, sent, at in self.rejected:
            if not rr or not (rr["at"] - 0.5 <= at and sent <= rr["up_at"] + self.o.reconnect_grace):
                self.fail(f"submission n={n} to {api} refused while Redis was up: {what} "
                          f"(sent +{sent - self.t0:.2f}s, answered +{at - self.t0:.2f}s)")
        refused = {n for n, *_ in self.rejected}
        stored_anyway = set()
        for _, fields in events:
            match = re.search(r"/hook/(\d+)$", fields.get("webhook", ""))
            if match and int(match.group(1)) in refused:
                stored_anyway.add(int(match.group(1)))
        self.stored_anyway = len(stored_anyway)
        if stored_anyway:
            self.notes.append(f"{len(stored_anyway)} submission(s) answered with an error were stored and run anyway "
                              f"(the reply was lost with the connection; not counted as accepted): n={sorted(stored_anyway)[:10]}")

        # 2. Handler runs to completion: more than one only where the earlier run's manager was killed.
        self.double_runs = {"after_finish": 0, "orphan": 0, "unexplained": 0}
        self.double_run_jobs = 0
        for n, a in self.accepted.items():
            done = done_runs.get(a["id"], [])
            if len(done) <= 1:
                if not done and jobs[n].get("status") in ("COMPLETED",) and not a["fail"]:
                    self.fail(f"job {a['id']} COMPLETED but no handler run of it finished")
                continue
            self.double_run_jobs += 1
            final_worker = jobs[n].get("worker")
            for run in done:
                if run["worker"] == final_worker:
                    continue
                incarnation = self.incarnations.get(run["worker"], {})
                killed_at = incarnation.get("killed_at")
                started = [s for s in started_runs.get(a["id"], []) if s["worker"] == run["worker"]]
                if killed_at and started and min(s["t"] for s in started) <= killed_at:
                    self.double_runs["after_finish" if run["t"] <= killed_at else "orphan"] += 1
                elif touched_in_window(n):
                    self.window_anomalies.append((n, a["id"], f"handler finished on {run['worker']} and ran again"))
                else:
                    self.double_runs["unexplained"] += 1
                    self.fail(f"job {a['id']} (n={n}) ran to completion on {run['worker']} (not killed while running it) "
                              f"and again; final worker {final_worker}; events "
                              f"{[(f.get('to'), f.get('reason')) for _, f in per_job_events.get(a['id'], [])]}")
            mine = [r for r in done if r["worker"] == final_worker]
            if len(mine) > 1:
                self.fail(f"job {a['id']} ran to completion {len(mine)} times on its final worker {final_worker}")

        # 3. Webhooks: every transition's webhook arrived; ids match transitions; order kept.
        expected = self.expected_webhooks(events)
        deliveries = final["deliveries"]
        received = {}
        for d in deliveries:
            received.setdefault(d["id"], []).append(d)
        known_jobs = set(by_id)
        self.webhooks = {"expected": 0, "received": len(deliveries), "duplicates": 0, "late_duplicates": 0,
                         "unexpected": 0, "missing": 0}
        job_of = {a["id"]: final["jobs"].get(n, {}) for n, a in self.accepted.items()}
        for wid, (job_id, entry_id, status, fields, url) in expected.items():
            if job_id not in known_jobs:
                continue
            self.webhooks["expected"] += 1
            got = received.get(wid, [])
            if not got:
                self.webhooks["missing"] += 1
                n = by_id[job_id]
                if touched_in_window(n):
                    self.window_anomalies.append((n, job_id, f"{status} webhook never arrived"))
                else:
                    self.fail(f"webhook {wid} ({status} of job {job_id}, event {entry_id}, to {url}) never arrived; "
                              f"{EP}job:{job_id}:deliveries and the notifier logs tell why")
                continue
            self.webhooks["duplicates"] += len(got) - 1
            bodies = {d["body"] for d in got}
            want = expected_body(fields, job_of.get(job_id, {}))
            if len(bodies) != 1 or json.loads(next(iter(bodies))) != want:
                self.fail(f"webhook {wid} ({status} of job {job_id}) arrived with bodies {bodies}, expected {want!r}")
        for wid, got in received.items():
            if wid not in expected:
                job_id = (json.loads(got[0]["body"]) or {}).get("id")
                if job_id not in known_jobs:
                    continue  # a job whose /run answer never came (refused or ambiguous): not counted
                self.webhooks["unexpected"] += 1
                n = by_id[job_id]
                what = f"webhook id {wid} for job {job_id} ({got[0]['body'][:80]}) matches no transition in the events stream"
                if touched_in_window(n):
                    self.window_anomalies.append((n, job_id, what))
                else:
                    self.fail(what)
        # Order: per job, the first arrival of each transition's webhook in transition order.
        self.out_of_order = 0
        for job_id, entries in per_job_events.items():
            if job_id not in known_jobs:
                continue
            firsts, extras = [], []
            for entry_id, fields in entries:
                url = fields.get("webhook")
                if not url:
                    continue
                wid = "msg_" + hashlib.sha256(f"{entry_id}|{url}".encode()).hexdigest()[:32]
                got = sorted(d["seq"] for d in received.get(wid, []))
                if got:
                    firsts.append((got[0], fields.get("to"), wid))
                    extras.append(got[1:])
            seqs = [s for s, _, _ in firsts]
            if seqs != sorted(seqs):
                # Never explained by lost writes: a receiver deduplicating by webhook-id still
                # sees these transitions in the wrong order.
                self.out_of_order += 1
                arrival = [to for _, to, _ in sorted(firsts)]
                self.fail(f"job {job_id}: webhooks first arrived as {arrival} (receiver arrival numbers "
                          f"{[(to, s) for s, to, _ in firsts]}), transitions in the events stream were "
                          f"{[(f.get('to'), e) for e, f in entries]}")
            # A duplicate of an earlier transition arriving after a later one's first arrival:
            # allowed (receivers drop it by webhook-id), counted.
            for i in range(len(firsts) - 1):
                self.webhooks["late_duplicates"] += sum(1 for s in extras[i] if s > firsts[i + 1][0])

        # 4. Nothing left behind.
        left = final["leftovers"]
        for key in (f"{EP}running:*", f"{EP}webhooks:due", f"{EP}webhooks:lane:*", f"{EP}queue"):
            if left[key]:
                self.fail(f"{key} not empty at the end: {left[key]}")
        if final["pending"]:
            self.fail(f"{final['pending']} events entries still pending in the notifiers' group")
        if left[f"{EP}webhooks:dead"]:
            self.notes.append(f"{left[f'{EP}webhooks:dead']} dead letters (first: {final['dead'][:1]})")
        if not final["aof"]:
            self.fail("redis was not running with AOF")

    def aof_window(self):
        """The seconds before a SIGKILL of Redis whose acknowledged writes AOF everysec may lose."""
        if not self.redis_restart or self.redis_restart["how"] != "kill":
            return None
        at = self.redis_restart["at"]
        return (at - self.o.aof_window, at)

    # -- report ----------------------------------------------------------------------------------

    def recovery(self):
        final = self.final
        events = final["events"]
        per_job = {}
        for entry_id, fields in events:
            if is_transition(fields):
                per_job.setdefault(fields["job"], []).append((int(fields.get("at", 0)) / 1000, fields.get("to")))
        worker_times, notifier_times = [], []
        for kill in self.kills:
            if kill["kind"] != "worker":
                continue
            worst = 0.0
            for job_id in kill["inflight"]:
                after = [t for t, to in per_job.get(job_id, []) if t > kill["at"] and (to == "IN_PROGRESS" or to in TERMINAL)]
                if after:
                    worst = max(worst, min(after) - kill["at"])
            if kill["inflight"]:
                worker_times.append(worst)
        expected = self.expected_webhooks(events)
        first_arrival = {}
        for d in final["deliveries"]:
            first_arrival[d["id"]] = min(first_arrival.get(d["id"], d["t"]), d["t"])
        event_at = {entry_id: int(fields.get("at", 0)) / 1000 for entry_id, fields in events if is_transition(fields)}
        latencies = sorted(first_arrival[w] - event_at[e[1]] for w, e in expected.items() if w in first_arrival)
        for kill in self.kills:
            if kill["kind"] != "notifier":
                continue
            held = [first_arrival[w] for w, e in expected.items()
                    if w in first_arrival and event_at[e[1]] <= kill["at"] < first_arrival[w]]
            notifier_times.append(max(held) - kill["at"] if held else 0.0)
        redis_time = None
        if self.redis_restart:
            up = self.redis_restart["up_at"]
            after_accept = [a["at"] for a in self.accepted.values() if a["sent"] >= up]
            claimed = [t for job in per_job.values() for t, to in job if t >= up and to == "IN_PROGRESS"]
            delivered = [d["t"] for d in final["deliveries"] if d["t"] >= up and d["id"] in expected
                         and event_at[expected[d["id"]][1]] >= up]
            marks = [min(x) for x in (after_accept, claimed, delivered) if x]
            if len(marks) == 3:
                redis_time = max(marks) - self.redis_restart["at"]
        return worker_times, notifier_times, redis_time, latencies

    def report(self):
        worker_times, notifier_times, redis_time, latencies = self.recovery()
        worker_kills = [k for k in self.kills if k["kind"] == "worker"]
        notifier_kills = [k for k in self.kills if k["kind"] == "notifier"]
        machine = sum(1 for k in worker_kills if k["mode"] == "machine")
        all_recoveries = worker_times + notifier_times + ([redis_time] if redis_time is not None else [])

        def pct(values, p):
            return values[min(len(values) - 1, int(len(values) * p))] if values else 0.0

        rr = self.redis_restart
        refused = f"{len(self.rejected)}"
        if rr and self.rejected:
            refused += (f", answered {min(at for *_, at in self.rejected) - rr['at']:+.1f} s to "
                        f"{max(at for *_, at in self.rejected) - rr['at']:+.1f} s from the Redis kill")
        rows = [
            ("jobs accepted (submitted; refused while Redis was down)",
             f"{len(self.accepted)} ({self.submitted}; {refused})"),
            ("final states", ", ".join(f"{k} {v}" for k, v in sorted(self.status_counts.items()))),
            ("worker manager kill -9 (manager only / with its handlers)",
             f"{len(worker_kills)} ({len(worker_kills) - machine} / {machine})"),
            ("notifier kill -9", f"{len(notifier_kills)}"),
            ("restarts (workers + notifiers + redis)",
             f"{len(worker_kills) + len(notifier_kills) + (1 if rr else 0)} "
             f"({len(worker_kills)} + {len(notifier_kills)} + {1 if rr else 0})"),
            ("redis restart", "none" if not rr else
             f"{'SHUTDOWN' if rr['how'] == 'shutdown' else 'SIGKILL'}, down {rr['downtime']:.2f} s, "
             f"{'AOF deleted (self-test)' if rr['how'] == 'wipe' else 'AOF reloaded'}"),
            ("lost jobs (of them in the AOF everysec window, allowed)",
             f"{len(self.missing)} ({len(self.lost)} in the {self.o.aof_window:g} s before the SIGKILL of Redis; "
             f"{len(self.window_anomalies)} anomalies in all attributed to that window)"
             if self.aof_window() else f"{len(self.missing)} (no SIGKILL of Redis: none allowed)"),
            ("jobs failed after using up requeues", f"{len(self.requeue_failures)}"),
            ("jobs whose handler finished twice", f"{self.double_run_jobs} (killed after the handler finished "
                                                   f"{self.double_runs['after_finish']}, orphaned handler finished "
                                                   f"after the kill {self.double_runs['orphan']}, unexplained "
                                                   f"{self.double_runs['unexplained']})"),
            ("webhooks expected / received (missing)",
             f"{self.webhooks['expected']} / {self.webhooks['received']} ({self.webhooks['missing']})"),
            ("webhook duplicates (same webhook-id; after a later transition)",
             f"{self.webhooks['duplicates']} ({self.webhooks['late_duplicates']})"),
            ("webhook ids matching no transition / jobs out of order",
             f"{self.webhooks['unexpected']} / {self.out_of_order}"),
            ("webhook latency p50 / p99 / max", f"{pct(latencies, 0.5):.2f} / {pct(latencies, 0.99):.2f} / "
                                                f"{(latencies[-1] if latencies else 0):.2f} s"),
            ("recovery after worker kill (max)", f"{max(worker_times, default=0):.1f} s"),
            ("recovery after notifier kill (max)", f"{max(notifier_times, default=0):.1f} s"),
            ("recovery after redis restart", f"{redis_time:.1f} s" if redis_time is not None else "n/a"),
            ("max recovery time", f"{max(all_recoveries, default=0):.1f} s"),
            ("unexpected process exits", f"{len(self.unexpected_exits)}"),
            ("settled after faults stopped", f"{self.settled_at - self.chaos_ended:.1f} s" if self.settled_at else "no"),
            ("wall time", f"{time.time() - self.t0:.0f} s"),
        ]
        width = max(len(k) for k, _ in rows)
        print()
        print(f"chaos summary (seed {self.o.seed}, {self.o.jobs} jobs, {self.o.duration:.0f} s of faults, "
              f"{self.o.notifiers} notifiers, lease {self.o.lease:g} s, {self.binary})")
        print(f"| {'metric'.ljust(width)} | value |")
        print(f"| {'-' * width} | ----- |")
        for key, value in rows:
            print(f"| {key.ljust(width)} | {value} |")
        for note in self.notes:
            print(f"note: {note}")
        if self.window_anomalies:
            print("attributed to the AOF everysec window:")
            for n, job_id, what in self.window_anomalies[:20]:
                print(f"  n={n} {job_id}: {what}")
        summary = {k: v for k, v in rows}
        with open(os.path.join(self.workdir, "summary.json"), "w") as f:
            json.dump({"rows": summary, "failures": self.failures, "kills": self.kills,
                       "redis_restart": self.redis_restart, "refused": self.rejected}, f, indent=2, default=str)
        if self.failures:
            print(f"\nCHAOS FAILED: {len(self.failures)} problem(s); logs and data kept in {self.workdir}")
            kinds = {}
            for failure in self.failures:
                kind = next((label for pattern, label in FAILURE_KINDS if re.search(pattern, failure)), "other")
                kinds[kind] = kinds.get(kind, 0) + 1
            for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
                print(f"  {count:5d} x {kind}")
            for failure in self.failures[:20]:
                print(" - " + failure)
            if len(self.failures) > 20:
                print(f" ... and {len(self.failures) - 20} more (summary.json)")
            return 1
        print("\nCHAOS PASSED" + (f"; logs and data kept in {self.workdir}" if self.o.keep else ""))
        if not self.o.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return 0


def parse(argv=None):
    default_binary = os.environ.get("ORCHESTRATOR_BINARY",
                                    os.path.join(HERE, "..", ".build", "release", "orchestrator"))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--binary", default=default_binary, help="orchestrator binary (env ORCHESTRATOR_BINARY)")
    p.add_argument("--jobs", type=int, default=1000, help="jobs to get accepted (default 1000)")
    p.add_argument("--duration", type=float, default=120, help="seconds of submissions and faults (default 120)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--concurrency", type=int, default=4, help="handler processes per worker manager")
    p.add_argument("--notifiers", type=int, default=2, help="notifier processes (default 2)")
    p.add_argument("--lease", type=float, default=5, help="worker lease seconds")
    p.add_argument("--max-requeues", type=int, default=3)
    p.add_argument("--worker-kill-every", type=float, default=6, help="mean seconds between worker kills")
    p.add_argument("--notifier-kill-every", type=float, default=8, help="mean seconds between notifier kills")
    p.add_argument("--restart-after", type=float, default=1, help="seconds a killed process stays down")
    p.add_argument("--redis-restart", choices=["kill", "shutdown", "none", "wipe"], default="kill",
                   help="kill: SIGKILL (default); shutdown: SHUTDOWN; wipe: SIGKILL and delete the AOF "
                        "(a self-test of the checks: the run must fail)")
    p.add_argument("--aof-window", type=float, default=2.0,
                   help="seconds before a SIGKILL of Redis whose writes AOF everysec may lose")
    p.add_argument("--webhook-timeout", type=float, default=2)
    p.add_argument("--webhook-attempts", type=int, default=5)
    p.add_argument("--claim-idle", type=float, default=5)
    p.add_argument("--settle-timeout", type=float, default=180)
    p.add_argument("--reconnect-grace", type=float, default=10,
                   help="seconds after Redis is back within which the API may still refuse (reconnecting)")
    p.add_argument("--keep", action="store_true", help="keep the work directory (logs, AOF, records) on success")
    return p.parse_args(argv)


def main(argv=None):
    options = parse(argv)
    if not os.access(options.binary, os.X_OK):
        print(f"no orchestrator binary at {options.binary} (set ORCHESTRATOR_BINARY or --binary)", file=sys.stderr)
        return 2
    chaos = Chaos(options)
    try:
        return chaos.run()
    finally:
        for proc in chaos.procs:
            if proc.alive():
                os.killpg(proc.pid, signal.SIGKILL)
        if getattr(chaos, "receiver", None) and chaos.receiver.poll() is None:
            chaos.receiver.kill()
        if getattr(chaos, "redis", None):
            chaos.redis.stop()


if __name__ == "__main__":
    sys.exit(main())
