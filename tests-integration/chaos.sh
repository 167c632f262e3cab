#!/usr/bin/env bash
# `make chaos`: the chaos suite's long form (tests-integration/chaos.py; options pass through),
# run from the integration tests' virtualenv (.venv-it, made as tests-integration/run.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."

BINARY="${ORCHESTRATOR_BINARY:-$PWD/.build/release/orchestrator}"
if [ ! -x "$BINARY" ]; then
  swift build -c release --product orchestrator
fi

VENV=.venv-it
./scripts/ensure-venv.sh "$VENV" tests-integration/requirements.txt

exec "$VENV/bin/python" -u tests-integration/chaos.py --binary "$BINARY" "$@"
