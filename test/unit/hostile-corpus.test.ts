/**
 * The hostile-file corpus (test/corpus/build.ts) and, when present, the shared peer suites
 * (../shared/data/peer-suites, a manifest with the expected kind of every file): every file is
 * read in a child process whose working directory is an empty temporary folder, and:
 * - no PWNED_* sentinel appears (nothing ran), no file hangs (a generous time bound per file),
 *   nothing crashes (every failure is an error value with a code);
 * - malicious files are flagged (non-zero exit AND pickle-code-execution-attempt or
 *   pickle-unsafe-global, not only "unreadable"); benign files are read (exit 0); malformed files
 *   are refused (non-zero exit); safetensors files match the reference implementation's verdict,
 *   except where we differ on purpose (docs/codes/readers.md, "Where we differ from the reference").
 * A control (when /usr/bin/python3 with torch exists) proves each labelled payload live with
 * CPython / torch.load, each in its own empty temporary directory.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildCorpus, type CorpusEntry, type Kind } from '../corpus/build.js';
import { runCorpus, type Outcome, type RunResult } from '../corpus/corpusRunner.js';
import { tempDir } from '../helpers/tmp.js';

const repoRoot = resolve(__dirname, '../..');
const shared = process.env.CHECKPOINT_LENS_SHARED ?? resolve(repoRoot, '..', 'shared');
const PEER = join(shared, 'data', 'peer-suites');
const PYTHON = '/usr/bin/python3';
/** tsx by absolute URL: the CLI runs in an empty temporary directory. */
const TSX = pathToFileURL(require.resolve('tsx')).href;
/** Generous: the slowest file takes well under a second on a loaded machine. */
const PER_FILE_MS = 60_000;

/** Codes whose presence is a deliberate difference from the reference (documented in docs/codes/readers.md). */
const DELIBERATE = new Set(['dtype-unknown', 'trailing-bytes']);

interface Labelled {
  readonly path: string;
  readonly kind: Kind;
  readonly tensors?: boolean;
}

function verdict(e: Labelled, o: Outcome): string | undefined {
  if (o.crash) return `crashed: ${o.crash.split('\n')[0]}`;
  const codes = new Set(o.codes);
  switch (e.kind) {
    case 'malicious':
      if (o.exit === 0) return 'malicious file exits 0';
      if (!codes.has('pickle-code-execution-attempt') && !codes.has('pickle-unsafe-global')) return `malicious file not flagged as unsafe (${o.codes.join(', ')})`;
      return undefined;
    case 'benign':
      if (o.exit !== 0) return `benign file not read (exit ${o.exit}: ${o.codes.join(', ')} ${o.message.slice(0, 160)})`;
      if (e.tensors && o.tensors + o.unreadable === 0) return 'benign file: no tensors listed';
      return undefined;
    case 'st-accept':
      return o.exit === 0 ? undefined : `reference accepts it; we exit ${o.exit} (${o.codes.join(', ')})`;
    case 'malformed':
      return o.exit !== 0 ? undefined : `malformed file exits 0 (${o.codes.join(', ')})`;
    case 'st-reject':
      if (o.exit !== 0) return undefined;
      if (o.codes.some((c) => DELIBERATE.has(c))) return undefined;
      return `reference rejects it; we exit 0 (${o.codes.join(', ')})`;
  }
}

function summarise(entries: readonly Labelled[], r: RunResult): { failures: string[]; table: string } {
  const failures: string[] = [];
  const byKind = new Map<string, { n: number; ok: number }>();
  for (const e of entries) {
    const o = r.outcomes.get(e.path);
    const why = o ? verdict(e, o) : 'no answer (hang)';
    const k = byKind.get(e.kind) ?? { n: 0, ok: 0 };
    k.n++;
    if (why === undefined) k.ok++;
    else failures.push(`${e.path}: ${why}`);
    byKind.set(e.kind, k);
  }
  const table = [...byKind].map(([k, v]) => `${k} ${v.ok}/${v.n}`).join(', ');
  return { failures, table };
}

