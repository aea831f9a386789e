// bench/open: `checkpoint-lens inspect --json` on a 100,000-tensor, ~10 GB sparse safetensors file,
// against a bare Node baseline (8 bytes + header + JSON.parse) and Python's json+struct reader,
// all as fresh processes in the same run. Usage: node bench/open.mjs [--runs N] [--keep]
// [--before OLD_CLI_JS] (also times another build's dist/cli.js full analysis: before/after in one run)
import { rmSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { compare, table, PY, writeHeaderBaselines, writeSparseSafetensors } from './lib.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;
const dir = join(tmpdir(), 'ckl-bench-open');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'model-100k.safetensors');

// 100,000 tensors of realistic names and mixed shapes, ~100 KB each → ~10 GB of (sparse) data.
const entries = [];
const dtypes = ['F32', 'BF16', 'F16'];
for (let i = 0; i < 100_000; i++) {
  const dtype = dtypes[i % 3];
  // ~100 KB per tensor whatever the dtype (16-bit matrices are twice as wide).
  const shape = i % 10 === 0 ? [256] : dtype === 'F32' ? [160, 160] : [160, 320];
  entries.push([`model.layers.${Math.floor(i / 100)}.block_${i % 100}.${i % 2 ? 'attn.qkv' : 'mlp.fc1'}.weight`, shape, dtype]);
}
const s = writeSparseSafetensors(file, entries);
console.log(`file: ${file}: 100,000 tensors, header ${s.headerMB.toFixed(1)} MB, ${s.dataGB.toFixed(2)} GB data (sparse)`);

const { bareNode, pyReader } = writeHeaderBaselines(dir);

// The machine may be shared: the load average says how much the medians below can be trusted.
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average before: ${load()}`);
// With the model understanding too (family detection, tower tree, findings, value checks within
// budget), and another build's CLI when --before names one: all interleaved in one run.
const before = process.argv.includes('--before') ? process.argv[process.argv.indexOf('--before') + 1] : undefined;
const quiet = { stdio: ['ignore', 'ignore', 'pipe'], okCodes: [0, 1] };
const rows = compare(
  [
    { name: 'bare Node (8 B + header + JSON.parse)', cmd: process.execPath, args: [bareNode, file] },
    { name: 'checkpoint-lens inspect --json --header-only', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--header-only', file], opts: { stdio: ['ignore', 'ignore', 'pipe'] } },
    { name: 'checkpoint-lens inspect --json (analysis)', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', file], opts: quiet },
    ...(before ? [{ name: 'before: inspect --json (analysis)', cmd: process.execPath, args: [before, 'inspect', '--json', file], opts: quiet }] : []),
    { name: 'Python json+struct (Debian python3)', cmd: PY, args: [pyReader, file] },
  ],
  runs,
);
table(rows, 'bare Node (8 B + header + JSON.parse)');
const by = (n) => rows.find((r) => r.name === n);
const [bare, us, full, py] = ['bare Node (8 B + header + JSON.parse)', 'checkpoint-lens inspect --json --header-only', 'checkpoint-lens inspect --json (analysis)', 'Python json+struct (Debian python3)'].map(by);
console.log(`load average after: ${load()}`);
console.log(`\ninspect --header-only / bare Node = ${(us.ms / bare.ms).toFixed(2)} (target ≤ 2.0); inspect --header-only / Python = ${(us.ms / py.ms).toFixed(2)} (target < 1.0)`);
console.log(`inspect (analysis) / bare Node = ${(full.ms / bare.ms).toFixed(2)}; / header-only = ${(full.ms / us.ms).toFixed(2)}${before ? `; before / bare Node = ${(by('before: inspect --json (analysis)').ms / bare.ms).toFixed(2)}` : ''}`);
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
