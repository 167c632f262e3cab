#!/usr/bin/env bash
# Black-box tests: the real `orchestrator` binary, a real redis-server, real HTTP.
# Runs pytest from a local virtualenv (.venv-it) holding the test-only Python packages.
set -euo pipefail
cd "$(dirname "$0")/.."

BINARY="${ORCHESTRATOR_BINARY:-$PWD/.build/debug/orchestrator}"
if [ ! -x "$BINARY" ]; then
  swift build --product orchestrator
fi
export ORCHESTRATOR_BINARY="$BINARY"

VENV=.venv-it
./scripts/ensure-venv.sh "$VENV" tests-integration/requirements.txt
# A RunPod SDK from before job-stop, as a worker beside the current one (test_runpod_workers.py).
./scripts/ensure-venv.sh .venv-it-runpod17 tests-integration/requirements-runpod-1.7.txt
export RUNPOD_LEGACY_PYTHON="$PWD/.venv-it-runpod17/bin/python"

exec "$VENV/bin/python" -m pytest -p no:cacheprovider tests-integration "$@"
