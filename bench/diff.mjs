#!/usr/bin/env node
// bench/diff: `checkpoint-lens diff` on two ~1 GiB F32 checkpoints, against peers in the same run:
//   equal files  → us (byte fast path) vs `cmp`
//   every value differs slightly → us (value statistics) vs a numpy script computing the same
//   statistics (bench/diff_numpy.py, Debian /usr/bin/python3 + python3-numpy)
// Peak RSS of every run comes from /usr/bin/time. Files are written to a temp dir and deleted.
// Warm page cache for everyone (the files were just written; each tool runs once before timing).
// Usage: node bench/diff.mjs [--gib N] [--reps N]
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, writeSync, closeSync, rmSync, copyFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const GIB = arg('gib', 1);
const REPS = arg('reps', 2);
const dir = mkdtempSync(join(tmpdir(), 'ckl-bench-diff-'));

// The diff command alone, bundled like the CLI (so the bench does not depend on dist/ state).
const runner = join(dir, 'diff-runner.cjs');
await build({
  stdin: {
    contents: "import { diffCommand } from './src/cli/commands/diff.ts'; diffCommand.run(process.argv.slice(2)).then((c) => { process.exitCode = c; });",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  outfile: runner,
  logLevel: 'warning',
});

/** Writes a safetensors file of `count` F32 tensors [rows, 1024] without holding it in memory. */
function writeCheckpoint(path, count, rows, fill) {
  const cols = 1024;
  const bytes = rows * cols * 4;
  const header = {};
  for (let i = 0; i < count; i++) header[`layers.${i}.weight`] = { dtype: 'F32', shape: [rows, cols], data_offsets: [i * bytes, (i + 1) * bytes] };
  let json = Buffer.from(JSON.stringify(header));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const fd = openSync(path, 'w');
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  writeSync(fd, len);
  writeSync(fd, json);
  const buf = new Float32Array(rows * cols);
  for (let i = 0; i < count; i++) {
    fill(buf, i);
    writeSync(fd, new Uint8Array(buf.buffer));
  }
  closeSync(fd);
}

function rng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296 - 0.5;
  };
}

const count = Math.round(64 * GIB);
const rows = 4096; // 16 MiB per tensor
const A = join(dir, 'a.safetensors');
const Beq = join(dir, 'b-equal.safetensors');
const Bnoise = join(dir, 'b-noise.safetensors');
console.error(`writing ${count} × 16 MiB tensors ×2 (+1 copy) to ${dir} …`);
const weights = (buf, i) => {
  const r = rng(1000 + i);
  for (let k = 0; k < buf.length; k++) buf[k] = r() * 0.1;
};
writeCheckpoint(A, count, rows, weights);
copyFileSync(A, Beq);
writeCheckpoint(Bnoise, count, rows, (buf, i) => {
  weights(buf, i);
  const r = rng(7 + i);
  for (let k = 0; k < buf.length; k++) buf[k] += r() * 1e-4;
});
const size = statSync(A).size;

/** Runs a command under /usr/bin/time; returns seconds (wall), peak RSS in MiB, exit code, stdout. */
function timed(cmd, args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [wall, kb] = last.split(' ').map(Number);
  return { s: wall, rssMiB: kb / 1024, code: r.status, out: r.stdout, err: r.stderr };
}
function best(cmd, args, expectCode) {
  timed(cmd, args); // warm-up (page cache, JIT-free startup paths)
  let b;
  for (let i = 0; i < REPS; i++) {
    const r = timed(cmd, args);
    if (r.code !== expectCode) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}, expected ${expectCode}: ${r.err.slice(-500)}`);
    if (!b || r.s < b.s) b = { ...r, rssMiB: Math.max(r.rssMiB, b?.rssMiB ?? 0) };
  }
  return b;
}

try {
  const gib = size / 2 ** 30;
  const node = process.execPath;
  const py = '/usr/bin/python3';
  const cmpR = best('cmp', [A, Beq], 0);
  const usEq = best(node, [runner, A, Beq, '--json'], 0);
  const rep = JSON.parse(usEq.out);
  if (rep.counts.identical !== count) throw new Error('equal files not reported identical');
  const npR = best(py, [join(root, 'bench/diff_numpy.py'), A, Bnoise], 0);
  const usNoise = best(node, [runner, A, Bnoise, '--json'], 1);
  const repN = JSON.parse(usNoise.out);
  const np = JSON.parse(npR.out.trim());
  const ourMismatched = repN.pairs.reduce((s, p) => s + p.stats.mismatched, 0);
  if (ourMismatched !== np.mismatched) throw new Error(`statistics disagree: mismatched ${ourMismatched} (us) vs ${np.mismatched} (numpy)`);

  const row = (label, r) => `${label.padEnd(44)} ${r.s.toFixed(2).padStart(6)} s  ${(gib / r.s).toFixed(2).padStart(6)} GiB/s  peak RSS ${r.rssMiB.toFixed(0).padStart(5)} MiB`;
  console.log(`bench/diff: two ${gib.toFixed(2)} GiB F32 checkpoints (${count} tensors), warm page cache, best of ${REPS}, ${new Date().toISOString()}`);
  console.log(row('cmp A B (equal files)', cmpR));
  console.log(row('checkpoint-lens diff A B (equal files)', usEq));
  console.log(row('numpy statistics A B (all values differ)', npR));
  console.log(row('checkpoint-lens diff A B (all values differ)', usNoise));
  console.log(`ratio equal files:   ours/cmp throughput   = ${(cmpR.s / usEq.s).toFixed(2)} (target ≥ 0.5)`);
  console.log(`ratio statistics:    ours/numpy throughput = ${(npR.s / usNoise.s).toFixed(2)} (target ≥ 1.0)`);
  console.log(`peak RSS ours: ${Math.max(usEq.rssMiB, usNoise.rssMiB).toFixed(0)} MiB (target < 512 MiB); both tools agree on ${ourMismatched} mismatched elements`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
