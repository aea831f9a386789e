import assert from 'node:assert/strict';
import { openSync, closeSync, ftruncateSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import { countParameters, understandGguf } from '../../src/formats/gguf/understand.js';
import { tensorValues } from '../../src/cli/commands/values.js';
import { buildGguf, type KvValue } from '../helpers/ggufBuilder.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * A 10 GB GGUF (sparse: only the header is written) with a 200,000-token vocabulary opens in
 * bounded memory: the header is read through a window, arrays are summarised, tensor data is
 * never touched. The RSS bound is loose on purpose (no timing, no tight memory assertion).
 */
it('a 10 GB sparse GGUF opens in bounded memory and reads one block at the end', async () => {
  const dir = tempDir('gguf-sparse-');
  const path = join(dir, 'big.gguf');
  const Q4_0 = 2;
  const rows = 32768;
  const cols = 8192; // one tensor: 8192×32768 Q4_0 = 151 MB
  const perTensor = (rows * cols * 18) / 32;
  const count = 68; // ≈ 10.3 GB
  const tokens: KvValue = { t: 'array', of: 'string', items: Array.from({ length: 200_000 }, (_, i) => ({ t: 'string' as const, v: `token-${i}` })) };
  const tensors = Array.from({ length: count }, (_, i) => ({ name: `blk.${i}.ffn_up.weight`, ne: [cols, rows], type: Q4_0, offset: i * perTensor }));
  const { buf, dataStart } = buildGguf({ kv: [['general.architecture', { t: 'string', v: 'llama' }], ['tokenizer.ggml.tokens', tokens], ['tokenizer.ggml.bos_token_id', { t: 'u32', v: 150_001 }]], tensors });
  const fd = openSync(path, 'w');
  writeSync(fd, buf);
  ftruncateSync(fd, dataStart + count * perTensor);
  closeSync(fd);
  assert.ok(statSync(path).size > 10e9);

  global.gc?.();
  const before = process.memoryUsage().rss;
  const r = await openCheckpoint(path);
  const after = process.memoryUsage().rss;
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.value.tensors.length, count);
  assert.deepEqual(r.value.problems, []);
  assert.ok(after - before < 256 << 20, `RSS grew by ${((after - before) / 2 ** 20).toFixed(0)} MiB`);
  assert.match(r.value.metadata['tokenizer.ggml.tokens']!, /^\[string × 200000\] "token-0"/);
  const p = countParameters(r.value.tensors);
  assert.equal(p.total, count * rows * cols);
  assert.equal(p.bytes, count * perTensor);
  // A special token far past the retained sample is fetched with one bounded pass.
  const s = await understandGguf(r.value);
  assert.deepEqual(s.tokenizer?.specialTokens.bos, { id: 150_001, text: 'token-150001' });
  assert.equal(s.tokenizer?.vocabularySize, 200_000);
  const last = r.value.tensors[count - 1]!;
  const v = await tensorValues(last, last.elementCount - 3, 10);
  // Q4_0 of zero bytes: (0 - 8) × 0 = -0, as in llama.cpp.
  assert.deepEqual(v.values, [-0, -0, -0]);
});
