import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { openEngine } from '../../src/probe/engine.js';
import { expectedTensors, type ProbeModelConfig } from '../../src/probe/modelConfig.js';
import { runProbe } from '../../src/probe/probe.js';
import { referenceForward } from '../../src/probe/reference.js';
import { encodeFloats, syntheticValues, tinyResNetConfig, writeSyntheticClip, type SyntheticDtype } from '../../src/probe/syntheticCheckpoint.js';
import { tempDir } from '../helpers/tmp.js';
import { canonicalValues, fixtureInputs, maxAbsDiff } from './probe-fixtures.js';

const dir = tempDir('ckl-probe-resnet-');
const cacheDir = join(dir, 'cache');

/** Writes an OpenAI-layout ModifiedResNet CLIP, runs the ONNX graph on CPU and the TypeScript reference on the same inputs. */
async function compare(cfg: ProbeModelConfig, dtype: SyntheticDtype, tag: string) {
  const path = join(dir, `rn-${tag}-${dtype}.safetensors`);
  await writeSyntheticClip(path, cfg, { dtype, seed: 3 });
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const er = await openEngine(ck.value, { provider: 'cpu', cacheDir, textHeads: cfg.text.heads, activation: { value: cfg.activation, source: 'test' } });
  assert.ok(er.ok, er.ok ? '' : `${er.error.code}: ${er.error.message}`);
  const e = er.engine;
  try {
    assert.deepEqual({ ...e.config, activationSource: 'test' }, { ...cfg, activationSource: 'test' }, 'config (stem width, blocks per stage, pool heads, image size) read back from the keys');
    assert.equal(e.weights.randomInitialized.length, 0);
    assert.equal(e.weightsAccess, 'hard-link');
    const n = 2;
    const m = 3;
    const { ids } = fixtureInputs(e.config, n, m);
    const pixels = distinctImages(cfg.vision.imageSize);
    const out = await e.run(pixels, n, ids, m);
    const vals = new Map<string, Float32Array>();
    for (const [name, w] of e.weights.byName) vals.set(name, await canonicalValues(w));
    const ref = referenceForward(e.config, (k) => vals.get(k)!, pixels, n, ids, m);
    const dImg = maxAbsDiff(out.imageEmbeds, ref.imageEmbeds);
    assert.ok(dImg <= 1e-4, `image embeds differ by ${dImg}`);
    assert.ok(maxAbsDiff(out.textEmbeds, ref.textEmbeds) <= 1e-4, 'text embeds');
    assert.ok(maxAbsDiff(out.logitsPerImage, ref.logitsPerImage) <= 1e-4 * 100, 'logits');
    assert.ok(maxAbsDiff(out.imageEmbeds.subarray(0, cfg.embedDim), out.imageEmbeds.subarray(cfg.embedDim)) > 1e-2, 'different images give different embeddings');
  } finally {
    await e.close();
  }
}

const tiny = tinyResNetConfig();

/**
 * Two images that differ in content, not only in phase: global pooling makes a shifted copy of
 * the same texture embed almost identically, which would hide a graph that ignores the image.
 */
function distinctImages(S: number): Float32Array {
  return new Float32Array(2 * 3 * S * S).map((_, i) => (i < 3 * S * S ? Math.sin(i * 0.37) : Math.cos(i * 0.011 + (i % S) * 0.2)) * 1.5);
}

for (const dtype of ['F32', 'F16', 'BF16'] as const) {
  test(`ModifiedResNet image tower: ONNX graph matches the TypeScript reference (${dtype})`, async () => {
    await compare(tiny, dtype, 'tiny');
  });
}

test('ModifiedResNet with plain (no-downsample) blocks and a 3×3 pool grid matches the reference', async () => {
  // heads 2 is not OpenAI's width·32/64 rule (4): a config-file hint must win over the rule.
  const cfg = tinyResNetConfig({ vision: { kind: 'resnet', width: 8, stages: [2, 2, 1, 1], heads: 2, imageSize: 96, tokens: 10 } });
  const path = join(dir, 'rn-deep.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F32', seed: 9 });
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const er = await openEngine(ck.value, { provider: 'cpu', cacheDir, visionHeads: 2, activation: { value: 'quickgelu', source: 'test' } });
  assert.ok(er.ok, er.ok ? '' : er.error.message);
  try {
    const e = er.engine;
    assert.deepEqual(e.config.vision, cfg.vision);
    const { ids } = fixtureInputs(e.config, 2, 2);
    const pixels = distinctImages(96);
    const out = await e.run(pixels, 2, ids, 2);
    assert.ok(maxAbsDiff(out.imageEmbeds.subarray(0, cfg.embedDim), out.imageEmbeds.subarray(cfg.embedDim)) > 1e-2, 'different images give different embeddings');
    const vals = new Map<string, Float32Array>();
    for (const [name, w] of e.weights.byName) vals.set(name, await canonicalValues(w));
    const ref = referenceForward(e.config, (k) => vals.get(k)!, pixels, 2, ids, 2);
    assert.ok(maxAbsDiff(out.imageEmbeds, ref.imageEmbeds) <= 1e-4, `image embeds differ by ${maxAbsDiff(out.imageEmbeds, ref.imageEmbeds)}`);
    // The reference is sensitive to what it checks: a wrong BatchNorm variance changes the embeddings.
    const broken = new Map(vals);
    broken.set('visual.layer1.1.bn2.running_var', vals.get('visual.layer1.1.bn2.running_var')!.map((v) => v * 4));
    const refBroken = referenceForward(e.config, (k) => broken.get(k)!, pixels, 2, ids, 2);
    assert.ok(maxAbsDiff(out.imageEmbeds, refBroken.imageEmbeds) > 1e-3, 'the check can fail');
  } finally {
    await er.engine.close();
  }
});

