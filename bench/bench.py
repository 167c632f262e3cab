#!/usr/bin/env python3
"""`make bench`: the orchestrator's throughput, latency and cost per job, each figure beside a
baseline measured in the same run on the same machine and the same Redis, printed as one table
and written to bench/results/latest.json (and latest.md, the table as Markdown).

Sections (see the README's "Performance"):
  1. Redis limit: redis-benchmark of our submit script (EVALSHA), LPUSH and XADD.
  2. Submit: wrk POSTing /v2/bench-submit/run, 64 keep-alive connections, 10 s.
  3. Dispatch: N no-op jobs through one worker manager (persistent runtime): jobs/s, Redis round
     trips and memory per job; submit->IN_PROGRESS latency at a paced rate.
  4. Webhooks: one notifier delivering to a local nginx; then with 10% of jobs to a dead port.
  5. Peers: RQ, arq, Sidekiq (Debian's 6.4.1, with and without YJIT, concurrency 10 and 25) and
     BullMQ (its Python port, same Lua scripts as Node's), N jobs each, one producer and one
     worker process each, Redis flushed before each: enqueue one by one and in batches (jobs/s),
     processing (jobs/s, Redis CPU per job), Redis memory per queued job; our submit, dispatch
     (and a later batch submit) against the best peer of each kind.
  6. Scaling: dispatch with 1, 2 and 4 worker managers.
  Audit: round trips per job lifecycle and per delivery, counted exactly with MONITOR in a short
     phase of its own (jobs over HTTP while a manager and a notifier run).

Environment: ORCHESTRATOR_BINARY (required unless every orchestrator section is skipped),
BENCH_N (20000), BENCH_SUBMIT_SECONDS (10), BENCH_CONCURRENCY (handler processes per manager,
16), BENCH_LOG_LEVEL (warning),
BENCH_LATENCY_RATE (jobs/s for the paced latency run, 1000), BENCH_WEBHOOK_REPEATS (runs of
each webhook measurement, alternating, the best one reported; 2), BENCH_SKIP (comma list of
sections to skip: redis,submit,dispatch,latency,scaling,webhooks,audit,peers; or single peers:
rq,arq,sidekiq,bullmq. With all of redis..audit skipped only the peers run, and no binary is
needed: BENCH_SKIP=redis,submit,dispatch,latency,scaling,webhooks,audit bench/run.sh),
BENCH_BULLMQ_PYTHON (the interpreter of .venv-bench-bullmq, set by run.sh), BENCH_API_ARGS /
BENCH_WORKER_ARGS / BENCH_NOTIFIER_ARGS (extra flags, for tuning experiments), BENCH_PERF=1
(perf profiles of the api, the manager and the notifier into bench/results/perf-*; slows them).
Run it through bench/run.sh (or `make bench`), which prepares .venv-bench and .venv-bench-bullmq;
Sidekiq comes from Debian's packages (`scripts/install-deps.sh bench`, which `make bench` runs).
"""
import datetime
import http.client
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid

import redis

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
BINARY = os.environ.get("ORCHESTRATOR_BINARY") or os.path.join(ROOT, ".build", "release", "orchestrator")
N = int(os.environ.get("BENCH_N", "20000"))
SUBMIT_SECONDS = int(os.environ.get("BENCH_SUBMIT_SECONDS", "10"))
CONNECTIONS = 64
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "16"))
LOG_LEVEL = os.environ.get("BENCH_LOG_LEVEL", "warning")
LATENCY_RATE = int(os.environ.get("BENCH_LATENCY_RATE", "1000"))
LATENCY_SECONDS = 5
WEBHOOK_REPEATS = int(os.environ.get("BENCH_WEBHOOK_REPEATS", "2"))
SKIP = set(filter(None, os.environ.get("BENCH_SKIP", "").split(",")))
# Extra flags per role, for tuning experiments (the defaults are what the table reports).
EXTRA = {role: os.environ.get(f"BENCH_{role.upper()}_ARGS", "").split() for role in ("api", "worker", "notifier")}
PREFIX = "orch:"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

# A 100-byte JSON object: every job in every section (and every peer's job) carries it.
INPUT = '{"prompt":"' + "x" * 87 + '"}'
assert len(INPUT) == 100
BODY = '{"input":' + INPUT + '}'
HANDLER = f"{sys.executable} -u {os.path.join(HERE, 'noop_handler.py')}"

WORK = tempfile.mkdtemp(prefix="orch-bench-")
started_processes = []


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def percentile(values, p):
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


# ---------------------------------------------------------------- processes and CPU

class Proc:
    """A process the bench started (in its own session), its log in WORK."""

    def __init__(self, name, args, env=None, cwd=None):
        self.name = name
        self.log_path = os.path.join(WORK, f"{name}.log")
        self.log = open(self.log_path, "w")
        full_env = dict(os.environ)
        full_env.update(env or {})
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=full_env, cwd=cwd,
                                     start_new_session=True)
        started_processes.append(self)

    @property
    def pid(self):
        return self.proc.pid

    def output(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self, timeout=20):
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.log.close()


def process_table():
    """pid -> (ppid, cpu seconds) for every live process."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return table


def tree_cpu(pid, table=None):
    """CPU seconds used so far by a process and its live descendants (a manager's handlers)."""
    table = table or process_table()
    children = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    total, stack = 0.0, [pid]
    while stack:
        current = stack.pop()
        if current in table:
            total += table[current][1]
        stack.extend(children.get(current, []))
    return total


def own_cpu(pid, table=None):
    table = table or process_table()
    return table.get(pid, (0, 0.0))[1]


def tcp_ports(pid):
    """Local ports of the TCP sockets a process holds (its Redis connections among them)."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    fields = line.split()
                    if fields[9] in inodes:
                        ports.add(int(fields[1].rsplit(":", 1)[1], 16))
        except OSError:
            pass
    return ports


class CPUMeter:
    """CPU seconds of named processes between start() and stop()."""

    def __init__(self, processes):
        self.processes = processes  # name -> (pid, include_descendants)
        self.before = {}
        self.used = {}

    def _read(self):
        table = process_table()
        return {name: (tree_cpu(pid, table) if tree else own_cpu(pid, table))
                for name, (pid, tree) in self.processes.items()}

    def start(self):
        self.before = self._read()
        self.wall = time.monotonic()

    def stop(self):
        after = self._read()
        self.wall = time.monotonic() - self.wall
        self.used = {name: round(after[name] - self.before[name], 2) for name in after}
        return self.used

    def summary(self):
        """{name: {"cpu_s": seconds, "cores": average cores busy}}"""
        return {name: {"cpu_s": used, "cores": round(used / self.wall, 2) if self.wall else None}
                for name, used in self.used.items()}


PERF = os.environ.get("BENCH_PERF") == "1"


class Profiler:
    """With BENCH_PERF=1: `perf record` (cpu-clock, call graphs) of one process during a phase;
    the flat profile (Swift names demangled) goes to bench/results/perf-<name>.txt."""

    def __init__(self, name, pid):
        self.name = name
        self.data = os.path.join(HERE, "results", f"perf-{name}.data")
        self.proc = None
        if PERF and shutil.which("perf"):
            self.proc = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-F", "999", "-g", "-p", str(pid),
                                          "-o", self.data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.3)

    def stop(self):
        if not self.proc:
            return
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        views = [["--sort", "comm"], ["--sort", "pid"], ["--sort", "dso"], ["--sort", "comm,dso,symbol", "--percent-limit", "0.3"]]
        report = "".join(subprocess.run(["perf", "report", "-i", self.data, "--no-children", "--stdio", "-g", "none", *view],
                                        capture_output=True, text=True).stdout for view in views)
        demangle = shutil.which("swift-demangle") or "/opt/swift/usr/bin/swift-demangle"
        if os.access(demangle, os.X_OK):
            report = subprocess.run([demangle, "--simplified"], input=report, capture_output=True, text=True).stdout
        with open(os.path.join(HERE, "results", f"perf-{self.name}.txt"), "w") as f:
            f.write(report)
        caller = subprocess.run(["perf", "report", "-i", self.data, "--children", "--stdio", "-g", "caller,0.5,callee,function,percent",
                                 "--percent-limit", "2", "--sort", "symbol"], capture_output=True, text=True).stdout
        if os.access(demangle, os.X_OK):
            caller = subprocess.run([demangle, "--simplified"], input=caller, capture_output=True, text=True).stdout
        with open(os.path.join(HERE, "results", f"perf-{self.name}-inclusive.txt"), "w") as f:
            f.write(caller)


def run_timed(args, env=None, cwd=None, timeout=600):
    """Runs a command to its end; returns (stdout, stderr, wall s, CPU s of it and its children)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    started = time.monotonic()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=cwd, text=True)
    out, err = proc.communicate(timeout=timeout)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run_timed.cpu = (after.ru_utime + after.ru_stime) - (usage.ru_utime + usage.ru_stime)
    return out, err, wall, proc.returncode


