// Shared helpers for bench/ scripts: run a command N times, take the median wall time and peak RSS.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const PY = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

/** Runs `cmd args` under /usr/bin/time (when present) and returns { ms, rssKiB, stdout }. */
export function timed(cmd, args, opts = {}) {
  const useTime = existsSync('/usr/bin/time');
  const t0 = process.hrtime.bigint();
  const r = useTime
    ? spawnSync('/usr/bin/time', ['-f', '__RSS__%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && !(opts.okCodes ?? [0]).includes(r.status)) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr?.slice(-500)}`);
  }
  const m = /__RSS__(\d+)/.exec(r.stderr ?? '');
  return { ms, rssKiB: m ? Number(m[1]) : null, stdout: r.stdout };
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs each contender `runs` times interleaved (so machine noise hits all alike); returns medians. */
export function compare(contenders, runs) {
  const res = Object.fromEntries(contenders.map((c) => [c.name, { ms: [], rss: [] }]));
  for (let i = 0; i < runs; i++) {
    for (const c of contenders) {
      c.before?.();
      const r = timed(c.cmd, c.args, c.opts);
      res[c.name].ms.push(r.ms);
      if (r.rssKiB) res[c.name].rss.push(r.rssKiB);
    }
  }
  return contenders.map((c) => ({ name: c.name, ms: median(res[c.name].ms), best: Math.min(...res[c.name].ms), rssMiB: res[c.name].rss.length ? Math.max(...res[c.name].rss) / 1024 : null }));
}

export function table(rows, baselineName, extra = () => '') {
  const base = rows.find((r) => r.name === baselineName);
  for (const r of rows) {
    const ratio = base ? (r.ms / base.ms).toFixed(2) : '-';
    console.log(`${r.name.padEnd(34)} median ${r.ms.toFixed(0).padStart(7)} ms  best ${r.best.toFixed(0).padStart(7)} ms  peak RSS ${r.rssMiB?.toFixed(0) ?? '?'} MiB  ×${ratio} vs ${baselineName}${extra(r)}`);
  }
}

/** Drops the page cache (root only) so the next read comes from disk; returns false where it cannot. */
export function dropPageCache() {
  const r = spawnSync('sh', ['-c', 'sync && echo 3 > /proc/sys/vm/drop_caches'], { stdio: 'ignore' });
  return r.status === 0;
}

const DTYPE_BYTES = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, I8: 1 };

/**
 * Writes a safetensors file whose data section is sparse (no disk used): `entries` are
 * [name, shape] or [name, shape, dtype] (dtype defaults to F32). Returns sizes for the log line.
 */
export function writeSparseSafetensors(file, entries) {
  const header = { __metadata__: { format: 'pt' } };
  let off = 0;
  for (const [name, shape, dtype = 'F32'] of entries) {
    const bytes = shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
    header[name] = { dtype, shape, data_offsets: [off, off + bytes] };
    off += bytes;
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
  return { tensors: entries.length, headerMB: json.length / 1e6, dataGB: off / 1e9 };
}

/**
 * The two header-reading baselines every open benchmark compares with: bare Node and Python. Given
 * a sharded index (`*.json`), both read the index and every shard header it names.
 */
export function writeHeaderBaselines(dir) {
  const bareNode = join(dir, 'bare.mjs');
  writeFileSync(bareNode, `import { openSync, readSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const header = (f) => { const fd = openSync(f, 'r'); const b = Buffer.alloc(8); readSync(fd, b, 0, 8, 0);
const n = Number(b.readBigUInt64LE(0)); const h = Buffer.alloc(n); readSync(fd, h, 0, n, 8); return JSON.parse(h.toString('utf8')); };
const p = process.argv[2]; let keys = 0;
if (p.endsWith('.json')) { const wm = JSON.parse(readFileSync(p, 'utf8')).weight_map; for (const s of new Set(Object.values(wm))) keys += Object.keys(header(join(dirname(p), s))).length; }
else keys = Object.keys(header(p)).length;
process.stdout.write(String(keys) + '\\n');`);
  const pyReader = join(dir, 'reader.py');
  writeFileSync(pyReader, `import json, os, struct, sys
def header(p):
    with open(p, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        return json.loads(f.read(n))
p = sys.argv[1]
if p.endswith('.json'):
    with open(p) as f:
        wm = json.load(f)['weight_map']
    print(sum(len(header(os.path.join(os.path.dirname(p), s))) for s in sorted(set(wm.values()))))
else:
    print(len(header(p)))
`);
  return { bareNode, pyReader };
}
