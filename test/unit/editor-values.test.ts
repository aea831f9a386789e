/**
 * The details pane's first values through the real worker (src/extension/worker.ts, loaded with
 * tsx): dequantised GGUF values equal to gguf-py's (test/fixtures/gguf/expected.json), NaN/±Inf
 * as text, undecodable and unknown tensors answered with a code, and the messages that carry
 * them pass the protocol's validators.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { MAX_PREVIEW_VALUES, parseHostMessage, parseWebviewMessage, PREVIEW_VALUES } from '../../src/shared/protocol.js';
import { realWorker } from '../helpers/realWorker.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(__dirname, '../fixtures/gguf');
const EXPECTED = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<string, { tensors: { name: string; values?: number[] }[] }>;
const dir = tempDir('ckl-editor-values-');
const { client, logs } = realWorker(dir);
const options = { target: 'auto', valueCheckBudgetBytes: 64 << 20 };

test('values: the first 16 dequantised values of GGUF tensors equal gguf-py; the answer validates as a host message', async () => {
  const out = await client.open('g', join(FIX, 'quants.gguf'), options);
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message} ${logs.join('\n')}`);
  for (const name of ['q4_k', 'q6_k', 'q8_0', 'f16']) {
    const r = await client.values('g', name, PREVIEW_VALUES);
    assert.ok(r.ok, r.ok ? '' : `${name}: ${r.code}: ${r.message}`);
    const expected = EXPECTED['quants.gguf']!.tensors.find((t) => t.name === name)!.values!.slice(0, 16).map(Math.fround);
    assert.equal(r.values.values.length, 16, name);
    r.values.values.forEach((v, i) => assert.ok(Object.is(v, expected[i]) || (v === 0 && expected[i] === 0), `${name}[${i}]: ${v} != ${expected[i]}`));
    assert.equal(r.values.elementCount, 512);
    assert.equal(r.values.dequantized, name !== 'f16', name);
    assert.equal(r.values.dtype, name === 'f16' ? 'F16' : name.toUpperCase());
    // Through the webview's validator (what postMessage carries: JSON).
    const msg = JSON.parse(JSON.stringify({ type: 'values', requestId: 7, values: r.values }));
    assert.ok(parseHostMessage(msg), `${name}: the host message validates`);
  }
});

test('values: an undecodable type, an unknown tensor and a closed checkpoint answer with their codes', async () => {
  assert.ok((await client.open('g2', join(FIX, 'quants.gguf'), options)).ok);
  const bad = await client.values('g2', 'iq2_xxs', PREVIEW_VALUES);
  assert.ok(!bad.ok);
  assert.equal(!bad.ok && bad.code, 'gguf-values-not-decodable');
  assert.ok(!bad.ok && bad.message.length > 0);
  assert.ok(parseHostMessage({ type: 'valuesError', requestId: 1, code: !bad.ok ? bad.code : '', message: !bad.ok ? bad.message : '' }));
  const missing = await client.values('g2', 'no such tensor', PREVIEW_VALUES);
  assert.equal(!missing.ok && missing.code, 'tensor-not-found');
  const closed = await client.values('never-opened', 'q4_k', PREVIEW_VALUES);
  assert.equal(!closed.ok && closed.code, 'not-open');
});

test('values: NaN and ±Inf come back as text; short and empty tensors give what they have; the count is capped', async () => {
  const p = join(dir, 'm.safetensors');
  const f16 = new Uint16Array([0x3c00, 0x7e00, 0x7c00, 0xfc00, 0x8000]); // 1, NaN, +Inf, -Inf, -0
  const big = new Float32Array(200).map((_, i) => i / 8);
  await writeSafetensors(p, [
    { name: 'h', dtype: 'F16', shape: [5], data: new Uint8Array(f16.buffer) },
    { name: 'empty', dtype: 'F32', shape: [0, 3], data: new Uint8Array(0) },
    { name: 'big', dtype: 'F32', shape: [200], data: new Uint8Array(big.buffer) },
  ]);
  assert.ok((await client.open('s', p, options)).ok);
  const h = await client.values('s', 'h', PREVIEW_VALUES);
  assert.ok(h.ok);
  assert.deepEqual(h.values.values.slice(0, 4), [1, 'NaN', 'Infinity', '-Infinity']);
  assert.ok(Object.is(h.values.values[4], -0));
  assert.equal(h.values.dequantized, false);
  assert.ok(parseHostMessage(JSON.parse(JSON.stringify({ type: 'values', requestId: 1, values: h.values }))));
  const e = await client.values('s', 'empty', PREVIEW_VALUES);
  assert.ok(e.ok && e.values.values.length === 0 && e.values.elementCount === 0);
  const b = await client.values('s', 'big', 1000);
  assert.ok(b.ok);
  assert.equal(b.values.values.length, MAX_PREVIEW_VALUES);
  assert.equal(b.values.values[63], 63 / 8);
});

test('values protocol: requests and answers are validated on both sides', () => {
  assert.deepEqual(parseWebviewMessage({ type: 'requestValues', requestId: 3, name: 'a.b' }), { type: 'requestValues', requestId: 3, name: 'a.b' });
  assert.equal(parseWebviewMessage({ type: 'requestValues', requestId: -1, name: 'a' }), null);
  assert.equal(parseWebviewMessage({ type: 'requestValues', requestId: 1 }), null);
  const ok = { name: 'x', dtype: 'Q4_K', dequantized: true, elementCount: 4, values: [1, 'NaN', 'Infinity', '-Infinity'] };
  assert.ok(parseHostMessage({ type: 'values', requestId: 1, values: ok }));
  assert.equal(parseHostMessage({ type: 'values', requestId: 1, values: { ...ok, values: ['<b>1</b>'] } }), null, 'only NaN/±Infinity as text');
  assert.equal(parseHostMessage({ type: 'values', requestId: 1, values: { ...ok, values: [null] } }), null);
  assert.equal(parseHostMessage({ type: 'values', requestId: 1, values: { ...ok, values: new Array(MAX_PREVIEW_VALUES + 1).fill(0) } }), null, 'at most MAX_PREVIEW_VALUES');
  assert.equal(parseHostMessage({ type: 'values', requestId: 1, values: { ...ok, dequantized: 'yes' } }), null);
  assert.equal(parseHostMessage({ type: 'valuesError', requestId: 1, code: 'x' }), null);
});

test('tree rows: the worker keeps the tree; open answers a header without roots; windows of rows validate; closed → null', async () => {
  const file = join(dir, 'rows.safetensors');
  const tensors = Array.from({ length: 300 }, (_, i) => ({ name: `model.layers.${Math.floor(i / 10)}.sub${i % 10}.weight`, dtype: 'F32' as const, shape: [1], data: new Uint8Array(new Float32Array([i]).buffer) }));
  await writeSafetensors(file, tensors);
  const out = await client.open('r', file, options);
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message}`);
  assert.ok(!('roots' in out.model), 'the tree stays in the worker');
  assert.ok(parseHostMessage({ type: 'model', model: out.model }));
  const expand = await client.tree('r', 1, { kind: 'expandAll' }, 0, 20, -1);
  assert.ok(expand && parseHostMessage(expand));
  const last = await client.tree('r', 2, { kind: 'rows' }, expand.total - 5, expand.total, -1);
  assert.ok(last);
  assert.equal(last.rows.at(-1)!.path, 'model.layers.29.sub9.weight');
  const found = await client.tree('r', 3, { kind: 'reveal', name: 'model.layers.17.sub3.weight' }, 0, 20, -1);
  assert.ok(found && found.focus >= 0);
  assert.equal(found.rows[found.focus - found.start]!.path, 'model.layers.17.sub3.weight');
  assert.equal(await client.tree('nope', 4, { kind: 'rows' }, 0, 10, -1), null);
});
