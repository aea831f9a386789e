import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeToFloat32 } from '../../src/core/decode.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { inspectDocument } from '../../src/core/summary.js';
import { readTensorBytes, readTensorFloat32, tensorValueChunks } from '../../src/core/values.js';
import { tensorStats } from '../../src/stats/tensorStats.js';
import { buildNameTree, renderNameTree } from '../../src/core/nameTree.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-core-');
const u16 = (...xs: number[]) => new Uint8Array(new Uint16Array(xs).buffer);
const u8 = (...xs: number[]) => new Uint8Array(xs);
const same = (a: ArrayLike<number>, b: number[]) => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < b.length; i++) assert.ok(Object.is(a[i], b[i]) || a[i] === b[i], `index ${i}: ${a[i]} vs ${b[i]}`);
};

describe('decodeToFloat32', () => {
  it('F16: normal, negative, subnormal, infinities, NaN', () => {
    same(decodeToFloat32('F16', u16(0x3c00, 0xc000, 0x0001, 0x7c00, 0xfc00, 0x7bff)), [1, -2, 2 ** -24, Infinity, -Infinity, 65504]);
    assert.ok(Number.isNaN(decodeToFloat32('F16', u16(0x7e00))[0]));
  });
  it('BF16', () => same(decodeToFloat32('BF16', u16(0x3f80, 0xc040, 0x7f80)), [1, -3, Infinity]));
  it('F8_E4M3 (fn: no inf, 0x7f NaN, max 448)', () => {
    same(decodeToFloat32('F8_E4M3', u8(0x38, 0x7e, 0xb8, 0x01)), [1, 448, -1, 2 ** -9]);
    assert.ok(Number.isNaN(decodeToFloat32('F8_E4M3', u8(0x7f))[0]));
  });
  it('F8_E5M2', () => same(decodeToFloat32('F8_E5M2', u8(0x3c, 0x7b, 0x7c, 0xfc)), [1, 57344, Infinity, -Infinity]));
  it('F8_E8M0 scales', () => same(decodeToFloat32('F8_E8M0', u8(127, 128, 0)), [1, 2, 2 ** -127]));
  it('F4 E2M1, two per byte, low nibble first', () => same(decodeToFloat32('F4', u8(0x72, 0x0f)), [1, 6, -6, 0]));
  it('F6_E2M3 and F6_E3M2 (4 values in 3 bytes)', () => {
    // values 0x1f, 0x08, 0x00, 0x3f packed little-endian: bits 0-5, 6-11, 12-17, 18-23.
    const pack = (a: number, b: number, c: number, d: number) => {
      const w = a | (b << 6) | (c << 12) | (d << 18);
      return u8(w & 0xff, (w >> 8) & 0xff, (w >> 16) & 0xff);
    };
    same(decodeToFloat32('F6_E2M3', pack(0x1f, 0x08, 0x00, 0x3f)), [7.5, 1, 0, -7.5]);
    same(decodeToFloat32('F6_E3M2', pack(0x1f, 0x0c, 0x00, 0x3f)), [28, 1, 0, -28]);
  });
  it('integers and bool', () => {
    same(decodeToFloat32('I8', u8(0xff, 0x7f)), [-1, 127]);
    same(decodeToFloat32('I64', new Uint8Array(new BigInt64Array([-5n, 1n << 40n]).buffer)), [-5, 2 ** 40]);
    same(decodeToFloat32('U64', new Uint8Array(new BigUint64Array([3n]).buffer)), [3]);
    same(decodeToFloat32('BOOL', u8(0, 1)), [0, 1]);
    same(decodeToFloat32('I32', new Uint8Array(new Int32Array([-7]).buffer)), [-7]);
  });
  it('unaligned input views are handled', () => {
    const buf = new Uint8Array(9);
    buf.set(new Uint8Array(new Float32Array([1.5, -2]).buffer), 1);
    same(decodeToFloat32('F32', buf.subarray(1)), [1.5, -2]);
  });
});

describe('reading a valid file', () => {
  it('reads header only and values by range; inspect document is consistent', async () => {
    const p = join(dir, 'ok.safetensors');
    const w = new Float32Array([1, 2, 3, 4, 5, 6]);
    await writeSafetensors(p, [
      { name: 'b.weight', dtype: 'F32', shape: [2, 3], data: new Uint8Array(w.buffer) },
      { name: 'a.scale', dtype: 'BF16', shape: [], data: u16(0x4040) },
    ], { format: 'pt' });
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    if (!r.ok) return;
    const doc = inspectDocument(r.value);
    assert.equal(doc.tensorCount, 2);
    assert.equal(doc.parameterCount, 7);
    assert.equal(doc.byteCount, 26);
    assert.deepEqual(doc.metadata, { format: 'pt' });
    assert.deepEqual(Object.keys(doc.dtypes), ['BF16', 'F32']);
    assert.deepEqual(doc.problems, []);
    const b = r.value.tensors.find((t) => t.name === 'b.weight')!;
    same(await readTensorFloat32(b), [1, 2, 3, 4, 5, 6]);
    same(new Float32Array((await readTensorBytes(b, 4, 12)).buffer), [2, 3]);
    const s = r.value.tensors.find((t) => t.name === 'a.scale')!;
    same(await readTensorFloat32(s), [3]);
  });
  it('streams a tensor in bounded chunks on element boundaries', async () => {
    const p = join(dir, 'chunks.safetensors');
    const n = 10_001;
    const v = new Float32Array(n).map((_, i) => i);
    await writeSafetensors(p, [{ name: 'x', dtype: 'F32', shape: [n], data: new Uint8Array(v.buffer) }]);
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    if (!r.ok) return;
    let seen = 0;
    let chunks = 0;
    for await (const c of tensorValueChunks(r.value.tensors[0]!, { chunkBytes: 4099 })) {
      assert.ok(c.length <= 1024);
      for (let i = 0; i < c.length; i++) assert.equal(c[i], seen + i);
      seen += c.length;
      chunks++;
    }
    assert.equal(seen, n);
    assert.ok(chunks > 5);
  });
});