# ---------------------------------------------------------------- Redis

class RedisServer:
    def __init__(self):
        self.port = free_port()
        self.dir = os.path.join(WORK, "redis")
        os.makedirs(self.dir)
        self.proc = Proc("redis", ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
                                   "--save", "", "--appendonly", "no", "--maxmemory-policy", "noeviction"])
        self.client = redis.Redis(port=self.port, decode_responses=True, client_name="bench")
        wait_for(self._ping, 10, "redis-server")
        self.version = self.client.info("server")["redis_version"]

    def _ping(self):
        try:
            return self.client.ping()
        except redis.ConnectionError:
            return False

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def commandstats(self):
        return {name.removeprefix("cmdstat_"): stats["calls"] for name, stats in self.client.info("commandstats").items()}

    def used_memory(self):
        return self.client.info("memory")["used_memory"]


def submit_script_sha(server, api):
    """Submits one job through the API and returns (sha of the script it ran, its reply), read
    off the wire with MONITOR: the bench then preloads jobs with exactly the API's EVALSHA,
    whatever shape the script's Swift source has."""
    with server.client.monitor() as monitor:
        status, reply = post_json(api.base, "/v2/bench/run", BODY)
        assert status == 200, reply
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            words = monitor.next_command()["command"].split()
            if words and words[0].upper() == "EVALSHA":
                return words[1], reply
    raise RuntimeError("the API's submit was not seen as an EVALSHA on the wire")


def script_commands():
    """Commands the Lua scripts call (lower case): counted in commandstats, but no round trip."""
    names = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "Sources")):
        for name in files:
            if name.endswith(".swift"):
                with open(os.path.join(folder, name)) as f:
                    names.update(n.lower() for n in re.findall(r"redis\.call\('([A-Za-z]+)'", f.read()))
    return names


SCRIPT_COMMANDS = script_commands()


def stats_delta(before, after):
    delta = {name: after.get(name, 0) - before.get(name, 0) for name in after}
    return {name: calls for name, calls in delta.items() if calls > 0 and name != "info"}


def round_trips(delta, bench_calls=None):
    """Commands clients sent (each a round trip, none are pipelined on these paths): every command
    but those only the scripts call; the bench's own polling is taken off."""
    delta = dict(delta)
    for name, calls in (bench_calls or {}).items():
        delta[name] = delta.get(name, 0) - calls
    return sum(calls for name, calls in delta.items() if name not in SCRIPT_COMMANDS)


class RoundTripAudit:
    """Counts, with MONITOR, the commands clients sent (round trips) apart from those the Lua
    scripts ran, while `action` runs; the bench's own connections are left out. MONITOR slows
    Redis, so this runs in its own short phase, never while a figure is being timed."""

    STOP = "bench-monitor-stop"

    def __init__(self, server):
        self.server = server

    def run(self, action):
        client = redis.Redis(port=self.server.port, decode_responses=True, client_name="bench")
        counts, lua = {}, {}
        ready = threading.Event()

        def listen():
            with client.monitor() as monitor:
                ready.set()
                for command in monitor.listen():
                    text = command["command"]
                    if text == f"ECHO {self.STOP}":
                        return
                    name = text.split(" ", 1)[0].lower()
                    if command["client_type"] == "lua":
                        lua[name] = lua.get(name, 0) + 1
                    else:
                        address = f"{command['client_address']}:{command['client_port']}"
                        counts.setdefault(address, {})
                        counts[address][name] = counts[address].get(name, 0) + 1

        thread = threading.Thread(target=listen, daemon=True)
        thread.start()
        ready.wait(5)
        time.sleep(0.2)
        result = action()
        # The bench's own connections are named "bench".
        bench_addresses = {c["addr"] for c in self.server.client.client_list() if c.get("name") == "bench"}
        self.server.client.echo(self.STOP)
        thread.join(120)
        sent = {address: names for address, names in counts.items() if address not in bench_addresses}
        return sent, lua, result


# ---------------------------------------------------------------- orchestrator helpers

class Jobs:
    """Writes jobs straight through the submit script (the exact EVALSHA the API sends), using the
    field values of a job the API itself accepted, so queued jobs are byte for byte the API's."""

    def __init__(self, server, sha, template):
        self.server = server
        self.sha = sha
        self.template = template

    def preload(self, endpoint, count, webhook_for=lambda index: ""):
        ids = []
        client = self.server.client
        t = self.template
        for start in range(0, count, 1000):
            pipe = client.pipeline(transaction=False)
            for index in range(start, min(count, start + 1000)):
                job_id = str(uuid.uuid4())
                ids.append(job_id)
                pipe.evalsha(self.sha, 0, PREFIX, job_id, endpoint, INPUT, webhook_for(index), "",
                             t["policy"], t["ttl"], t["executionTimeout"], t["queueTtl"])
            pipe.execute()
        return ids


def job_times(client, ids, fields=("createdAt", "startedAt", "completedAt", "status")):
    rows = []
    for start in range(0, len(ids), 2000):
        pipe = client.pipeline(transaction=False)
        for job_id in ids[start:start + 2000]:
            pipe.hmget(PREFIX + "job:" + job_id, *fields)
        rows.extend(pipe.execute())
    return rows


def start_api(server):
    api = Proc("api", [BINARY, "api", "--redis-url", server.url, "--port", "0", "--log-level", LOG_LEVEL, *EXTRA["api"]])
    match = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", api.output()), 30, "API address")
    api.base = match.group(1)
    return api


