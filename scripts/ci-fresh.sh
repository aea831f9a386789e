#!/usr/bin/env bash
# The fresh-machine check (`npm run ci:fresh`): what CI does, without this machine's caches.
#   - a clean clone of the committed HEAD (uncommitted changes are NOT tested: commit first),
#   - shared/ beside it, as CI lays it out,
#   - empty XDG_CACHE_HOME (so code-server is installed from nothing) and an empty npm cache,
#   - started from inside an npm script, so the npm_config_* variables the outer npm exports reach
#     every nested install exactly as they do in CI's chain,
#   - then `bash .ci/run` with CI=true, and a check that it left every tracked file unchanged.
# System packages (Chromium, code-server's build dependencies) cannot be un-installed here; the
# scripts that install them when missing are covered by test/unit/install-scripts.test.ts.
# Keeps the work folder on failure (its path is printed); removes it on success unless KEEP=1.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SHARED="${CHECKPOINT_LENS_SHARED:-$ROOT/../shared}"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/cl-ci-fresh.XXXXXX")"
echo "[ci:fresh] work folder: $WORK" >&2
git clone -q "$ROOT" "$WORK/repo"
if [[ -d "$SHARED" ]]; then ln -s "$(cd "$SHARED" && pwd)" "$WORK/shared"; else echo "[ci:fresh] no shared/ at $SHARED: tests that need it will skip" >&2; fi
mkdir -p "$WORK/cache" "$WORK/npm-cache"
start=$(date +%s)
set +e
(cd "$WORK/repo" && env CI=true XDG_CACHE_HOME="$WORK/cache" npm_config_cache="$WORK/npm-cache" bash .ci/run)
rc=$?
set -e
# Tests never modify tracked files: the clone must be as clean after the run as before it.
dirty="$(git -C "$WORK/repo" status --porcelain --untracked-files=no)"
if [[ -n "$dirty" ]]; then
  echo "[ci:fresh] the test run modified tracked files:" >&2
  echo "$dirty" >&2
  [[ $rc -eq 0 ]] && rc=3
fi
echo "[ci:fresh] .ci/run exited $rc after $(( $(date +%s) - start )) s (clean clone of $(git -C "$ROOT" rev-parse --short HEAD))" >&2
if [[ $rc -eq 0 && "${KEEP:-0}" != 1 ]]; then rm -rf "$WORK"; fi
exit $rc
