#!/usr/bin/env bash
# Runs the bench (bench.py) with its helper virtualenv .venv-bench (RQ, arq, redis-py), made
# here on first use. ORCHESTRATOR_BINARY names the binary to measure (the Makefile sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import rq, arq, redis' >/dev/null 2>&1 \
   || ! cmp -s bench/requirements.txt "$VENV/.requirements"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r bench/requirements.txt
  cp bench/requirements.txt "$VENV/.requirements"
fi
exec "$VENV/bin/python" -u bench/bench.py "$@"
