"""Peer verdicts for bench/hostile-scanners.ts: picklescan and torch.load(weights_only=True).

Reads a JSON list of absolute paths on stdin; prints one JSON line per file:
  {"path", "picklescan": "flagged"|"clean"|"error", "picklescan_globals": [...],
   "weights_only": "refused-unsafe"|"refused-error"|"loaded", "weights_only_error": str,
   "sentinel": bool}
torch.load(weights_only=True) never calls globals outside its allowlist, but each load still runs
in an empty temporary directory and the sentinel is checked, as a safety net.

Run with the venv that has picklescan (pip install picklescan==1.0.5) and torch (1.13 here):
  /opt/venv-hostile/bin/python bench/hostile_scanners.py < paths.json
"""
import json, os, shutil, sys, tempfile

import torch
from picklescan.scanner import scan_file_path


def picklescan(path):
    try:
        r = scan_file_path(path)
    except Exception as e:  # noqa: BLE001
        return 'error', [], str(e)[:200]
    names = sorted({f'{g.module}.{g.name}' for g in r.globals if getattr(g, 'safety', None) is not None and g.safety.name != 'Innocuous'})
    if r.issues_count > 0 or r.infected_files > 0:
        return 'flagged', names, ''
    if r.scan_err:
        return 'error', names, 'scan error'
    return 'clean', names, ''


def weights_only(path):
    d = tempfile.mkdtemp(prefix='ckl-wo-')
    old = os.getcwd()
    try:
        os.chdir(d)
        try:
            torch.load(path, weights_only=True)
            verdict, msg = 'loaded', ''
        except BaseException as e:  # noqa: BLE001
            msg = f'{type(e).__name__}: {str(e)[:300]}'
            unsafe = 'Weights only load failed' in msg or 'Unsupported' in msg or 'global' in msg.lower()
            verdict = 'refused-unsafe' if unsafe else 'refused-error'
        hit = any(n.startswith('PWNED') for n in os.listdir(d))
        return verdict, msg, hit
    finally:
        os.chdir(old)
        shutil.rmtree(d, ignore_errors=True)


def main():
    paths = json.load(sys.stdin)
    out = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for p in paths:
        ps, names, _ = picklescan(p)
        wo, msg, hit = weights_only(p)
        out.write(json.dumps({'path': p, 'picklescan': ps, 'picklescan_globals': names[:10], 'weights_only': wo, 'weights_only_error': msg[:200], 'sentinel': hit}) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
