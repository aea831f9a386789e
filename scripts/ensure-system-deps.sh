#!/usr/bin/env bash
# Installs the system packages the test command needs when they are missing (Debian/Ubuntu):
# Chromium for the webview and UI tests. code-server's own build dependencies are handled by
# scripts/ensure-code-server.sh. Idempotent and quick when everything is present.
set -euo pipefail
log() { echo "[ensure-system-deps] $*" >&2; }

CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [[ -x "$CHROMIUM" ]]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  log "Chromium not found at $CHROMIUM and apt-get is not available: install Chromium and set CHROMIUM_PATH."
  exit 1
fi
SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { log "Chromium is missing and installing it needs root: apt-get install chromium"; exit 1; }
  SUDO="sudo"
fi
log "installing Debian package chromium (for the webview and UI tests)"
lock() { if command -v flock >/dev/null; then flock /tmp/apt.lock "$@"; else "$@"; fi; }
lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2 \
  || { lock $SUDO apt-get update >&2 && lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium >&2; }
[[ -x "$CHROMIUM" ]] || { log "Chromium still not found at $CHROMIUM after the install"; exit 1; }