describe('hostile corpus (built by test/corpus/build.ts)', () => {
  const dir = tempDir('ckl-hostile-corpus-');
  let entries: CorpusEntry[] = [];
  let result: RunResult;

  before(async () => {
    entries = buildCorpus(dir, join(repoRoot, 'test/fixtures/pytorch'));
    result = await runCorpus(entries.map((e) => join(dir, e.file)), PER_FILE_MS);
  });

  it('builds every class of file', () => {
    const kinds = new Set(entries.map((e) => e.kind));
    for (const k of ['malicious', 'benign', 'malformed', 'st-accept', 'st-reject']) assert.ok(kinds.has(k as Kind), k);
    assert.ok(entries.filter((e) => e.kind === 'malicious').length >= 90);
  });

  it('no sentinel, no hang, no crash; malicious flagged, benign read, malformed refused, reference verdicts kept', (t) => {
    assert.deepEqual(result.sentinels, [], 'a payload ran');
    assert.deepEqual(result.hangs, [], 'a file hung');
    const { failures, table } = summarise(entries.map((e) => ({ path: join(dir, e.file), kind: e.kind, ...(e.tensors ? { tensors: true } : {}) })), result);
    t.diagnostic(`corpus: ${table}`);
    assert.deepEqual(failures, []);
  });

  it('a payload is named in the report, also when the pickle is rejected after it or hides in a side pickle', () => {
    const msg = (f: string) => {
      const o = result.outcomes.get(join(dir, f))!;
      return `${o.codes.join(' ')} ${o.message}`;
    };
    assert.match(msg('rejected_after_payload.pkl'), /pickle-code-execution-attempt.*os\.system/s);
    assert.match(msg('legacy_payload_in_sys_info.pt'), /sys_info.*os\.system/s);
    assert.match(msg('legacy_payload_in_storage_keys.pt'), /storage-keys.*os\.system/s);
    assert.match(msg('zip_extra_pkl.pt'), /archive\/extra\.pkl.*os\.system/s);
    assert.match(msg('dotted_posixpath_os_system.inject.pt'), /posixpath\.os\.system/);
    assert.match(msg('unknown_class.pt'), /pickle-unsafe-global.*mypackage\.evil\.Loader/s);
    // TorchScript's own builders are allowed: not an unsafe global.
    assert.ok(!msg('torchscript_builders.pt').includes('pickle-unsafe-global'));
    // torch.load fails on these, so they are errors, not only "unreadable" rows.
    for (const f of ['zip_missing_storage.pt', 'zip_view_past_end.pt', 'zip_numel_2p62.pt', 'zip_negative_stride.pt', 'zip_storage_key_traversal.pt']) {
      assert.match(msg(f), /pytorch-tensor-unloadable/, f);
    }
    // 20,000 tensors over the same bytes are read once; 20,000 sliding windows are refused before reading.
    assert.doesNotMatch(msg('st_20k_same_bytes.safetensors'), /reads-exceed-file-size/);
    assert.match(msg('st_20k_sliding_overlap.safetensors'), /reads-exceed-file-size/);
  });

  it('control: CPython / torch.load proves every labelled payload live and every label right', { skip: !pythonWithTorch() && 'no /usr/bin/python3 with torch' }, async () => {
    const items = entries.filter((e) => e.control).map((e) => ({ path: join(dir, e.file), control: e.control, sentinel: e.sentinel ?? null }));
    const out = await runControl(items);
    const byPath = new Map(out.map((o) => [o.path, o]));
    const wrong: string[] = [];
    for (const e of entries.filter((x) => x.control)) {
      const o = byPath.get(join(dir, e.file));
      if (!o || o.skipped) continue;
      if (e.kind === 'malicious' && !o.sentinel) wrong.push(`${e.file}: payload did not run (${o.raised})`);
      if (e.kind === 'benign' && (o.sentinel || o.raised)) wrong.push(`${e.file}: torch.load failed (${o.raised})`);
      if (e.kind === 'malformed' && !o.raised) wrong.push(`${e.file}: torch.load accepted it`);
    }
    assert.deepEqual(wrong, []);
    assert.ok(out.filter((o) => o.sentinel).length >= 90);
  });
});