def start_worker(server, endpoint, worker_id, concurrency=CONCURRENCY, wait=True):
    worker = Proc(worker_id, [BINARY, "worker", "--redis-url", server.url, "--endpoint", endpoint,
                              "--runtime", "persistent", "--handler", HANDLER, "--concurrency", str(concurrency),
                              "--worker-id", worker_id, "--log-level", LOG_LEVEL, *EXTRA["worker"]])
    worker.worker_id = worker_id
    if wait:
        wait_registered(server, worker)
    return worker


def wait_registered(server, worker):
    wait_for(lambda: server.client.zscore(PREFIX + "workers", worker.worker_id) is not None or worker.proc.poll() is not None,
             30, f"worker {worker.worker_id} to register")
    if worker.proc.poll() is not None:
        raise RuntimeError(f"worker {worker.worker_id} exited:\n{worker.output()[-2000:]}")


def post_json(base, path, body):
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    connection.request("POST", path, body=body, headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data)


def wait_completed(server, endpoint, count, timeout):
    """Polls the endpoint's `completed` counter until it reaches count; returns the HGET calls made."""
    polls = 0
    deadline = time.monotonic() + timeout
    key = f"{PREFIX}endpoint:{endpoint}:stats"
    while time.monotonic() < deadline:
        polls += 1
        done = int(server.client.hget(key, "completed") or 0)
        if done >= count:
            return polls, done
        time.sleep(0.05)
    return polls, int(server.client.hget(key, "completed") or 0)


# ---------------------------------------------------------------- sections

def section_redis(server, sha):
    """redis-benchmark: 64 clients, no pipelining (our roles send one command per round trip)."""
    results = {}
    t = TEMPLATE
    commands = {
        "evalsha_submit": (60000, ["EVALSHA", sha, "0", "orchbench:", "job-__rand_int__-__rand_int__", "bench", INPUT, "", "",
                                   t["policy"], t["ttl"], t["executionTimeout"], t["queueTtl"]]),
        "lpush": (200000, ["LPUSH", "orchbench:queue", "__rand_int__"]),
        "xadd": (200000, ["XADD", "orchbench:events", "*", "job", "__rand_int__", "endpoint", "bench", "from", "",
                          "to", "IN_QUEUE", "at", "1700000000000", "attempt", "0",
                          "payload", '{"id":"__rand_int__","status":"IN_QUEUE"}']),
    }
    for name, (count, command) in commands.items():
        errors_before = server.client.info("errorstats")
        out, err, wall, code = run_timed(["redis-benchmark", "-h", "127.0.0.1", "-p", str(server.port), "-c", str(CONNECTIONS),
                                          "-n", str(count), "-r", "2000000000", "--csv", *command])
        rows = [line for line in out.splitlines() if line.startswith('"') and not line.startswith('"test"')]
        if code != 0 or not rows:
            raise RuntimeError(f"redis-benchmark {name} failed: {err or out}")
        # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
        values = [v.strip('"') for v in rows[-1].rsplit(",", 7)]
        results[name] = {"ops_per_s": float(values[1]), "p50_ms": float(values[4]), "p99_ms": float(values[6])}
        log(f"redis-benchmark {name}: {results[name]['ops_per_s']:.0f}/s")
        errors = {k: v["count"] - errors_before.get(k, {}).get("count", 0) for k, v in server.client.info("errorstats").items()}
        errors = {k: v for k, v in errors.items() if v}
        if errors:  # an error reply (NOSCRIPT, a duplicate id) would make the figure meaningless
            raise RuntimeError(f"redis-benchmark {name} got error replies: {errors}")
    server.client.flushall()
    return results


def parse_wrk_duration(text):
    value, unit = re.match(r"([0-9.]+)(us|ms|s|m)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def section_submit(server, api):
    endpoint = "bench-submit"
    url = f"{api.base}/v2/{endpoint}/run"
    meter = CPUMeter({"api": (api.pid, False), "redis": (server.proc.pid, False)})
    before = server.commandstats()
    meter.start()
    profiler = Profiler("api-submit", api.pid)
    out, err, wall, code = run_timed(["wrk", "-t", "2", "-c", str(CONNECTIONS), "-d", f"{SUBMIT_SECONDS}s", "--latency",
                                      "-s", os.path.join(HERE, "submit.lua"), url], env={"BENCH_BODY": BODY})
    meter.stop()
    profiler.stop()
    delta = stats_delta(before, server.commandstats())
    if code != 0:
        raise RuntimeError(f"wrk failed: {err or out}")
    meter.used["wrk"] = round(run_timed.cpu, 2)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", out)) else 0
    socket_errors = re.search(r"Socket errors: (.*)", out)
    latency = dict(re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M))
    queued = server.client.llen(f"{PREFIX}queue:{endpoint}")
    seconds = float(re.search(r"requests in ([0-9.]+)s", out).group(1))
    accepted = requests - non2xx
    result = {
        "jobs_per_s": round(accepted / seconds),
        "requests": requests, "non_2xx": non2xx, "socket_errors": socket_errors.group(1) if socket_errors else None,
        "jobs_in_redis": queued,
        "p50_ms": parse_wrk_duration(latency["50"]), "p99_ms": parse_wrk_duration(latency["99"]),
        "round_trips_per_job": round(round_trips(delta) / max(queued, 1), 2),
        "redis_commands_per_job": round(sum(delta.values()) / max(queued, 1), 2),
        "cpu": meter.summary(), "wrk_output": out,
    }
    # Every accepted request must be a job in Redis (plus those in flight when wrk stopped).
    if not accepted <= queued <= accepted + CONNECTIONS:
        result["warning"] = f"wrk counted {accepted} accepted requests but Redis holds {queued} jobs"
    log(f"submit: {result['jobs_per_s']}/s p50 {result['p50_ms']} ms p99 {result['p99_ms']} ms, {queued} jobs in Redis")
    server.client.flushall()
    return result


