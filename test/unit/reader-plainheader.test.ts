/**
 * The plain-form header scanner must give exactly what JSON.parse + the full checks give, or
 * decline: every case here is read both ways and compared field by field (tensors, exact begins,
 * metadata, problems, unreadable entries, error codes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHeader, parseHeaderJson } from '../../src/formats/safetensors/header.js';
import { scanPlainHeader } from '../../src/formats/safetensors/plainHeader.js';
import { inspectDocument, inspectDocumentJson } from '../../src/core/summary.js';
import type { Checkpoint, TensorInfo } from '../../src/core/checkpoint.js';

const enc = new TextEncoder();
const src = { path: '/m.safetensors' };

function both(header: string, source: { path: string; shard?: string } = src) {
  const bytes = enc.encode(header);
  const fast = parseHeader(bytes, source, 'm');
  const slow = parseHeaderJson(bytes, source, 'm');
  assert.deepEqual(fast, slow, `paths differ for ${JSON.stringify(header).slice(0, 200)}`);
  if (fast.ok && slow.ok) assert.deepEqual([...fast.value.begins], [...slow.value.begins]);
  return { fast, plain: scanPlainHeader(bytes, () => true) !== undefined };
}

const e = (dtype: string, shape: string, offs: string) => `{"dtype":"${dtype}","shape":${shape},"data_offsets":${offs}}`;

describe('plain header scanner', () => {
  it('takes the plain path for what writers emit and matches JSON.parse', () => {
    const h = `{"__metadata__":{"format":"pt","x":""},"a.weight":${e('F32', '[2,3]', '[0,24]')},"b":${e('BF16', '[]', '[24,26]')},"c":${e('I8', '[0,7]', '[26,26]')}}`;
    const r = both(h + '    ');
    assert.equal(r.plain, true);
    assert.ok(r.fast.ok);
    assert.equal(r.fast.value.tensors.length, 3);
    assert.deepEqual(r.fast.value.metadata, { format: 'pt', x: '' });
    assert.equal(r.fast.value.tensors[0]!.data.offset, 8 + enc.encode(h + '    ').length);
  });

  it('matches JSON.parse with whitespace, field order, shards, big numbers', () => {
    const cases = [
      `{ "a" : { "shape" : [ 1 , 2 ] , "data_offsets" : [ 0 , 8 ] , "dtype" : "F32" } }\n`,
      `{"a":{"data_offsets":[0,2],"dtype":"F16","shape":[1]},"__metadata__":{}}`,
      `{"a":${e('U8', '[9007199254740991]', '[0,9007199254740991]')}}`,
      `{"a":${e('U8', '[4294967296]', '[4294967296,8589934592]')}}`,
      `{"a":${e('U8', '[1073741824]', '[0,1073741824]')},"b":${e('U8', '[2147483648]', '[1073741824,3221225472]')}}`,
      `{}`,
      `{ }  `,
      `{"":${e('F32', '[1]', '[0,4]')}}`,
      `{"b":${e('F32', '[1]', '[4,8]')},"a":${e('F32', '[1]', '[0,4]')}}`,
      `{"a":${e('F32', '[1]', '[0,4]')},"b":${e('F32', '[1]', '[0,4]')}}`,
      `{"a":${e('F32', '[1]', '[0,4]')},"z":${e('F32', '[1]', '[8,12]')}}`,
      `{"__proto__":${e('F32', '[1]', '[0,4]')},"constructor":${e('F32', '[1]', '[4,8]')},"toString":${e('F32', '[1]', '[8,12]')}}`,
    ];
    for (const c of cases) assert.equal(both(c).plain, true, c);
    both(`{"a":${e('F32', '[1]', '[0,4]')}}`, { path: '/s/m-1.safetensors', shard: 'm-1.safetensors' });
  });

  it('declines what it does not fully understand, and JSON.parse decides', () => {
    const declined = [
      `{"a":${e('F32', '[1]', '[0,4]')},"a":${e('F32', '[2]', '[0,8]')}}`, // duplicate: last wins in JSON.parse
      `{"__metadata__":{},"__metadata__":{"a":"b"}}`,
      `{"1":${e('F32', '[1]', '[4,8]')},"0":${e('F32', '[1]', '[0,4]')}}`, // index-like names are listed first
      `{"9a":${e('F32', '[1]', '[0,4]')}}`,
      `{"a\\u0041":${e('F32', '[1]', '[0,4]')}}`,
      `{"é":${e('F32', '[1]', '[0,4]')}}`,
      `{"a":${e('F32', '[1.0]', '[0,4]')}}`,
      `{"a":${e('F32', '[1e0]', '[0,4]')}}`,
      `{"a":${e('F32', '[-0]', '[0,0]')}}`,
      `{"a":${e('F32', '[01]', '[0,4]')}}`,
      `{"a":${e('F32', '[9007199254740992]', '[0,4]')}}`,
      `{"a":${e('F32', '[90071992547409910]', '[0,4]')}}`,
      `{"a":${e('F32', '[1]', '[0,4,8]')}}`,
      `{"a":${e('F32', '[1]', '[0]')}}`,
      `{"a":${e('F32', '[1]', '[0,5]')}}`,
      `{"a":${e('F32', '[1]', '[4,0]')}}`,
      `{"a":${e('I4', '[3]', '[0,2]')}}`,
      `{"a":${e('Q4_K', '[1]', '[0,4]')}}`,
      `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":1}}`,
      `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"dtype":"F16"}}`,
      `{"a":{"dtype":"F32","shape":[1]}}`,
      `{"a":{"dtype":"F32","shape":${JSON.stringify(new Array(65).fill(1))},"data_offsets":[0,4]}}`,
      `{"a":null}`,
      `{"a":[]}`,
      `{"__metadata__":{"__proto__":"x"}}`,
      `{"__metadata__":{"0":"x","b":"y"}}`,
      `{"__metadata__":{"a":"x","a":"y"}}`,
      `{"__metadata__":{"a":1}}`,
      `{"__metadata__":"x"}`,
      `{"a":${e('F32', '[1]', '[0,4]')}} x`,
      `{"a":${e('F32', '[1]', '[0,4]')}}}`,
      `{"a":${e('F32', '[1]', '[0,4]')},}`,
      `{"a":${e('F32', '[1,]', '[0,4]')}}`,
      `{"a":${e('F32', '[1]', '[0,4]')}`,
      `{"a"${e('F32', '[1]', '[0,4]')}}`,
      `{"a":${e('F32', '[1]', '[0,4]')}\u00a0}`,
      `{"a":${e('F32', '[1]', '[0,4]')}\f}`,
      `[1]`,
      ` {}`,
      `{`,
      `{"a\u0001":${e('F32', '[1]', '[0,4]')}}`,
    ];
    // Problems the shared entry checks find (the scanner itself reads these fine).
    const byChecks = new Set([`{"a":${e('F32', '[1]', '[0,5]')}}`, `{"a":${e('F32', '[1]', '[4,0]')}}`, `{"a":${e('I4', '[3]', '[0,2]')}}`, `{"a":${e('Q4_K', '[1]', '[0,4]')}}`]);
    for (const c of declined) {
      const r = both(c);
      if (!byChecks.has(c)) assert.equal(r.plain, false, `scanner should decline ${c}`);
    }
    // The first of them, for the record: JSON.parse's answer (one tensor, the last value) stands.
    const dup = both(declined[0]!).fast;
    assert.ok(dup.ok);
    assert.equal(dup.value.tensors.length, 1);
    assert.deepEqual(dup.value.tensors[0]!.shape, [2]);
  });

  it('agrees with JSON.parse on random mutations of a plain header', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const base = `{"__metadata__":{"format":"pt"},"m.a":${e('F32', '[2,3]', '[0,24]')},"m.b":${e('F16', '[4]', '[24,32]')},"m.c":${e('I64', '[]', '[32,40]')}}`;
    const alphabet = '{}[]":,0123456789 -.eE\\aFI\u00e9\u0000\n';
    for (let k = 0; k < 3000; k++) {
      const chars = [...base];
      for (let m = 1 + rand(3); m > 0; m--) {
        const at = rand(chars.length);
        const op = rand(3);
        const ch = alphabet[rand(alphabet.length)]!;
        if (op === 0) chars[at] = ch;
        else if (op === 1) chars.splice(at, 0, ch);
        else chars.splice(at, 1);
      }
      both(chars.join(''));
    }
  });
});

describe('inspect JSON in pieces', () => {
  const t = (name: string, extra: Partial<TensorInfo> = {}): TensorInfo => ({
    name,
    dtype: 'F32',
    shape: [2, 3],
    elementCount: 6,
    byteLength: 24,
    data: { kind: 'contiguous', file: '/m', offset: 2 ** 40, length: 24 },
    ...extra,
  });
  it('is JSON.stringify(inspectDocument(c)) for any piece size', () => {
    const c: Checkpoint = {
      format: 'safetensors',
      path: '/m "x"',
      files: [{ path: '/m', size: 10 }],
      tensors: [
        t('a\u2028"\\\u0000'),
        t('b', { shard: 's-1', dtype: 'BF16' }),
        t('c', { data: { kind: 'strided', file: '/m', storage: { offset: 0, length: 4 }, storageOffset: 0, strides: [1] } }),
        t('\ud800', { shape: [] }),
      ],
      unreadable: [{ name: 'u', rawDtype: 'X', reason: 'r' }],
      metadata: { k: 'v' },
      problems: [{ code: 'w', severity: 'warning', message: 'm' }, { code: 'e', severity: 'error', message: 'm', tensors: ['a'] }],
      extras: { epoch: '3' },
    };
    const want = JSON.stringify(inspectDocument(c));
    for (const size of [1, 2, 3, 4, 4096]) assert.equal([...inspectDocumentJson(c, size)].join(''), want);
    assert.equal([...inspectDocumentJson({ ...c, tensors: [] })].join(''), JSON.stringify(inspectDocument({ ...c, tensors: [] })));
    const doc = inspectDocument(c);
    assert.equal(doc.parameterCount, 24);
    assert.equal(doc.byteCount, 96);
    assert.deepEqual(Object.keys(doc.dtypes), ['BF16', 'F32']);
  });
});
