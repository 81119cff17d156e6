#!/usr/bin/env bash
# Wait until URL answers 200, or fail after TIMEOUT seconds or as soon as process PID (optional) exits.
# Usage: wait_healthy.sh URL TIMEOUT [PID] [LOGFILE]
set -euo pipefail

url="$1"
timeout="$2"
pid="${3:-}"
log="${4:-}"

deadline=$((SECONDS + timeout))
while ((SECONDS < deadline)); do
  if curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
    echo "healthy: $url (${SECONDS}s)"
    exit 0
  fi
  if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
    echo "wait_healthy: process $pid exited before $url became healthy" >&2
    [[ -n "$log" && -f "$log" ]] && tail -n 40 "$log" >&2
    exit 1
  fi
  sleep 1
done
echo "wait_healthy: $url not healthy after ${timeout}s" >&2
[[ -n "$log" && -f "$log" ]] && tail -n 40 "$log" >&2
exit 1
