"""docker/check.py: the Dockerfile and compose files checked without a Docker engine, against the real binary."""
import os
import subprocess
import sys

from conftest import BINARY

CHECK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docker", "check.py")


def test_docker_files_pass_their_checks():
    done = subprocess.run([sys.executable, CHECK, "--binary", BINARY], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "init: true" in done.stdout and 'ENTRYPOINT ["tini", "--", "orchestrator"]' in done.stdout