test('ResNet checkpoint keys: num_batches_tracked is ignored, a missing BatchNorm is random-initialised like a loader, wrong shapes are errors', async () => {
  const specs = expectedTensors(tiny);
  const write = async (name: string, drop: string | undefined, reshape?: [string, number[]]) => {
    const path = join(dir, name);
    await writeSafetensors(
      path,
      specs
        .filter((s) => s.name !== drop)
        .map((s, i) => {
          const shape = reshape && reshape[0] === s.name ? reshape[1] : s.shape;
          return { name: s.name, dtype: 'F32' as const, shape, data: encodeFloats(syntheticValues(s.name, shape.reduce((a, b) => a * b, 1), i, shape), 'F32') };
        }),
    );
    const ck = await openCheckpoint(path);
    assert.ok(ck.ok);
    return openEngine(ck.value, { provider: 'cpu', cacheDir });
  };
  const missing = await write('rn-missing.safetensors', 'visual.layer2.0.bn3.running_var');
  assert.ok(missing.ok, missing.ok ? '' : missing.error.message);
  assert.deepEqual(missing.engine.weights.randomInitialized, [{ tower: 'vision', tensors: ['visual.layer2.0.bn3.running_var'], whole: false }]);
  const rv = missing.engine.weights.byName.get('visual.layer2.0.bn3.running_var')!;
  assert.ok(rv.kind === 'random' && rv.values.every((v) => v === 1), 'running_var initialises to ones');
  assert.equal(missing.engine.config.vision.heads, 4, 'OpenAI rule: pool heads = width · 32 / 64');
  await missing.engine.close();

  const wrong = await write('rn-wrong.safetensors', undefined, ['visual.layer3.0.conv2.weight', [32, 32, 1, 1]]);
  assert.ok(!wrong.ok);
  assert.equal(wrong.error.code, 'probe-shape-mismatch');

  const noPool = await write('rn-nopool.safetensors', 'visual.attnpool.positional_embedding');
  assert.ok(!noPool.ok);
  assert.equal(noPool.error.code, 'probe-incomplete-tower');

  const vitTarget = await (async () => {
    const ck = await openCheckpoint(join(dir, 'rn-missing.safetensors'));
    assert.ok(ck.ok);
    return openEngine(ck.value, { provider: 'cpu', cacheDir, target: 'ViT-B-16' });
  })();
  assert.ok(!vitTarget.ok);
  assert.equal(vitTarget.error.code, 'probe-target-mismatch');

  const mixed = await (async () => {
    const path = join(dir, 'rn-mixed.safetensors');
    await writeSafetensors(path, [...specs.map((s) => ({ name: s.name, dtype: 'F32' as const, shape: s.shape })), { name: 'visual.proj', dtype: 'F32', shape: [8, 16] }]);
    const ck = await openCheckpoint(path);
    assert.ok(ck.ok);
    return openEngine(ck.value, { provider: 'cpu', cacheDir });
  })();
  assert.ok(!mixed.ok);
  assert.equal(mixed.error.code, 'probe-unsupported-architecture', 'ViT and ResNet keys together');

  const noStage = await write('rn-nostage.safetensors', undefined, ['visual.attnpool.positional_embedding', [6, 256]]);
  assert.ok(!noStage.ok);
  assert.equal(noStage.error.code, 'probe-unsupported-architecture', 'a pool table that is not a square grid + 1');
});

test('runProbe end to end on a tiny ResNet CLIP: built-in probe set, report names the ResNet tower', async () => {
  const base = tinyResNetConfig();
  const cfg = tinyResNetConfig({ text: { ...base.text, vocabSize: 49408, contextLength: 77 } });
  const path = join(dir, 'rn-e2e.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F16' });
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const r = await runProbe(ck.value, { provider: 'cpu', cacheDir, keepTensors: true });
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  const rep = r.report;
  assert.deepEqual(rep.model.vision, { architecture: 'resnet', width: 8, layers: 4, heads: 4, patch: 32, stages: [1, 1, 1, 1] });
  assert.equal(rep.model.imageSize, 64);
  assert.equal(rep.images, 42);
  assert.deepEqual(rep.randomInitialized, []);
  assert.equal(rep.provider, 'cpu');
  assert.ok(rep.verdict.code === 'at-chance' || rep.verdict.code === 'weak', `random weights are not aligned (${rep.verdict.code}, top1 ${rep.top1})`);
  const t = r.tensors!;
  assert.equal(t.imageEmbeds.length, 42 * cfg.embedDim);
  for (let i = 0; i < 42; i++) {
    let s = 0;
    for (let e = 0; e < cfg.embedDim; e++) s += t.imageEmbeds[i * cfg.embedDim + e]! ** 2;
    assert.ok(Math.abs(s - 1) < 1e-4, 'image embeddings are finite and L2-normalised');
  }
});
