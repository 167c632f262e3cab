#!/usr/bin/env bash
# Runs the bench (bench.py) with its helper virtualenv .venv-bench (RQ, arq, redis-py), made
# here on first use, and .venv-bench-bullmq for the BullMQ peer (it needs a redis-py that arq
# does not accept). Sidekiq comes from Debian (scripts/install-deps.sh bench). ORCHESTRATOR_BINARY
# names the binary to measure (the Makefile sets it).
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=.venv-bench
./scripts/ensure-venv.sh "$VENV" bench/requirements.txt
case ",${BENCH_SKIP:-}," in
  *,peers,*|*,bullmq,*) ;;
  *) ./scripts/ensure-venv.sh .venv-bench-bullmq bench/requirements-bullmq.txt
     export BENCH_BULLMQ_PYTHON="$PWD/.venv-bench-bullmq/bin/python" ;;
esac
exec "$VENV/bin/python" -u bench/bench.py "$@"