def dispatch_run(server, jobs, managers, measure_memory=False):
    """Preloads N jobs, starts `managers` worker managers, waits until all completed."""
    endpoint = "bench"
    server.client.flushall()
    memory_before = server.used_memory()
    ids = jobs.preload(endpoint, N)
    result = {"managers": managers, "concurrency_per_manager": CONCURRENCY, "jobs": N}
    if measure_memory:
        result["memory_per_queued_job_bytes"] = round((server.used_memory() - memory_before) / N)
    # The queue is held aside while the managers start, so that all of them (and every handler)
    # are up and blocked on the empty queue when it comes back: RENAME wakes their BLMOVEs.
    queue, hold = f"{PREFIX}queue:{endpoint}", f"{PREFIX}queue:{endpoint}:hold"
    server.client.rename(queue, hold)
    workers = []
    meter_processes = {"redis": (server.proc.pid, False)}
    try:
        workers = [start_worker(server, endpoint, f"bench-w{index + 1}", wait=False) for index in range(managers)]
        for worker in workers:
            wait_registered(server, worker)
        for index, worker in enumerate(workers):
            meter_processes[f"worker-{index + 1}"] = (worker.pid, False)
        time.sleep(0.5)  # the handlers (python3) finish starting
        meter = CPUMeter(meter_processes)
        before = server.commandstats()
        # The handlers' CPU: every live descendant of the managers, minus the managers.
        handler_before = sum(tree_cpu(w.pid) - own_cpu(w.pid) for w in workers)
        profiler = Profiler(f"worker-dispatch-x{managers}", workers[0].pid) if managers == 1 else None
        meter.start()
        t0 = time.monotonic()
        server.client.rename(hold, queue)
        polls, done = wait_completed(server, endpoint, N, timeout=max(120, N / 100))
        meter.stop()
        if profiler:
            profiler.stop()
        handler_used = sum(tree_cpu(w.pid) - own_cpu(w.pid) for w in workers) - handler_before
        wall = time.monotonic() - t0
        # Counted from the managers' start to the last job: their heartbeats are in, their
        # registration and shutdown are not (not per job).
        delta = stats_delta(before, server.commandstats())
        delta["rename"] = delta.get("rename", 0) - 1
    finally:
        for worker in workers:
            worker.stop()
    rows = job_times(server.client, ids)
    started = [int(r[1]) for r in rows if r[1]]
    completed = [int(r[2]) for r in rows if r[2]]
    statuses = {}
    for r in rows:
        statuses[r[3]] = statuses.get(r[3], 0) + 1
    span = (max(completed) - min(started)) / 1000 if completed else None
    result.update({
        "completed": len(completed), "statuses": statuses,
        "jobs_per_s": round(len(completed) / span) if span else None,
        "span_s": span, "wall_s_to_last_poll": round(wall, 2),
        "round_trips_per_job": round(round_trips(delta, {"hget": polls}) / N, 2),
        "redis_commands_per_job": round((sum(delta.values()) - polls) / N, 2),
        "commands": delta,
        "cpu": dict(meter.summary(), handlers={"cpu_s": round(handler_used, 2),
                                               "cores": round(handler_used / meter.wall, 2)}),
        "redis_cpu_us_per_job": round(meter.used["redis"] * 1e6 / max(len(completed), 1), 1),
    })
    if done < N:
        result["warning"] = f"only {done} of {N} jobs completed before the time limit"
    log(f"dispatch x{managers}: {result['jobs_per_s']}/s, {result['round_trips_per_job']} round trips/job, "
        f"cpu {result['cpu']}")
    return result


def section_latency(server, api, jobs):
    """Submits through the API at a paced rate while one manager runs: submit->IN_PROGRESS."""
    endpoint = "bench"
    server.client.flushall()
    worker = start_worker(server, endpoint, "bench-lat")
    ids, lock = [], threading.Lock()
    threads = 4
    per_thread = LATENCY_RATE / threads
    host, port = api.base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + LATENCY_SECONDS
    failures = []

    def pace():
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        next_at = time.monotonic()
        while next_at < stop_at:
            now = time.monotonic()
            if now < next_at:
                time.sleep(next_at - now)
            try:
                connection.request("POST", f"/v2/{endpoint}/run", body=BODY, headers={"Content-Type": "application/json"})
                response = connection.getresponse()
                data = json.loads(response.read())
                with lock:
                    ids.append(data["id"])
            except Exception as error:  # noqa: BLE001 - counted and reported
                failures.append(repr(error))
                connection = http.client.HTTPConnection(host, int(port), timeout=10)
            next_at += 1 / per_thread

    try:
        pacers = [threading.Thread(target=pace) for _ in range(threads)]
        for thread in pacers:
            thread.start()
        for thread in pacers:
            thread.join()
        log(f"latency: {len(ids)} jobs sent")
        wait_completed(server, endpoint, len(ids), timeout=60)
        log("latency: all completed")
    finally:
        worker.stop()
        log("latency: worker stopped")
    rows = job_times(server.client, ids)
    delays = [int(r[1]) - int(r[0]) for r in rows if r[0] and r[1]]
    totals = [int(r[2]) - int(r[0]) for r in rows if r[0] and r[2]]
    result = {
        "rate_asked": LATENCY_RATE, "rate_sent": round(len(ids) / LATENCY_SECONDS), "jobs": len(ids),
        "failures": len(failures),
        "submit_to_in_progress_p50_ms": percentile(delays, 50), "submit_to_in_progress_p99_ms": percentile(delays, 99),
        "submit_to_completed_p50_ms": percentile(totals, 50), "submit_to_completed_p99_ms": percentile(totals, 99),
        "resolution": "1 ms (job hash timestamps are ms, from Redis' clock)",
    }
    log(f"latency at {result['rate_sent']}/s: submit->IN_PROGRESS p50 {result['submit_to_in_progress_p50_ms']} ms "
        f"p99 {result['submit_to_in_progress_p99_ms']} ms")
    server.client.flushall()
    return result