describe('tensor statistics', () => {
  it('min/max/mean/std, NaN/Inf/zeros and a histogram that sums to the finite count', async () => {
    const p = join(dir, 'stats.safetensors');
    const vals = [0, 0, 1, 2, 3, 4, NaN, Infinity, -Infinity, -4];
    await writeSafetensors(p, [{ name: 'x', dtype: 'F32', shape: [vals.length], data: new Uint8Array(new Float32Array(vals).buffer) }]);
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    if (!r.ok) return;
    const s = await tensorStats(r.value.tensors[0]!, { bins: 8, chunkBytes: 12 });
    const finite = [0, 0, 1, 2, 3, 4, -4];
    const mean = finite.reduce((a, b) => a + b) / finite.length;
    const std = Math.sqrt(finite.reduce((a, b) => a + (b - mean) ** 2, 0) / finite.length);
    assert.equal(s.count, 10);
    assert.equal(s.min, -4);
    assert.equal(s.max, 4);
    assert.ok(Math.abs(s.mean! - mean) < 1e-12);
    assert.ok(Math.abs(s.std! - std) < 1e-12);
    assert.equal(s.nan, 1);
    assert.equal(s.posInf, 1);
    assert.equal(s.negInf, 1);
    assert.equal(s.zeros, 2);
    assert.equal(s.histogram.counts.reduce((a, b) => a + b), 7);
    assert.equal(s.histogram.edges.length, 9);
    assert.equal(s.histogram.counts[0], 1); // -4 alone in the first bin
    assert.equal(s.histogram.counts[7], 2); // 3 and 4 share the last bin [3, 4]
  });
  it('an all-NaN tensor has null moments', async () => {
    const p = join(dir, 'nan.safetensors');
    await writeSafetensors(p, [{ name: 'x', dtype: 'F16', shape: [2], data: u16(0x7e00, 0x7e00) }]);
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    if (!r.ok) return;
    const s = await tensorStats(r.value.tensors[0]!);
    assert.equal(s.mean, null);
    assert.equal(s.nan, 2);
  });
});

describe('name tree', () => {
  it('collapses identical numbered blocks and keeps different ones apart', async () => {
    const p = join(dir, 'tree.safetensors');
    const ts = [];
    for (let i = 0; i < 12; i++) ts.push({ name: `blocks.${i}.w`, dtype: 'F32' as const, shape: [2] });
    ts.push({ name: 'blocks.12.w', dtype: 'F32' as const, shape: [3] });
    await writeSafetensors(p, ts);
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    if (!r.ok) return;
    const tree = buildNameTree(r.value.tensors);
    const lines = renderNameTree(tree, (n) => (n.repeat > 1 ? ` ×${n.repeat}` : ''));
    assert.ok(lines.some((l) => l.includes('{0..11}') && l.includes('×12')), lines.join('\n'));
    assert.ok(lines.some((l) => l.trim().startsWith('12')));
    assert.equal(tree.tensorCount, 13);
  });
});

describe('sharded checkpoint', () => {
  it('opens as one model with per-shard attribution and no problems when consistent', async () => {
    const d = join(dir, 'shards');
    mkdirSync(d);
    await writeSafetensors(join(d, 'model-00001-of-00002.safetensors'), [{ name: 'a', dtype: 'F32', shape: [2] }]);
    await writeSafetensors(join(d, 'model-00002-of-00002.safetensors'), [{ name: 'b', dtype: 'F16', shape: [4] }]);
    const idx = join(d, 'model.safetensors.index.json');
    writeFileSync(idx, JSON.stringify({ metadata: { total_size: 16 }, weight_map: { a: 'model-00001-of-00002.safetensors', b: 'model-00002-of-00002.safetensors' } }));
    const r = await openCheckpoint(idx);
    assert.ok(r.ok);
    if (!r.ok) return;
    assert.equal(r.value.format, 'safetensors-sharded');
    assert.deepEqual(r.value.tensors.map((t) => [t.name, t.shard]), [['a', 'model-00001-of-00002.safetensors'], ['b', 'model-00002-of-00002.safetensors']]);
    assert.deepEqual(r.value.problems, []);
    assert.equal(inspectDocument(r.value).files.length, 2);
  });
});
