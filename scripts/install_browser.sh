#!/usr/bin/env bash
# Chromium for the chat page's browser tests (tests/ui): Debian's package, driven by Playwright for Python.
# `playwright install` downloads its own browser, which offline CI cannot; the system one is used instead.
# Installs it with apt-get when missing and running as root (CI on a fresh clone); otherwise fails loudly.
set -euo pipefail

chromium="${CHROMIUM:-/usr/bin/chromium}"
log() { echo "install_browser: $*"; }

if [[ -x "$chromium" ]]; then
  log "$chromium present ($("$chromium" --version 2>/dev/null || echo 'version unknown'))"
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
  log "ERROR: $chromium is missing; install Debian's chromium (sudo apt-get install -y chromium) or set CHROMIUM" >&2
  exit 1
fi
log "installing Debian's chromium with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends chromium
[[ -x "$chromium" ]] || { log "ERROR: apt-get installed chromium but $chromium is still missing" >&2; exit 1; }
log "done: $("$chromium" --version 2>/dev/null || true)"