def section_audit(server, api, receiver):
    """Round trips per job lifecycle and per webhook delivery, counted exactly with MONITOR:
    M jobs submitted over HTTP (8 clients) while one manager runs them, each with a webhook to
    nginx and a notifier delivering (IN_QUEUE, IN_PROGRESS and COMPLETED: 3 deliveries a job)."""
    count = max(500, N // 10)
    endpoint = "audit"
    server.client.flushall()
    body = '{"input":' + INPUT + ',"webhook":"' + receiver.url() + '"}'
    worker = start_worker(server, endpoint, "bench-audit")
    notifier = Proc("notifier-audit", [BINARY, "notifier", "--redis-url", server.url, "--allow-private-webhooks",
                                       "--log-level", LOG_LEVEL, *EXTRA["notifier"]])
    host, port = api.base.removeprefix("http://").split(":")
    base = receiver.posts()

    def action():
        def submit(share):
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            for _ in range(share):
                connection.request("POST", f"/v2/{endpoint}/run", body=body, headers={"Content-Type": "application/json"})
                connection.getresponse().read()
        threads = [threading.Thread(target=submit, args=(count // 8,)) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wait_completed(server, endpoint, count // 8 * 8, timeout=120)
        wait_for(lambda: receiver.posts() - base >= 3 * (count // 8 * 8), 120, "audit deliveries", 0.05)
        # The stream entries acknowledged too (XACK lands in the same script as the lanes).
        time.sleep(0.5)

    roles = {"api": api.pid, "worker": worker.pid, "notifier": notifier.pid}
    try:
        sent, lua, _ = RoundTripAudit(server).run(action)
        # Which process sent what: each connection's local port belongs to one role's process.
        owner = {port: role for role, pid in roles.items() for port in tcp_ports(pid)}
    finally:
        notifier.stop()
        worker.stop()
    by_role = {role: {} for role in roles}
    by_role["unattributed"] = {}
    for address, names in sent.items():
        role = owner.get(int(address.rsplit(":", 1)[1]), "unattributed")
        for name, calls in names.items():
            by_role[role][name] = by_role[role].get(name, 0) + calls
    jobs = count // 8 * 8
    deliveries = 3 * jobs
    total = lambda role: sum(by_role[role].values())
    result = {
        "jobs": jobs, "deliveries": deliveries, "client_commands_by_role": by_role,
        "commands_inside_scripts": lua,
        "submit_per_job": round(total("api") / jobs, 2),
        "worker_per_job": round(total("worker") / jobs, 2),
        "lifecycle_per_job": round((total("api") + total("worker")) / jobs, 2),
        "notifier_per_delivery": round(total("notifier") / deliveries, 2),
        "notifier_per_job": round(total("notifier") / jobs, 2),
        "unattributed": total("unattributed"),
    }
    log(f"round-trip audit ({jobs} jobs, {deliveries} deliveries): lifecycle {result['lifecycle_per_job']}/job "
        f"(api {result['submit_per_job']}, worker {result['worker_per_job']}), notifier {result['notifier_per_delivery']}"
        f"/delivery; {by_role}")
    server.client.flushall()
    return result


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body;
  proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fastcgi;
  uwsgi_temp_path {dir}/uwsgi;
  scgi_temp_path {dir}/scgi;
  keepalive_requests 1000000;
  server {{
    listen 127.0.0.1:{port};
    location = /status {{ stub_status; }}
    location / {{ client_body_buffer_size 64k; return 200 "ok"; }}
  }}
}}
"""


class Receiver:
    """nginx answering 200 to every POST (the fastest local receiver there is); counts requests."""

    def __init__(self):
        self.port = free_port()
        self.dir = os.path.join(WORK, "nginx")
        os.makedirs(self.dir, exist_ok=True)
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(dir=self.dir, port=self.port))
        self.proc = Proc("nginx", [shutil.which("nginx") or "/usr/sbin/nginx", "-c", conf, "-p", self.dir, "-e", os.path.join(self.dir, "error.log")])
        self.polls = 0
        wait_for(lambda: self._count_raw() is not None, 10, "nginx")

    def _count_raw(self):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/status", timeout=2) as response:
                text = response.read().decode()
            self.polls += 1
            return int(text.splitlines()[2].split()[2])
        except OSError:
            return None

    def posts(self):
        """POSTs received so far (requests minus our own status reads, this one included)."""
        count = self._count_raw()
        return None if count is None else count - self.polls

    def url(self):
        return f"http://127.0.0.1:{self.port}/hook"


def webhook_run(server, jobs, receiver, dead_every=0):
    endpoint = "hooks"
    server.client.flushall()
    dead_url = f"http://127.0.0.1:{free_port()}/hook"  # nothing listens there: connection refused
    ids = jobs.preload(endpoint, N, webhook_for=lambda i: dead_url if dead_every and i % dead_every == 0 else receiver.url())
    healthy_ids = [job_id for i, job_id in enumerate(ids) if not (dead_every and i % dead_every == 0)]
    target = len(healthy_ids)
    base = receiver.posts()
    before = server.commandstats()
    notifier = Proc("notifier", [BINARY, "notifier", "--redis-url", server.url, "--allow-private-webhooks",
                                 "--log-level", LOG_LEVEL, *EXTRA["notifier"]])
    meter = CPUMeter({"notifier": (notifier.pid, False), "redis": (server.proc.pid, False), "nginx": (receiver.proc.pid, True)})
    meter.start()
    profiler = Profiler(f"notifier{'-dead' if dead_every else ''}", notifier.pid)
    try:
        wait_for(lambda: (receiver.posts() or 0) - base >= target or notifier.proc.poll() is not None,
                 timeout=max(120, N / 100), what="healthy deliveries", interval=0.05)
        meter.stop()
        profiler.stop()
    finally:
        stopping = time.monotonic()
        notifier.stop()  # SIGTERM, then SIGKILL after 20 s
        stop_s = round(time.monotonic() - stopping, 1)
    delta = stats_delta(before, server.commandstats())
    received = receiver.posts() - base
    # Exact times from the delivery log the notifier keeps per job (`at` of each attempt, ms).
    healthy_at, dead_attempts, request_ms = [], 0, []
    for start in range(0, len(ids), 2000):
        pipe = server.client.pipeline(transaction=False)
        for job_id in ids[start:start + 2000]:
            pipe.lrange(f"{PREFIX}job:{job_id}:deliveries", 0, -1)
        for entries in pipe.execute():
            for entry in entries:
                attempt = json.loads(entry)
                if attempt.get("statusCode") == 200:
                    healthy_at.append(attempt["at"])
                    request_ms.append(attempt["latencyMs"])
                else:
                    dead_attempts += 1
    span = (max(healthy_at) - min(healthy_at)) / 1000 if len(healthy_at) > 1 else None
    result = {
        "jobs": N, "dead_receiver_share": (1 / dead_every) if dead_every else 0, "healthy_target": target,
        "healthy_received_by_nginx": received, "healthy_logged": len(healthy_at), "dead_attempts_logged": dead_attempts,
        "deliveries_per_s": round((len(healthy_at) - 1) / span) if span else None, "span_s": span,
        # Each healthy attempt's request time as the notifier logged it (send to answer read).
        "request_ms_p50_p99": [percentile(request_ms, 50), percentile(request_ms, 99)],
        # EVALSHA is only ever sent by clients: 1 per delivery is the floor (the lane's advance);
        # more means lanes deferred and taken again. (Top-level TIME calls cannot be told apart
        # from the scripts' in commandstats; the MONITOR audit counts them exactly.)
        "evalsha_per_delivery": round(delta.get("evalsha", 0) / max(len(healthy_at) + dead_attempts, 1), 2),
        "redis_commands_per_delivery": round(sum(delta.values()) / max(len(healthy_at), 1), 2),
        "commands": delta, "cpu": meter.summary(), "notifier_exit_after_sigterm_s": stop_s,
    }
    log(f"webhooks (dead every {dead_every or '-'}): {result['deliveries_per_s']}/s, request ms p50/p99 {result['request_ms_p50_p99']}, cpu {result['cpu']}")
    return result


PEERS = ("rq", "arq", "sidekiq", "bullmq")
BULLMQ_PYTHON = os.environ.get("BENCH_BULLMQ_PYTHON") or os.path.join(ROOT, ".venv-bench-bullmq", "bin", "python")
SIDEKIQ_CONCURRENCIES = (10, 25)


def last_json(text):
    """The last line of a peer's output that is a JSON object (its one result line)."""
    for line in reversed(text.strip().splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                continue
    raise RuntimeError(f"no JSON result line in: {text[-2000:]}")


def peer_enqueue(server, peer, kind, args, **run):
    """Flushes Redis, runs one producer process to its end; jobs/s from the producer's own timing,
    its CPU, and Redis' used_memory delta over the jobs it queued (no worker running)."""
    server.client.flushall()
    memory_before = server.used_memory()
    out, err, wall, code = run_timed(args, cwd=HERE, **run)
    if code != 0:
        raise RuntimeError(f"{peer} enqueue ({kind}) failed: {err or out}")
    enqueued = last_json(out)
    result = {
        "kind": kind, "config": enqueued["config"], "jobs": enqueued["jobs"],
        "per_s": round(enqueued["jobs"] / enqueued["seconds"]), "cpu_s": round(run_timed.cpu, 2),
        "memory_per_queued_job_bytes": round((server.used_memory() - memory_before) / enqueued["jobs"]),
    }
    log(f"{peer}: enqueue {kind} ({result['config']}) {result['per_s']}/s, "
        f"{result['memory_per_queued_job_bytes']} B per queued job")
    return result


def peer_work(server, name, args, env=None, finished=None):
    """Starts a worker process on the queued jobs and meters it and redis-server until it exits
    by itself or, for a worker with no burst mode, until finished() (polled every 50 ms) says
    all jobs are done; then it is stopped with TERM. CPU is sampled while the worker is alive."""
    work = Proc(name, args, env=env, cwd=HERE)
    meter = CPUMeter({"worker": (work.pid, True), "redis": (server.proc.pid, False)})
    meter.start()
    deadline = time.monotonic() + max(300, N / 50)
    last = meter._read()
    while work.proc.poll() is None and time.monotonic() < deadline:
        last = meter._read()
        if finished and finished():
            break
        time.sleep(0.05)
    meter.used = {key: round(last[key] - meter.before[key], 2) for key in last}
    meter.wall = time.monotonic() - meter.wall
    timed_out = work.proc.poll() is None and not (finished and finished())
    work.stop()
    if timed_out:
        raise RuntimeError(f"{name} did not finish within the time limit: {work.output()[-2000:]}")
    return work, meter


def processed(times, config, meter, worked=None):
    span = times["last_end"] - times["first_start"]
    result = {
        "config": config, "processed": times["finished"],
        "per_s": round(times["finished"] / span) if span > 0 else None, "span_s": round(span, 3),
        "cpu": meter.summary(), "redis_cpu_us_per_job": round(meter.used["redis"] * 1e6 / max(times["finished"], 1), 1),
    }
    if worked and "seconds" in worked:
        result["worker_wall_s"] = round(worked["seconds"], 2)
    if times["finished"] < N:
        result["warning"] = f"only {times['finished']} of {N} jobs processed"
    log(f"process ({config}): {result['per_s']}/s, Redis CPU {result['redis_cpu_us_per_job']} µs/job")
    return result


def python_peer(server, peer, python, enqueues):
    """RQ, arq or BullMQ: each enqueue of `enqueues` [(kind, subcommand)] into an empty Redis,
    the first one then processed by one worker (peers.py PEER-work, PEER-times)."""
    script = os.path.join(HERE, "peers.py")
    result = {"enqueue": [], "process": []}
    for index, (kind, command) in enumerate(enqueues):
        result["enqueue"].append(peer_enqueue(server, peer, kind, [python, script, command, str(server.port), str(N)]))
        if index > 0:
            continue
        work, meter = peer_work(server, f"{peer}-worker", [python, script, f"{peer}-work", str(server.port), str(N)])
        worked = last_json(work.output())
        out, err, _, code = run_timed([python, script, f"{peer}-times", str(server.port)], cwd=HERE)
        if code != 0:
            raise RuntimeError(f"{peer} times failed: {err}")
        result["process"].append(processed(last_json(out), worked["config"], meter, worked))
    result["memory_per_queued_job_bytes"] = result["enqueue"][0]["memory_per_queued_job_bytes"]
    return result


def ruby_yjit():
    """Whether this Ruby runs with `--yjit` (YJIT compiled in and enabled by the flag)."""
    probe = subprocess.run(["ruby", "--yjit", "-e", "exit(defined?(RubyVM::YJIT) && RubyVM::YJIT.enabled? ? 0 : 1)"],
                           capture_output=True, text=True)
    return probe.returncode == 0


def sidekiq_peer(server):
    """Sidekiq from Debian: 4 runs, each into an empty Redis: perform_async then push_bulk, each
    without and with YJIT; each run's jobs processed by one worker process (-c 10 after the
    perform_async runs, -c 25 after the push_bulk runs), without or with YJIT as its producer."""
    sidekiq = shutil.which("sidekiq")
    if not shutil.which("ruby") or not sidekiq or subprocess.run(["ruby", "-e", 'require "sidekiq"'],
                                                                 capture_output=True).returncode != 0:
        raise RuntimeError("Sidekiq not found: run `scripts/install-deps.sh bench` (Debian's ruby-sidekiq)")
    script = os.path.join(HERE, "sidekiq_peer.rb")
    version = subprocess.run(["ruby", "-e", 'require "sidekiq"; print RUBY_VERSION, " ", Sidekiq::VERSION, " ", Redis::VERSION'],
                             capture_output=True, text=True).stdout.split()
    yjit = ruby_yjit()
    result = {"enqueue": [], "process": [], "yjit_available": yjit,
              "versions": dict(zip(("ruby", "sidekiq", "redis_rb"), version))}
    runs = [(kind, command, concurrency, jit)
            for (kind, command), concurrency in zip((("one", "enqueue"), ("batch", "push-bulk")), SIDEKIQ_CONCURRENCIES)
            for jit in (False, True)]
    for kind, command, concurrency, jit in runs:
        config = f"concurrency {concurrency}" + (", YJIT" if jit else "")
        if jit and not yjit:
            log(f"sidekiq: {config}: not available (this Ruby has no YJIT)")
            result["process"].append({"config": config, "per_s": None, "unavailable": "no YJIT in this Ruby"})
            label = {"enqueue": "perform_async, one job per call", "push-bulk": "Client.push_bulk, batches of 1000"}[command]
            result["enqueue"].append({"kind": kind, "config": f"{label}, YJIT", "per_s": None,
                                      "unavailable": "no YJIT in this Ruby"})
            continue
        ruby = ["ruby", "--yjit"] if jit else ["ruby"]
        result["enqueue"].append(peer_enqueue(server, "sidekiq", kind, ruby + [script, command, str(server.port), str(N)]))
        done_key = "bench:sidekiq:done"

        def finished():
            return server.client.exists(done_key) and server.client.llen("queue:bench") == 0

        work, meter = peer_work(server, f"sidekiq-worker-c{concurrency}{'-yjit' if jit else ''}",
                                ruby + [sidekiq, "-r", script, "-c", str(concurrency), "-q", "bench", "-t", "10"],
                                env={"BENCH_REDIS_PORT": str(server.port), "BENCH_N": str(N)}, finished=finished)
        worked = last_json(work.output())
        if worked.get("yjit") != jit:
            raise RuntimeError(f"sidekiq worker ran with yjit={worked.get('yjit')}, wanted {jit}")
        entry = processed(worked, config, meter)
        # Sidekiq's own counter (flushed by its heartbeat and at exit) must agree.
        entry["stat_processed"] = int(server.client.get("stat:processed") or 0)
        if entry["stat_processed"] != N:
            entry["warning"] = f"stat:processed is {entry['stat_processed']}, not {N}"
        result["process"].append(entry)
    result["memory_per_queued_job_bytes"] = result["enqueue"][0]["memory_per_queued_job_bytes"]
    return result


def section_peers(server):
    """Each peer not in BENCH_SKIP, one after the other, Redis flushed before each enqueue."""
    results = {}
    for peer in PEERS:
        if peer in SKIP:
            continue
        if peer == "rq":
            results[peer] = python_peer(server, peer, sys.executable, [("batch", "rq-enqueue")])
        elif peer == "arq":
            results[peer] = python_peer(server, peer, sys.executable, [("one", "arq-enqueue")])
        elif peer == "bullmq":
            if not os.access(BULLMQ_PYTHON, os.X_OK):
                raise RuntimeError(f"no bullmq interpreter at {BULLMQ_PYTHON} (bench/run.sh makes .venv-bench-bullmq)")
            results[peer] = python_peer(server, peer, BULLMQ_PYTHON,
                                        [("one", "bullmq-add"), ("batch", "bullmq-add-bulk")])
        elif peer == "sidekiq":
            results[peer] = sidekiq_peer(server)
    server.client.flushall()
    return results


def best_peer(peers, part, kind=None):
    """(peer name, figure) of the highest jobs/s among all peers' `part` ("enqueue" or "process")
    figures, of one kind of enqueue ("one" by one or "batch") when given."""
    candidates = [(name, x) for name, peer in peers.items() for x in peer[part]
                  if x.get("per_s") and (kind is None or x.get("kind") == kind)]
    return max(candidates, key=lambda c: c[1]["per_s"], default=(None, None))


# ---------------------------------------------------------------- table

def fmt(value, digits=0):
    if value is None:
        return "—"
    if isinstance(value, float) and digits:
        return f"{value:,.{digits}f}"
    return f"{value:,.0f}" if isinstance(value, (int, float)) else str(value)


def ratio(a, b):
    return round(a / b, 2) if a and b else None


def build_rows(r):
    rows = []  # (section, measure, value, baseline, ratio, target, met)

    def add(section, measure, value, baseline="", rat=None, target="", met=None):
        rows.append((section, measure, value, baseline, "" if rat is None else f"{rat:.2f}×" if rat >= 0.1 else f"{rat:.3f}×",
                     target, "" if met is None else ("yes" if met else "NO")))

    def add_cpu(section, unit, cpu, count, processes):
        """CPU per unit of work (µs) of each process, and how many cores each kept busy."""
        labels = {name: label for name, label in processes}
        add(section, f"CPU per {unit}: " + " / ".join(labels.values()),
            " / ".join(str(round(cpu[name]["cpu_s"] * 1e6 / max(count, 1))) for name in labels) + " µs",
            "cores busy " + " / ".join(str(cpu[name]["cores"]) for name in labels))

    red = r.get("redis")
    if red:
        add("1 Redis limit", "EVALSHA submit script (64 clients)", f"{fmt(red['evalsha_submit']['ops_per_s'])}/s")
        add("1 Redis limit", "LPUSH (64 clients)", f"{fmt(red['lpush']['ops_per_s'])}/s")
        add("1 Redis limit", "XADD events-shaped (64 clients)", f"{fmt(red['xadd']['ops_per_s'])}/s")
    limit = red["evalsha_submit"]["ops_per_s"] if red else None
    s = r.get("submit")
    if s:
        add("2 Submit", f"POST /run, wrk {CONNECTIONS} conns {SUBMIT_SECONDS}s", f"{fmt(s['jobs_per_s'])} jobs/s",
            f"EVALSHA {fmt(limit)}/s", ratio(s["jobs_per_s"], limit), "≥ 20,000/s", s["jobs_per_s"] >= 20000)
        add("2 Submit", "latency p50 / p99 (wrk)", f"{s['p50_ms']:.2f} / {s['p99_ms']:.2f} ms")
        add_cpu("2 Submit", "job", s["cpu"], s["jobs_in_redis"], [("api", "api"), ("redis", "redis"), ("wrk", "wrk")])
    d = r.get("dispatch")
    if d:
        redis_limit = round(1e6 / d["redis_cpu_us_per_job"]) if d.get("redis_cpu_us_per_job") else None
        add("3 Dispatch", f"{fmt(N)} no-op jobs, 1 manager, persistent ×{CONCURRENCY}", f"{fmt(d['jobs_per_s'])} jobs/s",
            f"Redis CPU/job → {fmt(redis_limit)}/s", ratio(d["jobs_per_s"], redis_limit), "≥ 5,000/s",
            (d["jobs_per_s"] or 0) >= 5000)
        full_queue = round(d["round_trips_per_job"] + (s["round_trips_per_job"] if s else 1), 2)
        a = r.get("audit")
        if a:
            add("3 Dispatch", "Redis round trips per job lifecycle (MONITOR)", f"{a['lifecycle_per_job']}",
                f"api {a['submit_per_job']} + worker {a['worker_per_job']}; full queue {full_queue}", None,
                "≤ 6", max(a["lifecycle_per_job"], full_queue) <= 6)
        else:
            add("3 Dispatch", "Redis round trips per job lifecycle (commandstats)", f"{full_queue}",
                f"submit {s['round_trips_per_job'] if s else '1 (not measured)'} + worker {d['round_trips_per_job']}",
                None, "≤ 6", full_queue <= 6)
        add("3 Dispatch", "Redis commands per lifecycle (incl. in scripts)",
            f"{round(d['redis_commands_per_job'] + (s['redis_commands_per_job'] if s else 0), 1)}")
        add("3 Dispatch", "Redis memory per queued job (100-byte input)", f"{fmt(d.get('memory_per_queued_job_bytes'))} B")
        add_cpu("3 Dispatch", "job", d["cpu"], d["completed"],
                [("worker-1", "manager"), ("handlers", "handlers"), ("redis", "redis")])
    lat = r.get("latency")
    if lat:
        add("3 Dispatch", f"submit→IN_PROGRESS at {fmt(lat['rate_sent'])} jobs/s p50 / p99",
            f"{fmt(lat['submit_to_in_progress_p50_ms'])} / {fmt(lat['submit_to_in_progress_p99_ms'])} ms",
            f"→COMPLETED {fmt(lat['submit_to_completed_p50_ms'])} / {fmt(lat['submit_to_completed_p99_ms'])} ms")
    w = r.get("webhooks")
    if w:
        h, dd = w["healthy"], w.get("with_dead")
        add("4 Webhooks", "deliveries/s, one notifier → nginx", f"{fmt(h['deliveries_per_s'])}/s", "", None,
            "≥ 5,000/s", (h["deliveries_per_s"] or 0) >= 5000)
        if dd:
            rr = ratio(dd["deliveries_per_s"], h["deliveries_per_s"])
            add("4 Webhooks", "healthy deliveries/s with 10% to a dead receiver", f"{fmt(dd['deliveries_per_s'])}/s",
                f"{fmt(h['deliveries_per_s'])}/s alone", rr, "≥ 0.90×", (rr or 0) >= 0.9)
        add_cpu("4 Webhooks", "delivery", h["cpu"], h["healthy_logged"],
                [("notifier", "notifier"), ("redis", "redis"), ("nginx", "nginx")])
        add("4 Webhooks", "EVALSHA per delivery with a backlog", f"{h['evalsha_per_delivery']}", "1.0 = no lane deferred")
    a = r.get("audit")
    if a:
        add("4 Webhooks", "notifier round trips per delivery (MONITOR)", f"{a['notifier_per_delivery']}",
            f"{a['deliveries']} deliveries, live (3 a job)")
    p = r.get("peers")
    if p:
        kinds = {"one": "one by one", "batch": "batch"}
        for name, x in p.items():
            for e in x["enqueue"]:
                value = f"{fmt(e['per_s'])} jobs/s" if e.get("per_s") else f"not available ({e.get('unavailable', 'failed')})"
                cpu = f"producer CPU {round(e['cpu_s'] * 1e6 / max(e['jobs'], 1))} µs/job" if "cpu_s" in e else ""
                add("5 Peers", f"{name}: enqueue {kinds[e['kind']]} ({e['config']})", value, cpu)
            for w in x["process"]:
                value = f"{fmt(w['per_s'])} jobs/s" if w.get("per_s") else f"not available ({w.get('unavailable', 'failed')})"
                cpu = ""
                if "redis_cpu_us_per_job" in w:
                    worker_us = round(w["cpu"]["worker"]["cpu_s"] * 1e6 / max(w["processed"], 1))
                    cpu = f"CPU per job: worker / redis {worker_us} / {fmt(w['redis_cpu_us_per_job'])} µs"
                add("5 Peers", f"{name}: process ({w['config']})", value, cpu)
        ours = d.get("memory_per_queued_job_bytes") if d else None
        add("5 Peers", "Redis memory per queued job: " + " / ".join(p), " / ".join(fmt(x.get("memory_per_queued_job_bytes")) for x in p.values()) + " B",
            f"ours {fmt(ours)} B" if ours else "")

        def best(part, kind=None):
            name, x = best_peer(p, part, kind)
            return (x["per_s"], f"{name} {fmt(x['per_s'])}/s ({x['config']})") if x else (None, "—")

        one_s, one_label = best("enqueue", "one")
        batch_s, batch_label = best("enqueue", "batch")
        proc_s, proc_label = best("process")
        if s:
            rr = ratio(s["jobs_per_s"], one_s)
            add("5 Peers", "our submit vs best peer one-by-one enqueue", f"{fmt(s['jobs_per_s'])}/s", one_label,
                rr, "≥ 2×", (rr or 0) >= 2)
        # Hook for a later "batch submit" of ours (r["batch_submit"]["jobs_per_s"]): compared
        # with the best batch enqueue (RQ enqueue_many, Sidekiq push_bulk, BullMQ addBulk).
        bs = r.get("batch_submit")
        if bs:
            rr = ratio(bs["jobs_per_s"], batch_s)
            add("5 Peers", "our batch submit vs best peer batch enqueue", f"{fmt(bs['jobs_per_s'])}/s", batch_label,
                rr, "≥ 1×", (rr or 0) >= 1)
        if d:
            rr = ratio(d["jobs_per_s"], proc_s)
            add("5 Peers", "our dispatch vs best peer processing", f"{fmt(d['jobs_per_s'])}/s", proc_label,
                rr, "≥ 2×", (rr or 0) >= 2)
    sc = r.get("scaling")
    if sc:
        one = sc.get("1", {}).get("jobs_per_s")
        for k in ("1", "2", "4"):
            if k in sc:
                x = sc[k]
                add("6 Scaling", f"{k} manager(s) × {CONCURRENCY} handlers ({os.cpu_count()} cores)", f"{fmt(x['jobs_per_s'])} jobs/s",
                    "1 manager" if k != "1" else "", ratio(x["jobs_per_s"], one) if k != "1" else None)
    return rows


def render(rows, markdown=False):
    header = ("section", "measure", "value", "baseline (same run)", "ratio", "target", "met")
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(len(header))]
    line = lambda row: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(row)).rstrip()
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(row) for row in rows])


def machine():
    model = ""
    with open("/proc/cpuinfo") as f:
        for text in f:
            if text.startswith("model name"):
                model = text.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "Sources"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model, "cores": os.cpu_count(), "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        "kernel": platform.release(), "load_average_at_start": os.getloadavg(),
        "commit": commit + ("+dirty Sources" if dirty else ""), "binary": BINARY,
    }


