#!/usr/bin/env bash
# Makes (or remakes, when its requirements changed) a local virtualenv holding the Python
# packages of one requirements file. Usage: scripts/ensure-venv.sh VENV REQUIREMENTS
set -euo pipefail
VENV="$1"
REQUIREMENTS="$2"
if [ ! -x "$VENV/bin/python" ] || ! cmp -s "$REQUIREMENTS" "$VENV/.requirements"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
  cp "$REQUIREMENTS" "$VENV/.requirements"
fi
