/**
 * The editor's worker (src/extension/worker.ts, loaded with tsx) on GGUF files: the view model
 * carries the GGUF findings (not the CLIP analysis), the stored types, and statistics of
 * dequantised values; an undecodable tensor answers with its code.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { realWorker } from '../helpers/realWorker.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(__dirname, '../fixtures/gguf');
const dir = tempDir('gguf-editor-');
const { client, logs } = realWorker(dir);
const options = { target: 'auto', valueCheckBudgetBytes: 64 << 20 };

test('editor: a projector file too wide for the language model beside it shows the GGUF finding', async () => {
  const out = await client.open('k1', join(FIX, 'tiny-mmproj-wide.gguf'), options);
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message} ${logs.join('\n')}`);
  const codes = out.model.findings.map((f) => f.code);
  assert.ok(codes.includes('gguf-mmproj-width-mismatch'), codes.join());
  assert.ok(!codes.includes('family-unknown'), codes.join());
});

test('editor: quantised tensors show their stored type; stats are of dequantised values; undecodable types answer with a code', async () => {
  const out = await client.open('k2', join(FIX, 'quants.gguf'), options);
  assert.ok(out.ok);
  assert.ok(out.model.dtypes.some((d) => d.dtype === 'Q4_K'));
  const s = await client.stats('k2', 'q6_k', () => {});
  assert.ok(s.ok, s.ok ? '' : s.message);
  assert.equal(s.ok && s.stats.count, 512);
  const bad = await client.stats('k2', 'iq2_xxs', () => {});
  assert.ok(!bad.ok);
  assert.equal(!bad.ok && bad.code, 'gguf-values-not-decodable');
});