describe('shared peer suites (../shared/data/peer-suites)', { skip: !existsSync(join(PEER, 'manifest.json')) && 'peer suites absent' }, () => {
  it('every file: no sentinel, no hang, no crash, the expected kind of answer', async (t) => {
    const manifest = JSON.parse(readFileSync(join(PEER, 'manifest.json'), 'utf8')) as Array<{ file: string; kind: Kind; tensors?: number }>;
    const entries: Labelled[] = manifest.map((e) => ({ path: join(PEER, e.file), kind: e.kind, ...(e.tensors ? { tensors: true } : {}) }));
    const r = await runCorpus(entries.map((e) => e.path), PER_FILE_MS);
    assert.deepEqual(r.sentinels, [], 'a payload ran');
    assert.deepEqual(r.hangs, [], 'a file hung');
    const { failures, table } = summarise(entries, r);
    t.diagnostic(`peer suites: ${table}`);
    assert.deepEqual(failures, []);
  });
});

describe('CLI: no hang, no stack trace, exit codes agree', () => {
  const dir = tempDir('ckl-hostile-cli-');
  const MAIN = join(repoRoot, 'src/cli/main.ts');
  const cli = (args: string[]) => spawnSync(process.execPath, ['--import', TSX, MAIN, ...args], { encoding: 'utf8', cwd: dir, timeout: PER_FILE_MS });
  let corpus: string;
  before(() => {
    corpus = join(dir, 'corpus');
    buildCorpus(corpus, join(repoRoot, 'test/fixtures/pytorch'));
  });

  it('a FIFO is refused at once (never opened blocking)', { skip: process.platform === 'win32' && 'no mkfifo' }, () => {
    const fifo = join(dir, 'model.safetensors');
    if (spawnSync('mkfifo', [fifo]).status !== 0) return;
    const r = cli(['inspect', fifo]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /not-a-file/);
    const pt = join(dir, 'model.pt');
    spawnSync('mkfifo', [pt]);
    assert.equal(cli(['stats', pt]).status, 2);
  });

  it('stats exits 1 on a file inspect flags, and refuses overlapping reads instead of running for hours', () => {
    const evil = cli(['stats', join(corpus, 'os_system.inject.pt')]);
    assert.equal(evil.status, 1, evil.stderr);
    assert.match(evil.stderr, /pickle-code-execution-attempt/);
    assert.equal(cli(['inspect', '--header-only', join(corpus, 'os_system.inject.pt')]).status, 1);
    const overlap = cli(['stats', join(corpus, 'st_20k_sliding_overlap.safetensors')]);
    assert.equal(overlap.status, 2);
    assert.match(overlap.stderr, /reads-exceed-file-size/);
    assert.equal(cli(['stats', join(corpus, 'st_valid.safetensors')]).status, 0);
    // The same tensor in both files: equivalent, yet A's flagged pickle makes diff exit 1 too.
    const d = cli(['diff', join(corpus, 'os_system.inject.pt'), join(corpus, 'zip_state_dict.pt')]);
    assert.equal(d.status, 1, d.stderr);
    assert.match(d.stderr, /A has error-severity problems: pickle-code-execution-attempt/);
    assert.equal(cli(['diff', join(corpus, 'zip_state_dict.pt'), join(corpus, 'zip_trailing_byte.pt')]).status, 0);
  });

  it('a reader that closes the pipe early (inspect --json | head -c 100) gets no stack trace', async () => {
    const child = spawn(process.execPath, ['--import', TSX, MAIN, 'inspect', '--json', '--no-values', join(corpus, 'fixture_basic.pt')], { cwd: dir });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let got = 0;
    child.stdout.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= 100) child.stdout.destroy();
    });
    const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
    assert.doesNotMatch(err, /EPIPE|at .*\(.*:\d+:\d+\)|Error:/);
    assert.ok(code === 0 || code === 1, `exit ${code}`);
  });
});

function pythonWithTorch(): boolean {
  if (!existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ['-c', 'import torch'], { timeout: 120_000 }).status === 0;
}

interface ControlResult {
  path: string;
  sentinel?: boolean;
  raised?: string | null;
  skipped?: string;
}

async function runControl(items: unknown[]): Promise<ControlResult[]> {
  const cwd = mkdtempSync(join(tmpdir(), 'ckl-control-cwd-'));
  after(() => rmSync(cwd, { recursive: true, force: true }));
  const input = join(cwd, 'items.json');
  writeFileSync(input, JSON.stringify(items));
  const r = spawnSync(PYTHON, [join(repoRoot, 'test/corpus/control.py')], { cwd, input: readFileSync(input), encoding: 'utf8', timeout: 600_000, maxBuffer: 64 << 20, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd } });
  assert.equal(r.status, 0, r.stderr.slice(-2000));
  return r.stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ControlResult);
}
