#!/bin/sh
# The image's HEALTHCHECK, for every role. It finds the orchestrator process (PID 1, or the
# child of an init such as `docker run --init`) and reads its role from its command line:
#   api, dev          GET /ready on 127.0.0.1 (port from --port, else ORCH_PORT, else 8080):
#                     healthy while Redis answers and the scripts are loaded
#   worker, notifier  the process is alive (both log and retry when Redis is away; a worker's
#                     liveness in Redis is its heartbeat in orch:workers)
set -eu
for dir in /proc/[0-9]*; do
  [ -r "$dir/cmdline" ] || continue
  args=$(tr '\0' '\n' < "$dir/cmdline" 2>/dev/null) || continue
  first=$(printf '%s\n' "$args" | sed -n 1p)
  case "$first" in
    orchestrator|*/orchestrator) ;;
    *) continue ;;
  esac
  role=$(printf '%s\n' "$args" | sed -n 2p)
  case "$role" in
    api|dev)
      port=$(printf '%s\n' "$args" | awk 'prev == "--port" { print; exit } /^--port=/ { sub(/^--port=/, ""); print; exit } { prev = $0 }')
      port=${port:-${ORCH_PORT:-8080}}
      [ "$port" != 0 ] || port=${ORCH_PORT:-8080}
      exec curl -fsS -o /dev/null --max-time 4 "http://127.0.0.1:${port}/ready"
      ;;
    *)
      kill -0 "${dir#/proc/}"
      exit 0
      ;;
  esac
done
echo "no orchestrator process found" >&2
exit 1
