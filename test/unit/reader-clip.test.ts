/** Foundation "done when": real CLIP layouts through the reader and `inspect --json`. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { it } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { clipTensorSpecs, writeClipFixture } from '../helpers/clipFixtures.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-clipread-');

it('inspect --json of a 302-tensor open_clip ViT-B-16 (sparse, real shapes): 302 tensors, 149,620,737 parameters', async () => {
  const p = await writeClipFixture(dir, 'open_clip_model.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16'));
  const r = runCli(['inspect', p, '--json']);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.tensorCount, 302);
  assert.equal(doc.parameterCount, 149_620_737);
  assert.equal(doc.byteCount, 149_620_737 * 4);
  assert.deepEqual(doc.problems.filter((p: { code: string; severity: string }) => !/^(text|vision)-|random-init|untrained/.test(p.code) && p.severity === 'error'), []);
});

it('a sharded open_clip ViT-B-16 opens as one model with per-shard attribution', async () => {
  const specs = clipTensorSpecs('openai-clip', 'ViT-B-16');
  const d = join(dir, 'sharded');
  mkdirSync(d);
  const half = Math.floor(specs.length / 2);
  const shards = [specs.slice(0, half), specs.slice(half)];
  const weightMap: Record<string, string> = {};
  let total = 0;
  for (let i = 0; i < 2; i++) {
    const f = `model-0000${i + 1}-of-00002.safetensors`;
    await writeSafetensors(join(d, f), shards[i]!.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape })));
    for (const s of shards[i]!) {
      weightMap[s.name] = f;
      total += s.shape.reduce((a, b) => a * b, 1) * 4;
    }
  }
  const idx = join(d, 'model.safetensors.index.json');
  writeFileSync(idx, JSON.stringify({ metadata: { total_size: total }, weight_map: weightMap }));
  const doc = JSON.parse(runCli(['inspect', idx, '--json']).stdout);
  assert.equal(doc.format, 'safetensors-sharded');
  assert.equal(doc.tensorCount, 302);
  assert.equal(doc.parameterCount, 149_620_737);
  assert.equal(doc.files.length, 2);
  const shardsSeen = new Set(doc.tensors.map((t: { shard: string }) => t.shard));
  assert.deepEqual([...shardsSeen].sort(), ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']);
  assert.equal(doc.problems.filter((p: { code: string }) => /shard|index|total-size|duplicate/.test(p.code)).length, 0);
});
