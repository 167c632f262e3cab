#!/usr/bin/env bash
# Runs the bench (bench.py) with its helper virtualenv .venv-bench (RQ, arq, redis-py), made
# here on first use. ORCHESTRATOR_BINARY names the binary to measure (the Makefile sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
./scripts/ensure-venv.sh "$VENV" bench/requirements.txt
exec "$VENV/bin/python" -u bench/bench.py "$@"
