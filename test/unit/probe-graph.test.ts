import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import type { FamilyId } from '../../src/layouts/canonical.js';
import { openEngine, type EngineOptions } from '../../src/probe/engine.js';
import { referenceForward } from '../../src/probe/reference.js';
import { tinyConfig, type SyntheticDtype } from '../../src/probe/syntheticCheckpoint.js';
import type { ProbeModelConfig } from '../../src/probe/modelConfig.js';
import { tempDir } from '../helpers/tmp.js';
import { canonicalValues, fixtureInputs, maxAbsDiff, writeLayoutFixture } from './probe-fixtures.js';

const dir = tempDir('ckl-probe-graph-');
const cacheDir = join(dir, 'cache');

/** Builds the ONNX graph for a fixture, runs it on CPU and compares with the TypeScript reference. */
async function compare(family: FamilyId, dtype: SyntheticDtype, cfg: ProbeModelConfig, extra: Partial<EngineOptions> = {}, omit: ('text' | 'vision')[] = []) {
  const path = join(dir, `${family}-${dtype}-${cfg.activation}-${cfg.pooling.kind}-${omit.join('')}.safetensors`);
  await writeLayoutFixture(path, cfg, family, dtype, omit);
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const er = await openEngine(ck.value, { provider: 'cpu', cacheDir, visionHeads: cfg.vision.heads, textHeads: cfg.text.heads, activation: { value: cfg.activation, source: 'test' }, pooling: cfg.pooling, ...extra });
  assert.ok(er.ok, er.ok ? '' : `${er.error.code}: ${er.error.message}`);
  const e = er.engine;
  try {
    assert.equal(e.provider, 'cpu');
    if (omit.length === 0) assert.deepEqual({ ...e.config, activationSource: 'test' }, { ...cfg, activationSource: 'test' }, 'config read back from the file');
    else assert.deepEqual({ ...e.config.vision, projBias: false }, { ...cfg.vision, projBias: false }, 'vision config read back from the file');
    const n = 2;
    const m = 3;
    const { pixels, ids } = fixtureInputs(e.config, n, m);
    const out = await e.run(pixels, n, ids, m);
    const vals = new Map<string, Float32Array>();
    for (const [name, w] of e.weights.byName) vals.set(name, await canonicalValues(w));
    const ref = referenceForward(e.config, (k) => vals.get(k)!, pixels, n, ids, m);
    assert.ok(maxAbsDiff(out.imageEmbeds, ref.imageEmbeds) <= 1e-4, `image embeds differ by ${maxAbsDiff(out.imageEmbeds, ref.imageEmbeds)}`);
    assert.ok(maxAbsDiff(out.textEmbeds, ref.textEmbeds) <= 1e-4, `text embeds differ by ${maxAbsDiff(out.textEmbeds, ref.textEmbeds)}`);
    // Logits are scaled by exp(logit_scale) = 100: compare relative to that scale.
    assert.ok(maxAbsDiff(out.logitsPerImage, ref.logitsPerImage) <= 1e-4 * 100, 'logits');
    // The embeddings are not degenerate (a broken graph that outputs constants would still "match" a broken reference).
    assert.ok(maxAbsDiff(out.imageEmbeds.subarray(0, cfg.embedDim), out.imageEmbeds.subarray(cfg.embedDim)) > 1e-3, 'different images give different embeddings');
    return e;
  } finally {
    await e.close();
  }
}

const cfg = tinyConfig();

for (const family of ['openai-clip', 'hf-clip'] as const) {
  for (const dtype of ['F32', 'F16', 'BF16'] as const) {
    test(`ONNX graph matches the TypeScript reference: ${family} ${dtype}`, async () => {
      const e = await compare(family, dtype, cfg);
      assert.equal(e.weights.randomInitialized.length, 0);
      assert.equal(e.weightsAccess, 'hard-link', 'weights referenced in place, not copied');
    });
  }
}

test('timm vision-only tower (cls_token/pos_embed reshaped, head transposed, head bias added): matches the reference, text tower random', async () => {
  const e = await compare('timm-vit', 'BF16', cfg, {}, ['text']);
  assert.equal(e.config.vision.kind !== 'resnet' && e.config.vision.kind !== 'siglip' && e.config.vision.projBias, true, 'timm head.bias is part of the image projection');
  assert.deepEqual(e.unmapped, []);
  assert.deepEqual(
    e.weights.randomInitialized.map((r) => [r.tower, r.whole]),
    [
      ['text', true],
      ['shared', true],
    ],
  );
});

