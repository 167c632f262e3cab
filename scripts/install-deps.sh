#!/usr/bin/env bash
# Installs what `make run` / `make test` need and is missing: redis-server and libhiredis-dev
# (plus pkg-config, which SwiftPM uses to find hiredis). Skips apt entirely when all are present.
# With the argument `test` it also installs what the tests use: podman, runc and busybox-static
# (real containers for the container runtime's tests), python3-venv and prometheus (for
# promtool, which checks every role's /metrics output). With `bench`: what
# `make bench` drives the binary with: wrk (HTTP load), nginx (webhook receiver), python3-venv,
# and Sidekiq from Debian (ruby-sidekiq, which brings Ruby and redis-rb) for the bench's peers.
set -euo pipefail

missing=()
if [ "${1:-}" = "test" ]; then
  command -v podman >/dev/null 2>&1 || missing+=(podman)
  command -v runc >/dev/null 2>&1 || [ -x /usr/sbin/runc ] || missing+=(runc)
  [ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || missing+=(busybox-static)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
fi
if [ "${1:-}" = "bench" ]; then
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || missing+=(python3-venv)
  command -v ruby >/dev/null 2>&1 && ruby -e 'require "sidekiq"' >/dev/null 2>&1 || missing+=(ruby-sidekiq)
fi
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || missing+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || missing+=(redis-tools)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
if ! pkg-config --exists hiredis 2>/dev/null && [ ! -f /usr/include/hiredis/hiredis.h ]; then
  missing+=(libhiredis-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "installing: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
# Another apt (unattended upgrades, a parallel set-up) may hold the lock: wait for it.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${missing[@]}" >/dev/null
# Debian's package starts a system-wide redis on 6379 where systemd runs; we never use it
# (every role talks to a Redis we start or one you name), so leave it as the system wants.
echo "installed: ${missing[*]}"