def orchestrator_sections(server):
    """Sections 1-4, 6 and the audit: the API and the roles of ORCHESTRATOR_BINARY."""
    global TEMPLATE
    results = {}
    api = start_api(server)
    # One job through the API: the template for preloaded jobs and the script the API runs.
    sha, reply = submit_script_sha(server, api)
    TEMPLATE = server.client.hgetall(PREFIX + "job:" + reply["id"])
    if not server.client.script_exists(sha)[0]:
        raise RuntimeError(f"the API's submit script {sha} is not in Redis' script cache")
    jobs = Jobs(server, sha, TEMPLATE)
    server.client.flushall()

    if "redis" not in SKIP:
        results["redis"] = section_redis(server, sha)
    if "submit" not in SKIP:
        results["submit"] = section_submit(server, api)
    if "dispatch" not in SKIP:
        results["dispatch"] = dispatch_run(server, jobs, 1, measure_memory=True)
    if "latency" not in SKIP:
        results["latency"] = section_latency(server, api, jobs)
    if "scaling" not in SKIP:
        results["scaling"] = {"1": results.get("dispatch") or dispatch_run(server, jobs, 1)}
        for managers in (2, 4):
            results["scaling"][str(managers)] = dispatch_run(server, jobs, managers)
    if "webhooks" not in SKIP or "audit" not in SKIP:
        receiver = Receiver()
        try:
            if "webhooks" not in SKIP:
                # Alone and with a dead receiver, alternately, WEBHOOK_REPEATS times each; the
                # table takes each one's best (noise on a shared machine only ever slows a run).
                runs = {"healthy": [], "with_dead": []}
                for _ in range(WEBHOOK_REPEATS):
                    runs["healthy"].append(webhook_run(server, jobs, receiver))
                    runs["with_dead"].append(webhook_run(server, jobs, receiver, dead_every=10))
                results["webhooks"] = {
                    kind: dict(max(done, key=lambda r: r["deliveries_per_s"] or 0),
                               all_runs_per_s=[r["deliveries_per_s"] for r in done])
                    for kind, done in runs.items()
                }
            if "audit" not in SKIP:
                results["audit"] = section_audit(server, api, receiver)
        finally:
            receiver.proc.stop()
    api.stop()  # idle from here on; the peers have Redis to themselves
    return results