test('GELU activation and eos-id pooling (transformers configs) match the reference', async () => {
  // eos id 62 is the fixture's start token, so eos pooling picks position 0 where argmax would pick the EOT: the paths differ.
  const c = tinyConfig({ activation: 'gelu', pooling: { kind: 'eos', eosTokenId: 62 } });
  await compare('hf-clip', 'F16', c);
});

test('the activation matters: QuickGELU and GELU graphs give different embeddings', async () => {
  const path = join(dir, 'act.safetensors');
  await writeLayoutFixture(path, cfg, 'openai-clip', 'F32');
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const { pixels, ids } = fixtureInputs(cfg, 1, 1);
  const outs = [];
  for (const value of ['quickgelu', 'gelu'] as const) {
    const er = await openEngine(ck.value, { provider: 'cpu', cacheDir, visionHeads: 2, textHeads: 2, activation: { value, source: 'test' } });
    assert.ok(er.ok);
    outs.push(await er.engine.run(pixels, 1, ids, 1));
    await er.engine.close();
  }
  assert.ok(maxAbsDiff(outs[0]!.imageEmbeds, outs[1]!.imageEmbeds) > 1e-3);
});

test('a missing text tower is random-initialised with a fixed seed: two runs agree, a different seed does not', async () => {
  const path = join(dir, 'visonly.safetensors');
  await writeLayoutFixture(path, cfg, 'openai-clip', 'F32', ['text']);
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const run = async (seed?: number) => {
    // The text tower config is the open_clip default for the embed dim (width = embed dim, 12 layers, 77 tokens).
    const er = await openEngine(ck.value, { provider: 'cpu', cacheDir, visionHeads: 2, ...(seed !== undefined ? { seed } : {}) });
    assert.ok(er.ok, er.ok ? '' : er.error.message);
    assert.equal(er.engine.config.text.layers, 12);
    assert.equal(er.engine.config.text.width, cfg.embedDim);
    const { pixels, ids } = fixtureInputs(er.engine.config, 1, 2);
    const o = await er.engine.run(pixels, 1, ids, 2);
    await er.engine.close();
    return o.textEmbeds;
  };
  const a = await run();
  const b = await run();
  const c = await run(7);
  assert.equal(maxAbsDiff(a, b), 0);
  assert.ok(maxAbsDiff(a, c) > 1e-3);
});

test('unsupported layouts and shapes are errors with codes, not crashes', async () => {
  const path = join(dir, 'bad.safetensors');
  const { writeSafetensors } = await import('../../src/core/writeSafetensors.js');
  await writeSafetensors(path, [{ name: 'encoder.weight', dtype: 'F32', shape: [4, 4] }]);
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const er = await openEngine(ck.value, { provider: 'cpu', cacheDir });
  assert.ok(!er.ok);
  assert.equal(er.error.code, 'probe-unsupported-architecture');

  // A positional table that is not a square grid + 1.
  await writeSafetensors(path, [
    { name: 'visual.conv1.weight', dtype: 'F32', shape: [32, 3, 8, 8] },
    { name: 'visual.positional_embedding', dtype: 'F32', shape: [6, 32] },
    { name: 'visual.proj', dtype: 'F32', shape: [32, 16] },
  ]);
  const ck2 = await openCheckpoint(path);
  assert.ok(ck2.ok);
  const er2 = await openEngine(ck2.value, { provider: 'cpu', cacheDir });
  assert.ok(!er2.ok);
  assert.equal(er2.error.code, 'probe-unsupported-architecture');

  // Integer weights cannot be a CLIP layer.
  await writeSafetensors(path, [
    { name: 'visual.conv1.weight', dtype: 'I32', shape: [32, 3, 8, 8] },
    { name: 'visual.positional_embedding', dtype: 'F32', shape: [5, 32] },
    { name: 'visual.proj', dtype: 'F32', shape: [32, 16] },
    { name: 'visual.transformer.resblocks.0.ln_1.weight', dtype: 'F32', shape: [32] },
  ]);
  const ck3 = await openCheckpoint(path);
  assert.ok(ck3.ok);
  const er3 = await openEngine(ck3.value, { provider: 'cpu', cacheDir });
  assert.ok(!er3.ok);
  assert.equal(er3.error.code, 'probe-weight-dtype');
});
