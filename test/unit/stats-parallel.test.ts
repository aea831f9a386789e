import assert from 'node:assert/strict';
import { truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { build } from 'esbuild';
import type { TensorInfo } from '../../src/core/checkpoint.js';
import type { DType } from '../../src/core/dtype.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { planParts, tensorStatsParallel, type ParallelStatsOptions } from '../../src/stats/parallelStats.js';
import { tensorStats, type TensorStats } from '../../src/stats/tensorStats.js';
import { tempDir } from '../helpers/tmp.js';

// Workers do not inherit the tsx loader, so the worker entry is bundled once into a temp dir
// (the same esbuild step as scripts/build.mjs, without touching the shared dist/).
const dir = tempDir('ckl-pstats-');
const workerPath = join(dir, 'statsWorker.js');
// Small chunks and a zero threshold put many chunks and several parts into a small fixture.
const CHUNK = 64 << 10;
const par: ParallelStatsOptions = { workerPath, threads: 3, minParallelBytes: 0, chunkBytes: CHUNK };
const N = 300_001; // odd, and not a multiple of the chunk: the last part ends mid-chunk

before(async () => {
  await build({ entryPoints: ['src/stats/statsWorker.ts'], outfile: workerPath, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'warning' });
});

/** Normal-ish values with NaN, ±Inf and zeros sprinkled at known places. */
function values(): Float32Array {
  const v = new Float32Array(N);
  let s = 7;
  for (let i = 0; i < N; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    v[i] = (s / 2 ** 32 - 0.5) * (1 + (i % 97) / 10);
  }
  for (let i = 5; i < N; i += 9973) v[i] = NaN;
  for (let i = 11; i < N; i += 15013) v[i] = Infinity;
  for (let i = 13; i < N; i += 20011) v[i] = -Infinity;
  for (let i = 17; i < N; i += 301) v[i] = 0;
  return v;
}

function encode(dtype: DType, v: Float32Array): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(v.buffer.slice(0));
  const out = new Uint16Array(v.length);
  if (dtype === 'BF16') {
    const u = new Uint32Array(v.buffer);
    for (let i = 0; i < v.length; i++) out[i] = u[i]! >>> 16;
  } else {
    for (let i = 0; i < v.length; i++) out[i] = toF16(v[i]!);
  }
  return new Uint8Array(out.buffer);
}

/** Float32 → IEEE half, enough for the fixture (round toward zero; NaN/Inf/zero/normal/subnormal). */
function toF16(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity || a >= 65520) return sign | 0x7c00;
  if (a < 2 ** -24) return sign;
  if (a < 2 ** -14) return sign | Math.floor(a / 2 ** -24);
  const e = Math.floor(Math.log2(a));
  const m = Math.floor((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | m;
}

async function fixture(dtype: DType): Promise<TensorInfo> {
  const path = join(dir, `${dtype}.safetensors`);
  await writeSafetensors(path, [{ name: 'w', dtype, shape: [N], data: encode(dtype, values()) }]);
  const r = await openCheckpoint(path);
  assert.ok(r.ok);
  const t = r.value.tensors[0];
  assert.ok(t);
  return t;
}

function assertSame(a: TensorStats, b: TensorStats): void {
  for (const k of ['count', 'min', 'max', 'nan', 'posInf', 'negInf', 'zeros'] as const) assert.equal(a[k], b[k], k);
  for (const k of ['mean', 'std'] as const) {
    const x = a[k]!;
    const y = b[k]!;
    assert.ok(Math.abs(x - y) <= 1e-9 * Math.abs(y), `${k}: ${x} vs ${y}`);
  }
  // Parts start on chunk boundaries, so the fine histograms and hence the bins are identical.
  assert.deepEqual(a.histogram, b.histogram);
}

describe('tensorStatsParallel', () => {
  for (const dtype of ['F32', 'BF16', 'F16'] as const) {
    it(`${dtype}: same statistics as one thread, with NaN/Inf/zeros`, async () => {
      const t = await fixture(dtype);
      const plan = planParts(t, par);
      assert.equal(plan?.jobs.length, 3, 'the fixture really is split');
      const progress: number[] = [];
      let threads = 0;
      const p = await tensorStatsParallel(t, { ...par, bins: 50, onProgress: (b) => progress.push(b), onThreads: (n) => (threads = n) });
      assert.equal(threads, 3, 'computed by the workers, not the fallback');
      const s = await tensorStats(t, { chunkBytes: CHUNK, bins: 50 });
      assertSame(p, s);
      assert.equal(p.nan, Math.ceil((N - 5) / 9973));
      assert.ok(p.posInf > 0 && p.negInf > 0 && p.zeros > 0);
      assert.equal(progress.at(-1), t.byteLength, 'progress ends at the tensor size');
      assert.equal(p.histogram.counts.reduce((x, y) => x + y, 0), N - p.nan - p.posInf - p.negInf);
    });
  }

  it('parts cover the tensor on chunk boundaries', async () => {
    const t = await fixture('BF16');
    const plan = planParts(t, { ...par, threads: 4 });
    assert.ok(plan && t.data.kind === 'contiguous');
    let at = t.data.offset;
    for (const j of plan.jobs) {
      assert.equal(j.offset, at);
      assert.equal((j.offset - t.data.offset) % CHUNK, 0);
      at += j.length;
    }
    assert.equal(at, t.data.offset + t.byteLength);
  });

  it('stays on one thread for small tensors, one core or sub-byte dtypes', async () => {
    const t = await fixture('F32');
    assert.equal(planParts(t, { ...par, minParallelBytes: t.byteLength + 1 }), undefined);
    assert.equal(planParts(t, { ...par, threads: 1 }), undefined);
    assert.equal(planParts({ ...t, dtype: 'F4' }, par), undefined);
  });

  it('falls back to one thread when the worker bundle is missing or cannot start', async () => {
    const t = await fixture('F32');
    const s = await tensorStats(t, { chunkBytes: CHUNK });
    assertSame(await tensorStatsParallel(t, { ...par, workerPath: join(dir, 'missing.js') }), s);
    const broken = join(dir, 'broken.js');
    writeFileSync(broken, 'throw new Error("broken bundle");');
    const used: number[] = [];
    assertSame(await tensorStatsParallel(t, { ...par, workerPath: broken, onThreads: (n) => used.push(n) }), s);
    assert.deepEqual(used, [1]);
  });

  it('a read failure inside a worker is reported, not hidden by the fallback', async () => {
    const t = await fixture('F32');
    assert.ok(t.data.kind === 'contiguous');
    truncateSync(t.data.file, t.data.offset + CHUNK); // the file shrinks after it was opened
    const used: number[] = [];
    await assert.rejects(tensorStatsParallel(t, { ...par, onThreads: (n) => used.push(n) }), /unexpected end of file/);
    assert.deepEqual(used, []);
  });

  it('an abort terminates the workers and rejects', async () => {
    const t = await fixture('F32');
    const ac = new AbortController();
    const run = tensorStatsParallel(t, { ...par, signal: ac.signal, onProgress: () => ac.abort(new Error('stop')) });
    await assert.rejects(run, /stop/);
    await assert.rejects(tensorStatsParallel(t, { ...par, signal: AbortSignal.abort() }));
  });
});
