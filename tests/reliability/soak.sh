#!/usr/bin/env bash
# `make soak`: the minutes-long reliability scenarios (-m soak): 200 streaming clients for 60 s against a gateway
# process with a synthetic upstream. Figures (TTFT p50/p95, RSS first/last 20 s) go to stdout and, as JSON, to
# RELIABILITY_REPORT_DIR [<repo>/.cache/reliability].
#
# Environment: VENV [<repo>/.venv]  SOAK_CLIENTS [200]  SOAK_SECONDS [60]  PYTEST_ARGS []
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
venv="${VENV:-$repo/.venv}"
export RELIABILITY_REPORT_DIR="${RELIABILITY_REPORT_DIR:-$repo/.cache/reliability}"
export HF_HUB_OFFLINE=1

cd "$repo"
# shellcheck disable=SC2086  # PYTEST_ARGS is a list of flags
exec "$venv/bin/python" -m pytest tests/reliability -m soak -s -p no:cacheprovider ${PYTEST_ARGS:-}
