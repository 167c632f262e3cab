"""`orchestrator dev` (what `make run` starts): brings up its own Redis and leaves nothing behind."""
import re
import signal

from conftest import redis_cli, wait_for


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_dev_starts_redis_and_stops_everything(start_role):
    for sig in (signal.SIGINT, signal.SIGTERM):
        dev = start_role("dev")
        match = wait_for(lambda: re.search(r"Redis: redis://127\.0\.0\.1:(\d+)", dev.output()), what="Redis URL")
        port = int(match.group(1))
        assert redis_cli(port, "PING") == "PONG"
        pid = int(wait_for(lambda: re.search(r"pid=(\d+)", dev.output()), what="redis pid").group(1))
        assert alive(pid), "embedded redis-server not running"

        dev.signal(sig)
        assert dev.proc.wait(15) == 0, dev.output()
        wait_for(lambda: not alive(pid), timeout=5, what="redis-server to exit")
        assert redis_cli(port, "PING") != "PONG"
