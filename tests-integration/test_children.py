"""Children die with their parent: a SIGKILLed orchestrator leaves no redis-server or handler behind."""
import os
import re
import signal

import requests

from conftest import HANDLER, wait_for


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def descendants(pid):
    """Every live process below `pid` (children, their children, ...)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            if fields[0] != "Z":
                parents.setdefault(int(fields[1]), []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def kill_alone(role):
    """SIGKILL the orchestrator process only (not its process group), as the OOM killer would."""
    os.kill(role.proc.pid, signal.SIGKILL)
    role.proc.wait(5)


def test_dev_redis_server_and_handlers_die_with_a_sigkilled_dev(start_role):
    dev = start_role("dev", "--port", "0")
    base = wait_for(lambda: re.search(r"API: (http://[0-9.]+:\d+)", dev.output()), what="API address").group(1)
    redis_pid = int(wait_for(lambda: re.search(r"pid=(\d+)", dev.output()), what="redis pid").group(1))
    job = requests.post(f"{base}/run", json={"input": {"sleep": 60}}, timeout=10).json()["id"]
    wait_for(lambda: requests.get(f"{base}/status/{job}", timeout=10).json()["status"] == "IN_PROGRESS",
             what="the job to start")
    children = descendants(dev.proc.pid)
    assert redis_pid in children and len(children) >= 2, children  # redis-server, the handler (sh and its child)

    kill_alone(dev)
    wait_for(lambda: not any(alive(pid) for pid in children), timeout=5,
             what=f"all of {children} to die with dev")


def start_long_job(cluster, tmp_path, runtime):
    cluster.start_api()
    worker = cluster.start_worker("--runtime", runtime, handler=HANDLER)
    pidfile = tmp_path / "pid"
    job = cluster.run({"sleep": 60, "pidfile": str(pidfile)})
    cluster.wait_status(job, "IN_PROGRESS")
    wait_for(lambda: pidfile.exists() and pidfile.read_text(), what="the handler to start")
    return worker, int(pidfile.read_text())


def test_process_runtime_handler_dies_with_a_sigkilled_worker(cluster, tmp_path):
    worker, handler = start_long_job(cluster, tmp_path, "process")
    # The handler (python) runs under `sh -c`: a grandchild of the manager, not its child.
    children = descendants(worker.proc.pid)
    assert handler in children
    kill_alone(worker)
    wait_for(lambda: not any(alive(pid) for pid in children), timeout=5,
             what=f"all of {children} to die with the worker")


def test_persistent_runtime_handlers_die_with_a_sigkilled_worker(cluster, tmp_path):
    worker, handler = start_long_job(cluster, tmp_path, "persistent")
    children = descendants(worker.proc.pid)
    assert handler in children
    kill_alone(worker)
    wait_for(lambda: not any(alive(pid) for pid in children), timeout=5,
             what=f"all of {children} to die with the worker")
