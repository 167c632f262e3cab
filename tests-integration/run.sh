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
REQUIREMENTS=tests-integration/requirements.txt
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$VENV/.requirements"
fi

exec "$VENV/bin/python" -m pytest -p no:cacheprovider tests-integration "$@"
