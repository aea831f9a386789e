"""Control runs for the hostile corpus (test/corpus/build.ts): proves each label with CPython.

Reads a JSON list of {"path", "control", "sentinel"} on stdin. For each file, in a fresh empty
temporary directory (also HOME and TMPDIR) it loads the file the way a victim would
(`pickle.load` for raw pickles, `torch.load` for torch files), then reports whether a PWNED_*
sentinel appeared and whether the load raised. Prints one JSON line per file.

ONLY for the neutralised payloads of this corpus: it runs them on purpose. Run it through
test/unit/hostile-corpus.test.ts (which skips it when /usr/bin/python3 or torch is missing).
"""
import json, os, pickle, shutil, sys, tempfile, time

try:
    import torch
except Exception:  # noqa: BLE001
    torch = None


def run(item):
    d = tempfile.mkdtemp(prefix='ckl-control-')
    old = os.getcwd()
    raised = None
    try:
        os.chdir(d)
        os.environ['HOME'] = d
        os.environ['TMPDIR'] = d
        try:
            if item['control'] == 'pickle':
                with open(item['path'], 'rb') as f:
                    pickle.load(f)
            else:
                if torch is None:
                    return {'path': item['path'], 'skipped': 'no torch'}
                torch.load(item['path'])
        except BaseException as e:  # noqa: BLE001
            raised = f'{type(e).__name__}: {str(e)[:200]}'
        sys.settrace(None)
        sys.setprofile(None)
        deadline = time.time() + 2.0
        hit = False
        while time.time() < deadline:
            hit = any(n.startswith('PWNED') for n in os.listdir(d))
            if hit or not item.get('sentinel'):
                break
            time.sleep(0.05)
        return {'path': item['path'], 'sentinel': hit, 'raised': raised}
    finally:
        os.chdir(old)
        shutil.rmtree(d, ignore_errors=True)


def main():
    items = json.load(sys.stdin)
    # Results go to the original stdout; whatever a payload prints (and its children) goes to stderr.
    out = os.fdopen(os.dup(1), 'w')
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    for item in items:
        out.write(json.dumps(run(item)) + '\n')
        out.flush()


if __name__ == '__main__':
    main()
