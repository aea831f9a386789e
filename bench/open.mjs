// bench/open: `checkpoint-lens inspect --json` on a 100,000-tensor, ~10 GB sparse safetensors file,
// against a bare Node baseline (8 bytes + header + JSON.parse) and Python's json+struct reader,
// all as fresh processes in the same run. Usage: node bench/open.mjs [--runs N] [--keep]
import { openSync, writeSync, ftruncateSync, closeSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { compare, table, PY } from './lib.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 5) || 5;
const dir = join(tmpdir(), 'ckl-bench-open');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'model-100k.safetensors');

// 100,000 tensors of realistic names and mixed shapes, ~100 KB each → ~10 GB of (sparse) data.
const header = { __metadata__: { format: 'pt' } };
let off = 0;
const dtypes = ['F32', 'BF16', 'F16'];
for (let i = 0; i < 100_000; i++) {
  const layer = Math.floor(i / 100);
  const dtype = dtypes[i % 3];
  const shape = i % 10 === 0 ? [256] : [160, 160];
  const bytes = shape.reduce((a, b) => a * b, 1) * (dtype === 'F32' ? 4 : 2);
  const size = i % 10 === 0 ? bytes : bytes * (dtype === 'F32' ? 1 : 2) ;
  const finalShape = size === bytes ? shape : [160, 320];
  header[`model.layers.${layer}.block_${i % 100}.${i % 2 ? 'attn.qkv' : 'mlp.fc1'}.weight`] = { dtype, shape: finalShape, data_offsets: [off, off + size] };
  off += size;
}
let json = Buffer.from(JSON.stringify(header));
json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
const prefix = Buffer.alloc(8);
prefix.writeBigUInt64LE(BigInt(json.length));
const fd = openSync(file, 'w');
writeSync(fd, prefix, 0, 8, 0);
writeSync(fd, json, 0, json.length, 8);
ftruncateSync(fd, 8 + json.length + off);
closeSync(fd);
console.log(`file: ${file}: 100,000 tensors, header ${(json.length / 1e6).toFixed(1)} MB, ${(off / 1e9).toFixed(2)} GB data (sparse)`);

const bareNode = join(dir, 'bare.mjs');
writeFileSync(bareNode, `import { openSync, readSync } from 'node:fs';
const fd = openSync(process.argv[2], 'r'); const b = Buffer.alloc(8); readSync(fd, b, 0, 8, 0);
const n = Number(b.readBigUInt64LE(0)); const h = Buffer.alloc(n); readSync(fd, h, 0, n, 8);
const j = JSON.parse(h.toString('utf8')); process.stdout.write(String(Object.keys(j).length) + '\\n');`);
const pyReader = join(dir, 'reader.py');
writeFileSync(pyReader, `import json, struct, sys
with open(sys.argv[1], 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    h = json.loads(f.read(n))
print(len(h))
`);

// The machine may be shared: the load average says how much the medians below can be trusted.
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
console.log(`load average before: ${load()}`);
const rows = compare(
  [
    { name: 'bare Node (8 B + header + JSON.parse)', cmd: process.execPath, args: [bareNode, file] },
    { name: 'checkpoint-lens inspect --json --header-only', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--header-only', file], opts: { stdio: ['ignore', 'ignore', 'pipe'] } },
    { name: 'Python json+struct (Debian python3)', cmd: PY, args: [pyReader, file] },
  ],
  runs,
);
table(rows, 'bare Node (8 B + header + JSON.parse)');
// With the model understanding (family detection, tower tree, findings, value checks within budget).
const full = compare([{ name: 'checkpoint-lens inspect --json (analysis)', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', file], opts: { stdio: ['ignore', 'ignore', 'pipe'], okCodes: [0, 1] } }], runs);
table(full, 'checkpoint-lens inspect --json (analysis)', (r) => ` = ${(r.ms / rows[1].ms).toFixed(2)}× header-only`);
const us = rows[1];
const py = rows[2];
console.log(`load average after: ${load()}`);
console.log(`\ninspect / bare Node = ${(us.ms / rows[0].ms).toFixed(2)} (target ≤ 2.0); inspect / Python = ${(us.ms / py.ms).toFixed(2)} (target < 1.0)`);
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
