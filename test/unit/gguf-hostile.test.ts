import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import type { ReadError } from '../../src/core/result.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { buildGguf, type GgufSpec, type KvValue } from '../helpers/ggufBuilder.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * One test per validation rule of the GGUF reader: each hostile file gets its own code, nothing
 * crashes or hangs, and absurd counts/lengths are refused before anything is allocated for them.
 */
const dir = tempDir('gguf-hostile-');
let n = 0;

function write(buf: Buffer, name = `h${n++}.gguf`): string {
  const p = join(dir, name);
  writeFileSync(p, buf);
  return p;
}

async function fatal(buf: Buffer): Promise<ReadError> {
  const r = await openCheckpoint(write(buf));
  assert.ok(!r.ok, 'expected the file to be refused');
  return r.error;
}

async function opens(spec: GgufSpec | Buffer): Promise<Checkpoint> {
  const r = await openCheckpoint(write(Buffer.isBuffer(spec) ? spec : buildGguf(spec).buf));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

const codes = (c: Checkpoint) => c.problems.map((p) => p.code);
const F32 = 0;
const Q4_0 = 2;
const arch: [string, KvValue] = ['general.architecture', { t: 'string', v: 'llama' }];

describe('GGUF hostile files: one code per rule', () => {
  it('bad magic', async () => {
    const e = await fatal(buildGguf({ magic: 0x12345678 }).buf);
    assert.equal(e.code, 'gguf-bad-magic');
  });

  it('a .gguf that is a Git LFS pointer says so', async () => {
    const e = await fatal(Buffer.from('version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 4368439584\n'));
    assert.equal(e.code, 'git-lfs-pointer');
  });

  it('a non-GGUF name with the GGUF magic is routed to the GGUF reader', async () => {
    const p = write(buildGguf({ kv: [arch] }).buf, 'renamed.bin2');
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    assert.equal(r.value.format, 'gguf');
  });

  it('unsupported version (1, 4) and big-endian files', async () => {
    assert.equal((await fatal(buildGguf({ version: 1 }).buf)).code, 'gguf-unsupported-version');
    assert.equal((await fatal(buildGguf({ version: 4 }).buf)).code, 'gguf-unsupported-version');
    assert.equal((await fatal(buildGguf({ version: 0x03000000 }).buf)).code, 'gguf-big-endian');
  });

  it('truncated header (inside the counts, a key, a value, a tensor info)', async () => {
    const full = buildGguf({ kv: [arch, ['x', { t: 'u32', v: 7 }]], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }], data: 16 }).buf;
    for (const cut of [3, 10, 30, 45, 60, 80]) {
      const e = await fatal(full.subarray(0, cut));
      assert.equal(e.code, 'gguf-header-truncated', `cut at ${cut}: ${e.message}`);
    }
  });

  it('absurd tensor and kv counts are refused before allocating', async () => {
    assert.equal((await fatal(buildGguf({ tensorCount: 2n ** 40n }).buf)).code, 'gguf-count-too-large');
    assert.equal((await fatal(buildGguf({ kvCount: 2n ** 62n }).buf)).code, 'gguf-count-too-large');
    // A plausible count the file cannot hold: cut short, not corrupt.
    assert.equal((await fatal(buildGguf({ kvCount: 1000 }).buf)).code, 'gguf-header-truncated');
  });

  it('absurd string lengths (key, value, tensor name)', async () => {
    assert.equal((await fatal(buildGguf({ kv: [['k', { t: 'string', v: 'abc', len: 2n ** 50n }]] }).buf)).code, 'gguf-string-too-long');
    assert.equal((await fatal(buildGguf({ kv: [['k', { t: 'string', v: 'abc', len: 1000n }]] }).buf)).code, 'gguf-string-too-long');
    const b = buildGguf({ kv: [arch], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }] }).buf;
    // Key length field of the first kv (offset 24) set to 2^63.
    const bad = Buffer.from(b);
    bad.writeBigUInt64LE(2n ** 63n, 24);
    assert.equal((await fatal(bad)).code, 'gguf-string-too-long');
  });

  it('absurd array lengths, nested arrays too deep, unknown value types', async () => {
    const t0 = Date.now();
    assert.equal((await fatal(buildGguf({ kv: [['a', { t: 'array', of: 'u8', items: [], len: 2n ** 52n }]] }).buf)).code, 'gguf-array-too-long');
    assert.equal((await fatal(buildGguf({ kv: [['a', { t: 'array', of: 'string', items: [], len: 10n ** 6n }]] }).buf)).code, 'gguf-array-too-long');
    assert.ok(Date.now() - t0 < 30_000); // refused, not iterated
    let deep: KvValue = { t: 'array', of: 'u8', items: [] };
    for (let i = 0; i < 9; i++) deep = { t: 'array', of: 'array', items: [deep] };
    assert.equal((await fatal(buildGguf({ kv: [['deep', deep]] }).buf)).code, 'gguf-array-nesting-too-deep');
    assert.equal((await fatal(buildGguf({ kv: [['t', { t: 'raw', typeId: 99, bytes: [0, 0, 0, 0] }]] }).buf)).code, 'gguf-bad-value-type');
    assert.equal((await fatal(buildGguf({ kv: [['t', { t: 'array', of: '77', items: [] }]] }).buf)).code, 'gguf-bad-value-type');
  });

  it('absurd dimension counts are fatal; 5 dimensions make only that tensor unreadable', async () => {
    assert.equal((await fatal(buildGguf({ tensors: [{ name: 'a', ne: [], nDims: 100000, type: F32, offset: 0 }], data: 64 }).buf)).code, 'gguf-tensor-dims-invalid');
    const c = await opens({ tensors: [{ name: 'five', ne: [1, 1, 1, 1, 1], type: F32, offset: 0 }, { name: 'ok', ne: [4], type: F32, offset: 32 }], data: 64 });
    assert.deepEqual(c.tensors.map((t) => t.name), ['ok']);
    assert.deepEqual(c.unreadable.map((u) => u.name), ['five']);
    assert.ok(codes(c).includes('gguf-tensor-shape-invalid'));
  });

  it('dimensions above 2^53 or an element count above 2^53', async () => {
    const c = await opens({ tensors: [{ name: 'huge', ne: [2n ** 60n], type: F32, offset: 0 }, { name: 'prod', ne: [2 ** 30, 2 ** 30], type: F32, offset: 0 }], data: 64 });
    assert.equal(c.tensors.length, 0);
    assert.deepEqual(codes(c), ['gguf-tensor-shape-invalid']);
    assert.equal(c.problems[0]!.tensors!.length, 2);
  });

  it('tensor data past the end of the file (truncated download)', async () => {
    const c = await opens({ tensors: [{ name: 'a', ne: [8], type: F32, offset: 0 }, { name: 'b', ne: [64], type: F32, offset: 32 }], data: 64 });
    assert.deepEqual(c.tensors.map((t) => t.name), ['a']);
    assert.deepEqual(c.unreadable.map((u) => u.name), ['b']);
    assert.deepEqual(codes(c), ['gguf-tensor-past-eof']);
    const far = await opens({ tensors: [{ name: 'a', ne: [8], type: F32, offset: 2n ** 60n }], data: 64 });
    assert.deepEqual(codes(far), ['gguf-tensor-past-eof']);
  });

  it('data section starting past the end of the file', async () => {
    const { buf, dataStart } = buildGguf({ kv: [['general.alignment', { t: 'u32', v: 4096 }]], tensors: [{ name: 'a', ne: [8], type: F32, offset: 0 }], alignment: 4096 });
    assert.equal(dataStart, 4096);
    const c = await opens(buf.subarray(0, 200));
    assert.ok(codes(c).includes('gguf-data-truncated'));
    assert.ok(codes(c).includes('gguf-tensor-past-eof'));
  });

  it('overlapping tensors', async () => {
    const c = await opens({ tensors: [{ name: 'a', ne: [16], type: F32, offset: 0 }, { name: 'b', ne: [8], type: F32, offset: 32 }, { name: 'c', ne: [8], type: F32, offset: 64 }], data: 128 });
    assert.deepEqual(codes(c), ['gguf-tensor-overlap']);
    assert.deepEqual([...c.problems[0]!.tensors!].sort(), ['a', 'b']);
  });

  it('misaligned tensor offsets', async () => {
    const c = await opens({ tensors: [{ name: 'a', ne: [4], type: F32, offset: 4 }], data: 64 });
    assert.deepEqual(codes(c), ['gguf-tensor-misaligned']);
    assert.equal(c.tensors.length, 1);
  });

  it('invalid general.alignment (not a power of two; wrong type)', async () => {
    const c = await opens({ kv: [['general.alignment', { t: 'u32', v: 48 }]], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }], data: 64 });
    assert.deepEqual(codes(c), ['gguf-alignment-invalid']);
    const c2 = await opens({ kv: [['general.alignment', { t: 'i32', v: 64 }]], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }], alignment: 64, data: 64 });
    assert.deepEqual(codes(c2), ['gguf-alignment-invalid']);
    // A valid custom alignment moves the data start.
    const c3 = await opens({ kv: [['general.alignment', { t: 'u32', v: 256 }]], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }], alignment: 256, data: 64 });
    assert.deepEqual(codes(c3), []);
    assert.equal((c3.tensors[0]!.data as { offset: number }).offset, 256);
  });

  it('duplicate tensor names and duplicate keys', async () => {
    const c = await opens({ kv: [arch, arch], tensors: [{ name: 'a', ne: [4], type: F32, offset: 0 }, { name: 'a', ne: [4], type: F32, offset: 32 }], data: 64 });
    assert.deepEqual(codes(c).sort(), ['gguf-duplicate-key', 'gguf-duplicate-tensor']);
    assert.equal(c.tensors.length, 1);
    assert.equal(c.unreadable.length, 1);
  });

  it('unknown and removed tensor types make only those tensors unreadable', async () => {
    const c = await opens({ tensors: [{ name: 'odd', ne: [32], type: 200, offset: 0 }, { name: 'old', ne: [32], type: 4, offset: 0 }, { name: 'ok', ne: [4], type: F32, offset: 64 }], data: 128 });
    assert.deepEqual(c.tensors.map((t) => t.name), ['ok']);
    assert.deepEqual(c.unreadable.map((u) => [u.name, u.rawDtype]), [['odd', 'type 200'], ['old', 'Q4_2']]);
    assert.deepEqual(codes(c), ['gguf-unknown-tensor-type']);
  });

  it('rows that are not whole blocks', async () => {
    const c = await opens({ tensors: [{ name: 'q', ne: [30, 2], type: Q4_0, offset: 0 }], data: 64 });
    assert.deepEqual(codes(c), ['gguf-tensor-block-mismatch']);
    assert.equal(c.unreadable[0]!.name, 'q');
  });

  it('tensor names llama.cpp refuses as too long; names with control characters are kept verbatim (escaped on output)', async () => {
    const long = 'x'.repeat(80);
    const c = await opens({ tensors: [{ name: long, ne: [4], type: F32, offset: 0 }, { name: 'evil\u001b[31m', ne: [4], type: F32, offset: 32 }], data: 64 });
    assert.deepEqual(codes(c), ['gguf-tensor-name-too-long']);
    assert.ok(c.tensors.some((t) => t.name === 'evil\u001b[31m'));
  });

  it('a key named __proto__ is plain data', async () => {
    const c = await opens({ kv: [['__proto__', { t: 'string', v: 'x' }], arch] });
    assert.equal(Object.getPrototypeOf(c.metadata), Object.prototype);
    assert.equal(Object.prototype.hasOwnProperty.call(c.metadata, '__proto__'), true);
  });

  it('random byte flips never crash the reader', async () => {
    const base = buildGguf({ kv: [arch, ['a', { t: 'array', of: 'string', items: [{ t: 'string', v: 'x' }, { t: 'string', v: 'yy' }] }]], tensors: [{ name: 'a', ne: [32, 2], type: Q4_0, offset: 0 }, { name: 'b', ne: [4], type: F32, offset: 64 }], data: 128 }).buf;
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 300; i++) {
      const b = Buffer.from(base);
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips; k++) b[8 + Math.floor(rnd() * (b.length - 8))] = Math.floor(rnd() * 256);
      const r = await openCheckpoint(write(b, 'flip.gguf'));
      if (!r.ok) assert.match(r.error.code, /^(gguf-[a-z-]+|io-error)$/);
    }
  });
});
