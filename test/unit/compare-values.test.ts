import assert from 'node:assert/strict';
import { truncate } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { compareCheckpoints, compareFiles } from '../../src/compare/compare.js';
import { comparePair } from '../../src/compare/comparePair.js';
import { DiffAccumulator } from '../../src/compare/diffStats.js';
import type { PairPlan } from '../../src/compare/pairing.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { pairDiffHistogram } from '../../src/compare/histogram.js';
import { openClipDict, perturb, scratch, transpose2d, type StateDict } from './compare-fixtures.js';

describe('compare: value statistics', () => {
  it('computes max abs/rel, RMS, cosine and the allclose count', () => {
    const acc = new DiffAccumulator({ rtol: 0.1, atol: 0 });
    acc.add(Float32Array.of(1, 2), Float32Array.of(1, 2.5), 0);
    acc.add(Float32Array.of(3, -4), Float32Array.of(3, -4.2), 2);
    const s = acc.result();
    assert.equal(s.count, 4);
    assert.equal(s.maxAbs, 0.5);
    assert.equal(s.maxAbsAt, 1);
    assert.ok(Math.abs(s.maxRel - 0.25) < 1e-12);
    assert.equal(s.mismatched, 1, '0.5 > 0.1·2; 0.2 ≤ 0.1·4');
    const d2 = 0.25 + (0.2 - Math.fround(4.2) + 4.2) ** 2;
    assert.ok(Math.abs(s.rms - Math.sqrt(d2 / 4)) < 1e-6);
    const a = [1, 2, 3, -4];
    const b = [1, 2.5, 3, Math.fround(-4.2)];
    const dot = a.reduce((p, x, i) => p + x * b[i]!, 0);
    const cos = dot / Math.hypot(...a) / Math.hypot(...b);
    assert.ok(Math.abs(s.cosine - cos) < 1e-12);
  });

  it('treats equal NaN/Inf as equal and any other non-finite pair as a mismatch', () => {
    const acc = new DiffAccumulator({ rtol: 0, atol: 0 });
    acc.add(Float32Array.of(NaN, Infinity, 1, 2), Float32Array.of(NaN, Infinity, NaN, 2), 0);
    const s = acc.result();
    assert.equal(s.nonFiniteMismatch, 1);
    assert.equal(s.mismatched, 1);
    assert.equal(s.maxAbs, 0);
    assert.ok(Number.isFinite(s.cosine));
  });
});

