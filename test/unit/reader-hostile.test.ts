/**
 * Hostile-input suite for the safetensors reader: every malformed file yields its own
 * specific error code (fatal ReadError or per-tensor Problem), never a crash or a hang.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readSafetensorsFile } from '../../src/formats/safetensors/single.js';
import { readShardedSafetensors } from '../../src/formats/safetensors/sharded.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { rawSafetensors, rawWithHeaderBytes } from '../helpers/rawSafetensors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-hostile-');
let n = 0;
function file(bytes: Uint8Array | string): string {
  const p = join(dir, `case${n++}.safetensors`);
  writeFileSync(p, bytes);
  return p;
}
const t = (dtype: unknown, shape: unknown, offs: unknown) => ({ dtype, shape, data_offsets: offs });

interface FatalCase {
  name: string;
  bytes: () => Uint8Array | string;
  code: string;
}

const fatal: FatalCase[] = [
  { name: 'empty file', bytes: () => new Uint8Array(0), code: 'file-empty' },
  { name: '7-byte file', bytes: () => new Uint8Array(7), code: 'file-too-small' },
  { name: 'header claim 100 MB + 1', bytes: () => rawSafetensors('{}', 0, { lengthPrefix: 100_000_001n }), code: 'header-too-large' },
  { name: 'header claim 2^64-1', bytes: () => rawSafetensors('{}', 0, { lengthPrefix: 0xffffffffffffffffn }), code: 'header-too-large' },
  { name: 'header claim 2^53', bytes: () => rawSafetensors('{}', 0, { lengthPrefix: 1n << 53n }), code: 'header-too-large' },
  { name: 'header claim exactly 100 MB, file small', bytes: () => rawSafetensors('{}', 0, { lengthPrefix: 100_000_000n }), code: 'header-length-exceeds-file' },
  { name: 'header longer than file', bytes: () => rawSafetensors('{}', 0, { lengthPrefix: 1000n }), code: 'header-length-exceeds-file' },
  { name: 'header length 0', bytes: () => rawSafetensors('', 0), code: 'header-start-invalid' },
  { name: 'header is a JSON array', bytes: () => rawSafetensors('[]'), code: 'header-start-invalid' },
  { name: 'header with leading space before a non-object', bytes: () => rawSafetensors(' []'), code: 'header-start-invalid' },
  { name: 'header invalid UTF-8', bytes: () => rawWithHeaderBytes(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])), code: 'header-not-utf8' },
  { name: 'header overlong UTF-8 encoding', bytes: () => rawWithHeaderBytes(new Uint8Array([0x7b, 0x22, 0xc0, 0xaf, 0x22, 0x3a, 0x31, 0x7d])), code: 'header-not-utf8' },
  { name: 'header truncated JSON', bytes: () => rawSafetensors('{"a": {"dtype": "F32"'), code: 'header-not-json' },
  { name: 'header JSON with trailing garbage', bytes: () => rawSafetensors('{}x'), code: 'header-not-json' },
  { name: 'header with NUL padding', bytes: () => rawSafetensors('{}\0\0\0\0\0\0'), code: 'header-not-json' },
  { name: 'Git LFS pointer', bytes: () => 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'ab'.repeat(32) + '\nsize 598641023\n', code: 'git-lfs-pointer' },
  { name: 'HTML error page', bytes: () => '<!DOCTYPE html><html><body>404 Not Found</body></html>', code: 'html-page' },
  { name: 'HTML page with leading whitespace', bytes: () => '\n  <html><head><title>Sign in</title></head></html>', code: 'html-page' },
  { name: 'PyTorch zip', bytes: () => Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(60)]), code: 'pytorch-zip' },
  { name: 'raw pickle', bytes: () => Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8]), code: 'pickle' },
  { name: 'gzip', bytes: () => Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), code: 'gzip' },
];

interface ProblemCase {
  name: string;
  header: string | object;
  data?: number;
  code: string;
}

const perTensor: ProblemCase[] = [
  { name: '__metadata__ is a string', header: { __metadata__: 'x' }, code: 'metadata-invalid' },
  { name: '__metadata__ value is a number', header: { __metadata__: { format: 1 } }, code: 'metadata-invalid' },
  { name: 'entry is a number', header: { w: 5 }, code: 'tensor-entry-invalid' },
  { name: 'entry is an array', header: { w: [1, 2] }, code: 'tensor-entry-invalid' },
  { name: 'dtype missing', header: { w: { shape: [1], data_offsets: [0, 4] } }, data: 4, code: 'tensor-entry-invalid' },
  { name: 'dtype not a string', header: { w: t(32, [1], [0, 4]) }, data: 4, code: 'tensor-entry-invalid' },
  { name: 'unknown dtype', header: { w: t('F12', [1], [0, 4]) }, data: 4, code: 'dtype-unknown' },
  { name: 'shape missing', header: { w: { dtype: 'F32', data_offsets: [0, 4] } }, data: 4, code: 'shape-invalid' },
  { name: 'negative dimension', header: { w: t('F32', [-1], [0, 4]) }, data: 4, code: 'shape-invalid' },
  { name: 'fractional dimension', header: { w: t('F32', [1.5], [0, 4]) }, data: 4, code: 'shape-invalid' },
  { name: 'string dimension', header: { w: t('F32', ['1'], [0, 4]) }, data: 4, code: 'shape-invalid' },
  { name: 'dimension 2^53', header: '{"w":{"dtype":"U8","shape":[9007199254740992],"data_offsets":[0,4]}}', data: 4, code: 'shape-invalid' },
  { name: 'dimension 1e308', header: '{"w":{"dtype":"U8","shape":[1e308],"data_offsets":[0,4]}}', data: 4, code: 'shape-invalid' },
  { name: 'element count overflow', header: { w: t('F32', [1 << 30, 1 << 30], [0, 4]) }, data: 4, code: 'element-count-overflow' },
  { name: '4097 dimensions', header: { w: t('F32', new Array(4097).fill(1), [0, 4]) }, data: 4, code: 'shape-invalid' },
  { name: 'offsets missing', header: { w: { dtype: 'F32', shape: [1] } }, data: 4, code: 'offsets-invalid' },
  { name: 'three offsets', header: { w: t('F32', [1], [0, 4, 8]) }, data: 4, code: 'offsets-invalid' },
  { name: 'end before begin', header: { w: t('F32', [1], [4, 0]) }, data: 4, code: 'offsets-invalid' },
  { name: 'negative offset', header: { w: t('F32', [1], [-4, 0]) }, data: 4, code: 'offsets-invalid' },
  { name: 'offset at 2^53', header: '{"w":{"dtype":"F32","shape":[1],"data_offsets":[9007199254740992,9007199254740996]}}', data: 4, code: 'offsets-invalid' },
  { name: 'offsets as strings', header: { w: t('F32', [1], ['0', '4']) }, data: 4, code: 'offsets-invalid' },
  { name: 'shape × dtype ≠ span', header: { w: t('F32', [2], [0, 4]) }, data: 4, code: 'size-mismatch' },
  { name: 'BF16 span off by one', header: { w: t('BF16', [2], [0, 5]) }, data: 5, code: 'size-mismatch' },
  { name: 'F4 odd element count', header: { w: t('F4', [3], [0, 2]) }, data: 2, code: 'sub-byte-misaligned' },
  { name: 'F6 element count not filling bytes', header: { w: t('F6_E2M3', [3], [0, 3]) }, data: 3, code: 'sub-byte-misaligned' },
  { name: 'overlapping tensors', header: { a: t('F32', [2], [0, 8]), b: t('F32', [1], [4, 8]) }, data: 8, code: 'tensors-overlap' },
  { name: 'hole between tensors', header: { a: t('F32', [1], [0, 4]), b: t('F32', [1], [8, 12]) }, data: 12, code: 'data-hole' },
  { name: 'hole at start', header: { a: t('F32', [1], [4, 8]) }, data: 8, code: 'data-hole' },
  { name: 'trailing bytes', header: { a: t('F32', [1], [0, 4]) }, data: 9, code: 'trailing-bytes' },
  { name: 'truncated data', header: { a: t('F32', [4], [0, 16]) }, data: 7, code: 'truncated' },
  { name: 'huge tensor claimed (2^50 bytes)', header: { a: t('U8', [2 ** 50], [0, 2 ** 50]) }, data: 16, code: 'truncated' },
  { name: 'unknown entry field', header: { a: { ...t('F32', [1], [0, 4]), device: 'cuda' } }, data: 4, code: 'tensor-entry-extra-fields' },
  { name: 'duplicate name (last wins, first range is a hole)', header: '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', data: 8, code: 'data-hole' },
];

describe('hostile safetensors files: fatal errors', () => {
  for (const c of fatal) {
    it(`${c.name} → ${c.code}`, async () => {
      const r = await readSafetensorsFile(file(c.bytes()));
      assert.equal(r.ok, false, 'expected the file to be refused');
      if (!r.ok) {
        assert.equal(r.error.code, c.code);
        assert.ok(r.error.message.length > 10, 'message is a sentence');
      }
    });
  }
  it('a directory → not-a-file', async () => {
    const d = join(dir, 'adir.safetensors');
    mkdirSync(d);
    const r = await readSafetensorsFile(d);
    assert.equal(r.ok ? 'ok' : r.error.code, 'not-a-file');
  });
  it('a missing path → file-not-found', async () => {
    const r = await readSafetensorsFile(join(dir, 'nope.safetensors'));
    assert.equal(r.ok ? 'ok' : r.error.code, 'file-not-found');
  });
  it('deeply nested JSON (200,000 levels) → clear error, no crash', async () => {
    const depth = 200_000;
    const r = await readSafetensorsFile(file(rawSafetensors('{"a":' + '['.repeat(depth) + ']'.repeat(depth) + '}')));
    // Either JSON.parse refuses the depth (header-not-json) or the entry is rejected as not a tensor.
    const code = r.ok ? r.value.problems.map((p) => p.code).join(',') : r.error.code;
    assert.match(code, /^(header-not-json|header-too-deep|tensor-entry-invalid)$/);
  });
});

describe('hostile safetensors files: per-tensor problems keep the file readable', () => {
  for (const c of perTensor) {
    it(`${c.name} → ${c.code}`, async () => {
      const r = await readSafetensorsFile(file(rawSafetensors(c.header, c.data ?? 0)));
      assert.equal(r.ok, true, r.ok ? '' : `refused: ${r.error.code}`);
      if (r.ok) {
        const codes = r.value.problems.map((p) => p.code);
        assert.ok(codes.includes(c.code), `expected ${c.code}, got [${codes.join(', ')}]`);
      }
    });
  }
  it('an unknown dtype marks only that tensor', async () => {
    const r = await readSafetensorsFile(file(rawSafetensors({ a: t('F32', [1], [0, 4]), b: t('Q4_K', [4], [4, 8]) }, 8)));
    assert.ok(r.ok);
    if (r.ok) {
      assert.deepEqual(r.value.tensors.map((x) => x.name), ['a']);
      assert.deepEqual(r.value.unreadable.map((x) => [x.name, x.rawDtype]), [['b', 'Q4_K']]);
      assert.ok(r.value.problems.every((p) => p.severity !== 'error'), 'unknown dtype is a warning');
    }
  });
  it('a truncated file keeps the tensors that are complete', async () => {
    const r = await readSafetensorsFile(file(rawSafetensors({ a: t('F32', [1], [0, 4]), b: t('F32', [4], [4, 20]) }, 10)));
    assert.ok(r.ok);
    if (r.ok) {
      assert.deepEqual(r.value.tensors.map((x) => x.name), ['a']);
      assert.deepEqual(r.value.unreadable.map((x) => x.name), ['b']);
    }
  });
});

describe('hostile sharded checkpoints', () => {
  async function shardedDir(index: unknown, shards: Record<string, { name: string; shape: number[] }[]>): Promise<string> {
    const d = join(dir, `sharded${n++}`);
    mkdirSync(d);
    for (const [f, ts] of Object.entries(shards)) await writeSafetensors(join(d, f), ts.map((x) => ({ ...x, dtype: 'F32' as const })));
    const p = join(d, 'model.safetensors.index.json');
    writeFileSync(p, typeof index === 'string' ? index : JSON.stringify(index));
    return p;
  }
  const A = { name: 'a', shape: [2] };
  const B = { name: 'b', shape: [3] };
  const cases: { name: string; index: unknown; shards: Record<string, { name: string; shape: number[] }[]>; code: string; fatal?: boolean }[] = [
    { name: 'index not JSON', index: '{"weight_map": ', shards: {}, code: 'index-not-json', fatal: true },
    { name: 'index without weight_map', index: { metadata: {} }, shards: {}, code: 'index-invalid', fatal: true },
    { name: 'weight_map entry not a string', index: { weight_map: { a: 3 } }, shards: {}, code: 'index-invalid-entry' },
    { name: 'shard path traversal', index: { weight_map: { a: '../../etc/passwd' } }, shards: {}, code: 'shard-path-invalid' },
    { name: 'absolute shard path', index: { weight_map: { a: '/etc/passwd' } }, shards: {}, code: 'shard-path-invalid' },
    { name: 'shard missing on disk', index: { weight_map: { a: 's1.safetensors', b: 's2.safetensors' } }, shards: { 's1.safetensors': [A] }, code: 'shard-missing' },
    { name: 'indexed tensor absent from shards', index: { weight_map: { a: 's1.safetensors', b: 's1.safetensors' } }, shards: { 's1.safetensors': [A] }, code: 'index-tensor-missing' },
    { name: 'tensor in a different shard', index: { weight_map: { a: 's1.safetensors', b: 's1.safetensors' } }, shards: { 's1.safetensors': [A], 's2.safetensors': [B] }, code: 'index-tensor-missing' },
    { name: 'tensor in the other listed shard', index: { weight_map: { a: 's2.safetensors', b: 's1.safetensors' } }, shards: { 's1.safetensors': [A], 's2.safetensors': [B] }, code: 'index-wrong-shard' },
    { name: 'tensor not in the index', index: { weight_map: { a: 's1.safetensors' } }, shards: { 's1.safetensors': [A, B] }, code: 'shard-tensor-not-indexed' },
    { name: 'duplicate across shards', index: { weight_map: { a: 's1.safetensors', b: 's2.safetensors' } }, shards: { 's1.safetensors': [A], 's2.safetensors': [A, B] }, code: 'duplicate-tensor' },
    { name: 'total_size mismatch', index: { metadata: { total_size: 999 }, weight_map: { a: 's1.safetensors' } }, shards: { 's1.safetensors': [A] }, code: 'total-size-mismatch' },
  ];
  for (const c of cases) {
    it(`${c.name} → ${c.code}`, async () => {
      const r = await readShardedSafetensors(await shardedDir(c.index, c.shards));
      if (c.fatal) {
        assert.equal(r.ok ? 'ok' : r.error.code, c.code);
      } else {
        assert.ok(r.ok, r.ok ? '' : r.error.code);
        if (r.ok) assert.ok(r.value.problems.some((p) => p.code === c.code), `expected ${c.code}, got ${r.value.problems.map((p) => p.code).join(',')}`);
      }
    });
  }
  it('an LFS pointer as a shard → shard-unreadable naming git-lfs-pointer', async () => {
    const p = await shardedDir({ weight_map: { a: 's1.safetensors' } }, {});
    writeFileSync(join(p, '..', 's1.safetensors'), 'version https://git-lfs.github.com/spec/v1\noid sha256:00\nsize 5\n');
    const r = await readShardedSafetensors(p);
    assert.ok(r.ok);
    if (r.ok) {
      const pr = r.value.problems.find((x) => x.code === 'shard-unreadable');
      assert.ok(pr && pr.message.includes('git-lfs-pointer'));
    }
  });
});

it('the suite covers at least 40 distinct malformed files', () => {
  assert.ok(fatal.length + perTensor.length + 3 + 13 >= 40);
});