ORCHESTRATOR_SECTIONS = ("redis", "submit", "dispatch", "latency", "scaling", "webhooks", "audit")


def main():
    # With every orchestrator section skipped (only the peers run) no binary is needed.
    orchestrator = not SKIP.issuperset(ORCHESTRATOR_SECTIONS)
    if orchestrator and not os.access(BINARY, os.X_OK):
        sys.exit(f"no orchestrator binary at {BINARY} (set ORCHESTRATOR_BINARY or run `make bench`)")
    started = time.monotonic()
    results = {"machine": machine(), "settings": {
        "N": N, "submit_seconds": SUBMIT_SECONDS, "connections": CONNECTIONS, "handlers_per_manager": CONCURRENCY,
        "log_level": LOG_LEVEL, "redis": "redis-server on loopback TCP, no persistence (save '' appendonly no), noeviction",
        "input_bytes": len(INPUT), "handler": "bench/noop_handler.py (python3, persistent runtime)",
        "extra_flags": EXTRA,
    }}
    if not orchestrator:
        results["machine"]["binary"] = None
    log(f"work dir {WORK}; binary {BINARY if orchestrator else '(none: orchestrator sections skipped)'}; N={N}")
    server = RedisServer()
    results["machine"]["redis"] = server.version
    try:
        if orchestrator:
            results.update(orchestrator_sections(server))
        if "peers" not in SKIP:
            results["peers"] = section_peers(server)
    finally:
        for proc in reversed(started_processes):
            proc.stop()
    results["seconds"] = round(time.monotonic() - started)
    rows = build_rows(results)
    table = render(rows)
    header = (f"{results['machine']['date']} · {results['machine']['cpu']} · {results['machine']['cores']} cores · "
              f"Redis {results['machine']['redis']} · commit {results['machine']['commit']} · N={N} · "
              f"load avg at start {results['machine']['load_average_at_start'][0]:.2f} · {results['seconds']} s")
    print()
    print(header)
    print(table)
    results["table"] = [dict(zip(("section", "measure", "value", "baseline", "ratio", "target", "met"), row)) for row in rows]
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", "latest.json"), "w") as f:
        json.dump(results, f, indent=2)
    with open(os.path.join(HERE, "results", "latest.md"), "w") as f:
        f.write(header + "\n\n" + render(rows, markdown=True) + "\n")
    shutil.rmtree(WORK, ignore_errors=True)
    log("wrote bench/results/latest.json and latest.md")


if __name__ == "__main__":
    main()