describe('compare: dtypes, shapes, transposes, failures', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  const sd = openClipDict(3);
  before(async () => {
    s = await scratch();
  });
  after(() => s.cleanup());

  it('BF16 rounding is within the default tolerance, and beyond a tight one', async () => {
    const a = await s.write('f32.safetensors', sd);
    const b = await s.write('bf16.safetensors', sd, 'BF16');
    const r = await compareFiles(a, b);
    assert.ok(r.ok);
    assert.equal(r.value.counts.close, sd.size);
    assert.equal(r.value.verdict.equivalent, true);
    assert.match(r.value.verdict.sentence, /^B is A cast F32 → BF16, values equal within tolerance/);
    const p = r.value.pairs[0]!;
    assert.deepEqual(p.tolerance, { rtol: 1e-2, atol: 1e-5 });
    assert.ok(p.stats!.maxRel > 0 && p.stats!.maxRel <= 2 ** -8, String(p.stats!.maxRel));
    assert.ok(p.notes.some((n) => n.includes('F32 → BF16')));
    const tight = await compareFiles(a, b, { rtol: 1e-6, atol: 0 });
    assert.ok(tight.ok);
    assert.equal(tight.value.counts.different, sd.size);
    assert.equal(tight.value.verdict.equivalent, false);
  });

  it('an exact F16 → F32 upcast is equal, not just close', async () => {
    const vals = Float32Array.of(0.5, -1.25, 3, 0);
    const f16 = Uint16Array.of(0x3800, 0xbd00, 0x4200, 0);
    const a = `${s.dir}/h.safetensors`;
    const b = `${s.dir}/f.safetensors`;
    await writeSafetensors(a, [{ name: 'w', dtype: 'F16', shape: [4], data: new Uint8Array(f16.buffer) }]);
    await writeSafetensors(b, [{ name: 'w', dtype: 'F32', shape: [4], data: new Uint8Array(vals.buffer) }]);
    const r = await compareFiles(a, b);
    assert.ok(r.ok);
    assert.equal(r.value.pairs[0]!.status, 'equal');
    assert.equal(r.value.pairs[0]!.method, 'values');
    assert.equal(r.value.verdict.equivalent, true);
  });

  it('a projection stored transposed under the same name is a shape mismatch that says so', async () => {
    const t: StateDict = new Map(sd);
    t.set('visual.proj', transpose2d(sd.get('visual.proj')!));
    const a = await s.write('a.safetensors', sd);
    const b = await s.write('t.safetensors', t);
    const r = await compareFiles(a, b);
    assert.ok(r.ok);
    const p = r.value.pairs.find((x) => x.key === 'visual.proj')!;
    assert.equal(p.status, 'shape-mismatch');
    assert.match(p.notes.join(' '), /\[8, 6\] in A, \[6, 8\] in B: same 48 elements, looks transposed/);
    assert.equal(r.value.counts.shapeMismatch, 1);
    assert.equal(r.value.verdict.equivalent, false);
    assert.equal(r.value.worst[0], 'visual.proj');
  });

  it('a transposed pair read in row bands gives the same statistics as held whole, on either side', async () => {
    const R = 40;
    const C = 24;
    const base = new Float32Array(R * C).map((_, i) => Math.sin(i) * 0.1);
    const canon = { shape: [R, C], values: base };
    const stored = transpose2d(canon);
    stored.values[7 * R + 31] = stored.values[7 * R + 31]! + 0.5; // canonical [31, 7]
    const pa = await s.write('canon.safetensors', new Map([['x', canon]]));
    const pb = await s.write('stored.safetensors', new Map([['x', stored]]));
    const [ca, cb] = await Promise.all([openCheckpoint(pa), openCheckpoint(pb)]);
    assert.ok(ca.ok && cb.ok);
    const ta = ca.value.tensors[0]!;
    const tb = cb.value.tensors[0]!;
    const seq = { key: 'x', shape: [R, C], dtype: 'F32', sources: [ta], transform: 'identity' as const };
    const tr = { key: 'x', shape: [R, C], dtype: 'F32', sources: [tb], transform: 'transpose' as const };
    for (const plan of [{ key: 'x', a: seq, b: tr }, { key: 'x', a: tr, b: seq }] satisfies PairPlan[]) {
      const whole = await comparePair(plan);
      const banded = await comparePair(plan, { transposeBudgetBytes: 3 * C * 4 });
      assert.equal(whole.status, 'different');
      // Same statistics up to float64 summation order (per-band partial sums).
      for (const [k, v] of Object.entries(whole.stats!)) assert.ok(Math.abs((banded.stats as unknown as Record<string, number>)[k]! - (v as number)) < 1e-12, k);
      assert.equal(whole.stats!.maxAbsAt, 31 * C + 7);
      assert.ok(Math.abs(whole.stats!.maxAbs - 0.5) < 1e-6);
      assert.equal(whole.stats!.mismatched, 1);
    }
  });

  it('bins the differences of one selected pair, through the mapping', async () => {
    const t = new Map(sd);
    const proj = transpose2d(sd.get('visual.proj')!);
    proj.values[5] = proj.values[5]! - 0.3;
    t.set('visual.proj', proj);
    const a = await s.write('h1.safetensors', sd);
    const b = await s.write('h2.safetensors', t);
    const [ca, cb] = await Promise.all([openCheckpoint(a), openCheckpoint(b)]);
    assert.ok(ca.ok && cb.ok);
    // Same layout, so the mapping pairs by name and visual.proj is a shape mismatch: not comparable.
    const bad = await pairDiffHistogram(ca.value, cb.value, 'visual.proj');
    assert.ok(!bad.ok && bad.error.code === 'pair-not-comparable');
    const missing = await pairDiffHistogram(ca.value, cb.value, 'nope');
    assert.ok(!missing.ok && missing.error.code === 'pair-not-found');
    const c = perturb(sd, 'visual.ln_pre.weight', 2, -0.3);
    const pc = await s.write('h3.safetensors', c);
    const cc = await openCheckpoint(pc);
    assert.ok(cc.ok);
    const h = await pairDiffHistogram(ca.value, cc.value, 'visual.ln_pre.weight', { bins: 10 });
    assert.ok(h.ok);
    assert.ok(Math.abs(h.value.maxAbs - 0.3) < 1e-6);
    assert.equal(h.value.count, 8);
    assert.equal(h.value.counts[0], 1, 'b − a = −0.3 in the lowest bin');
    assert.equal(h.value.counts[5], 7, 'the unchanged values at 0');
    assert.equal(h.value.edges.length, 11);
  });

  it('reports progress and stops on abort', async () => {
    const a = await s.write('p1.safetensors', sd);
    const b = await s.write('p2.safetensors', sd);
    const [ca, cb] = await Promise.all([openCheckpoint(a), openCheckpoint(b)]);
    assert.ok(ca.ok && cb.ok);
    const seen: number[] = [];
    const r = await compareCheckpoints(ca.value, cb.value, {}, { onProgress: (p) => seen.push(p.pairsDone) });
    assert.equal(seen[seen.length - 1], sd.size);
    assert.equal(r.timing.bytesRead, 2 * r.a.bytes);
    const ac = new AbortController();
    await assert.rejects(
      compareCheckpoints(ca.value, cb.value, {}, { signal: ac.signal, onProgress: (p) => p.pairsDone === 3 && ac.abort() }),
      (e: Error) => e.name === 'AbortError',
    );
  });

  it('a file that shrinks after opening gives unreadable pairs, not a crash', async () => {
    const a = await s.write('s1.safetensors', sd);
    const b = await s.write('s2.safetensors', sd);
    const [ca, cb] = await Promise.all([openCheckpoint(a), openCheckpoint(b)]);
    assert.ok(ca.ok && cb.ok);
    const last = cb.value.tensors[cb.value.tensors.length - 1]!;
    assert.equal(last.data.kind, 'contiguous');
    if (last.data.kind === 'contiguous') await truncate(b, last.data.offset + 2);
    const r = await compareCheckpoints(ca.value, cb.value as Checkpoint);
    assert.ok(r.counts.unreadable >= 1);
    const bad = r.pairs.find((p) => p.status === 'unreadable')!;
    assert.match(bad.notes.join(' '), /end of file/);
    assert.equal(r.verdict.equivalent, false);
    assert.match(r.verdict.sentence, /could not be read/);
  });
});
