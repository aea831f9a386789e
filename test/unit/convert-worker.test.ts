/**
 * The editor's convert job through the real worker (src/extension/worker.ts, loaded with tsx):
 * a completed file comes back with its report; a missing donor gives the converter's error with
 * the missing list; a cancelled job answers `cancelled` and leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { WorkerClient } from '../../src/extension/workerClient.js';
import { clipTensorSpecs, tinyClipConfig, writeClipFixture } from '../helpers/clipFixtures.js';
import { realWorker } from '../helpers/realWorker.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-convert-worker-');
const { client } = realWorker(dir);

test('convert job: complete from a donor, refuse without one, cancel cleanly', async () => {
  const cfg = tinyClipConfig();
  mkdirSync(join(dir, 'in'));
  mkdirSync(join(dir, 'donor'));
  const vision = await writeClipFixture(join(dir, 'in'), 'vision.safetensors', clipTensorSpecs('openai-clip', cfg, { vision: true }), { values: 'trained' });
  const donor = await writeClipFixture(join(dir, 'donor'), 'model.safetensors', clipTensorSpecs('hf-clip', cfg), { values: 'trained' });

  const refused = await client.convert({ input: vision, to: 'openclip', output: join(dir, 'a') }, () => undefined).result;
  assert.ok(!refused.ok && 'error' in refused);
  assert.equal(refused.error.code, 'convert-incomplete');
  assert.ok(refused.error.missing!.some((m) => m.name === 'token_embedding.weight'));

  const fractions: number[] = [];
  const done = await client.convert({ input: vision, to: 'openclip', output: join(dir, 'b'), donors: [donor] }, (f) => fractions.push(f)).result;
  assert.ok(done.ok, JSON.stringify(done));
  assert.equal(done.report.byTower.text!.from.donor1, 28);
  assert.ok(done.report.verification.complete);
  assert.ok(fractions.every((f) => f >= 0 && f <= 1));

  // A real-sized (sparse) file, cancelled as soon as it reports progress.
  const big = await writeClipFixture(join(dir, 'in'), 'b16.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16'));
  const out = join(dir, 'c');
  let job: ReturnType<WorkerClient['convert']> | undefined;
  job = client.convert({ input: big, to: 'hf', output: out }, () => job?.cancel());
  const cancelled = await job.result;
  assert.ok(!cancelled.ok);
  assert.ok(('code' in cancelled && cancelled.code === 'cancelled') || ('error' in cancelled && cancelled.error.code === 'convert-interrupted'), JSON.stringify(cancelled));
  assert.ok(!existsSync(out), 'nothing left behind (not even the folder the job created)');
});
