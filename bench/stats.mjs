// bench/stats: statistics of a 1 GiB F32 tensor and a 1 GiB BF16 tensor, streamed, against numpy
// (Debian python3-numpy, memory-mapped, computing the same statistics) and `cat FILE > /dev/null`
// read bandwidth, in the same run. Files are written once and read from the page cache by all.
// With --cold (root), the page cache is dropped before every run, so all three read from disk.
// Usage: node bench/stats.mjs [--runs N] [--gib G] [--cold]
import { openSync, writeSync, closeSync, rmSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { compare, table, PY, dropPageCache } from './lib.mjs';

const arg = (k, d) => (process.argv.includes(k) ? Number(process.argv[process.argv.indexOf(k) + 1]) : d);
const runs = arg('--runs', 3);
const gib = arg('--gib', 1);
const bytes = Math.round(gib * 2 ** 30);
const cold = process.argv.includes('--cold');
if (cold && !dropPageCache()) {
  console.error('--cold needs root (it writes /proc/sys/vm/drop_caches)');
  process.exit(2);
}
const before = cold ? dropPageCache : undefined;
const dir = join(tmpdir(), 'ckl-bench-stats');
mkdirSync(dir, { recursive: true });

function writeTensorFile(path, dtype) {
  const width = dtype === 'F32' ? 4 : 2;
  const n = bytes / width;
  let json = Buffer.from(JSON.stringify({ w: { dtype, shape: [n], data_offsets: [0, bytes] } }));
  json = Buffer.concat([json, Buffer.alloc((8 - (json.length % 8)) % 8, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const fd = openSync(path, 'w');
  writeSync(fd, prefix);
  writeSync(fd, json);
  // 16 MiB of normal-ish values (std 0.02, a few exact zeros), repeated with a varying offset.
  const block = new Float32Array(4 << 20);
  let s = 42;
  for (let i = 0; i < block.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    const u = s / 4294967296;
    block[i] = i % 1000 === 0 ? 0 : (u + ((s >>> 7) & 1023) / 1024 - 1) * 0.035;
  }
  const raw = dtype === 'F32' ? new Uint8Array(block.buffer) : (() => {
    const u32 = new Uint32Array(block.buffer);
    const u16 = new Uint16Array(block.length);
    for (let i = 0; i < u32.length; i++) u16[i] = u32[i] >>> 16;
    return new Uint8Array(u16.buffer);
  })();
  for (let done = 0; done < bytes; done += raw.length) writeSync(fd, raw, 0, Math.min(raw.length, bytes - done));
  closeSync(fd);
}

const npScript = join(dir, 'np_stats.py');
writeFileSync(npScript, `import json, struct, sys
import numpy as np
path, dtype = sys.argv[1], sys.argv[2]
with open(path, 'rb') as f:
    n = struct.unpack('<Q', f.read(8))[0]
    h = json.loads(f.read(n))
begin, end = h['w']['data_offsets']
start = 8 + n + begin
if dtype == 'F32':
    x = np.memmap(path, dtype='<f4', mode='r', offset=start, shape=((end - begin) // 4,))
else:
    # numpy has no bfloat16: widen the 16 bits into float32's upper half, chunked to bound memory.
    raw = np.memmap(path, dtype='<u2', mode='r', offset=start, shape=((end - begin) // 2,))
out = dict(nan=0, posinf=0, neginf=0, zeros=0, mn=np.inf, mx=-np.inf, s=0.0, ss=0.0, n=0)
chunks = []
step = 1 << 24
N = (end - begin) // (4 if dtype == 'F32' else 2)
for i in range(0, N, step):
    if dtype == 'F32':
        c = np.asarray(x[i:i + step])
    else:
        c = (raw[i:i + step].astype(np.uint32) << 16).view(np.float32)
    out['nan'] += int(np.isnan(c).sum()); out['posinf'] += int(np.isposinf(c).sum()); out['neginf'] += int(np.isneginf(c).sum())
    out['zeros'] += int((c == 0).sum())
    f = c[np.isfinite(c)]
    out['mn'] = min(out['mn'], float(f.min())); out['mx'] = max(out['mx'], float(f.max()))
    out['s'] += float(f.sum(dtype=np.float64)); out['ss'] += float(np.square(f, dtype=np.float64).sum()); out['n'] += f.size
    chunks.append(np.histogram(f, bins=1024, range=(float(f.min()), float(f.max())))[0].sum())
mean = out['s'] / out['n']
print(json.dumps(dict(min=out['mn'], max=out['mx'], mean=mean, std=(out['ss'] / out['n'] - mean * mean) ** 0.5, nan=out['nan'], zeros=out['zeros'])))
`);

const results = [];
for (const dtype of ['F32', 'BF16']) {
  const file = join(dir, `w-${dtype}.safetensors`);
  writeTensorFile(file, dtype);
  console.log(`\n== ${dtype}: ${gib} GiB tensor (${file}), ${cold ? 'cold page cache (dropped before each run)' : 'warm page cache'} ==`);
  const rows = compare(
    [
      { name: 'cat FILE > /dev/null', cmd: 'sh', args: ['-c', `cat '${file}' > /dev/null`], before },
      { name: 'checkpoint-lens stats --json', cmd: process.execPath, args: ['dist/cli.js', 'stats', file, '--json'], before },
      { name: 'numpy (same statistics)', cmd: PY, args: [npScript, file, dtype], before },
    ],
    runs,
  );
  const mbps = (r) => ` ${((bytes / 2 ** 20) / (r.ms / 1000)).toFixed(0)} MiB/s`;
  table(rows, 'numpy (same statistics)', mbps);
  const [cat, us, np] = rows;
  console.log(`stats speed / numpy = ${(np.ms / us.ms).toFixed(2)}× (target ≥ 1), stats bandwidth / cat = ${((cat.ms / us.ms) * 100).toFixed(0)}% (target ≥ 50%), peak RSS ${us.rssMiB?.toFixed(0)} MiB (target < 256)`);
  results.push({ dtype, rows });
  rmSync(file, { force: true });
}
rmSync(dir, { recursive: true, force: true });
