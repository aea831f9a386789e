import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { canonicalFromCheckpoint } from '../../src/probe/canonicalSource.js';
import { deriveConfig } from '../../src/probe/modelConfig.js';
import { hintsFromNamed, matchNamedConfig, namedConfig } from '../../src/probe/namedConfig.js';
import { autoOrder, createSession, precheck } from '../../src/probe/providers.js';
import { resolveWeights } from '../../src/probe/resolveWeights.js';
import { sidecarHints } from '../../src/probe/sidecarConfig.js';
import { clipTensorSpecs, fakeTensors } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const ckptOf = (tensors: Checkpoint['tensors']): Checkpoint => ({ format: 'safetensors', path: '/x/model.safetensors', files: [], tensors, unreadable: [], metadata: {}, problems: [] });

test('real-size layouts read back to the right config (header only): OpenAI ViT-L-14, HF ViT-B-32, timm ViT-B-16 vision-only', async () => {
  for (const [family, name] of [
    ['openai-clip', 'ViT-L-14'],
    ['hf-clip', 'ViT-B-32'],
    ['timm-vit', 'ViT-B-16'],
  ] as const) {
    const w = await canonicalFromCheckpoint(ckptOf(fakeTensors(clipTensorSpecs(family, name))));
    const named = matchNamedConfig(w);
    assert.equal(named?.name, name, `${family} ${name} matched`);
    const r = deriveConfig(w, hintsFromNamed(named!));
    assert.ok(r.ok);
    const c = namedConfig(name)!;
    assert.equal(r.config.vision.width, c.vision.kind === 'vit' ? c.vision.width : -1);
    assert.equal(r.config.vision.kind === 'resnet' ? -1 : r.config.vision.layers, c.vision.kind === 'vit' ? c.vision.layers : -1);
    assert.equal(r.config.text.width, c.text.width);
    assert.equal(r.config.text.layers, c.text.layers);
    assert.equal(r.config.embedDim, c.embedDim);
  }
});

test('ViT-H-14 heads come from the named config (head width 80), not OpenAI width/64', async () => {
  const w = await canonicalFromCheckpoint(ckptOf(fakeTensors(clipTensorSpecs('openai-clip', 'ViT-H-14'))));
  assert.equal(deriveConfig(w).ok && (deriveConfig(w) as { config: { vision: { heads: number } } }).config.vision.heads, 20, 'without hints: 1280/64');
  const r = deriveConfig(w, hintsFromNamed(matchNamedConfig(w)!));
  assert.ok(r.ok);
  assert.equal(r.config.vision.heads, 16);
  assert.equal(r.config.text.heads, 16);
  assert.equal(r.config.namedConfig, 'ViT-H-14');
});

test('real-size ModifiedResNet headers read back to their config: RN50, RN101, RN50x4; a vision-only RN50 gets its 512-wide text tower', async () => {
  for (const name of ['RN50', 'RN101', 'RN50x4']) {
    const rn = await canonicalFromCheckpoint(ckptOf(fakeTensors(clipTensorSpecs('openai-clip', name))));
    const named = matchNamedConfig(rn);
    assert.equal(named?.name, name);
    const c = namedConfig(name)!;
    assert.ok(c.vision.kind === 'resnet');
    const r = deriveConfig(rn);
    assert.ok(r.ok, r.ok ? '' : r.message);
    assert.deepEqual(r.config.vision, { kind: 'resnet', width: c.vision.width, stages: c.vision.layers, heads: (c.vision.width * 32) / 64, imageSize: c.vision.image, tokens: (c.vision.image / 32) ** 2 + 1 });
    assert.equal(r.config.embedDim, c.embedDim);
    assert.equal(r.config.text.width, c.text.width);
    // Every tensor the ResNet forward reads exists in the layout table with the same shape.
    const wr = resolveWeights(rn, r.config);
    assert.ok(wr.ok, wr.ok ? '' : wr.message);
    assert.deepEqual(wr.value.randomInitialized, []);
  }
  const visionOnly = await canonicalFromCheckpoint(ckptOf(fakeTensors(clipTensorSpecs('openai-clip', 'RN50').filter((t) => t.name.startsWith('visual.')))));
  const named = matchNamedConfig(visionOnly);
  assert.equal(named?.name, 'RN50');
  const r = deriveConfig(visionOnly, hintsFromNamed(named!));
  assert.ok(r.ok);
  assert.equal(r.config.embedDim, 1024);
  assert.equal(r.config.text.width, 512, 'RN50 pairs a 512-wide text tower with a 1024 embed dim');
  assert.equal(r.config.text.heads, 8);
});

test('sidecar configs: open_clip quick_gelu / head_width, transformers hidden_act / eos pooling; junk is ignored', async () => {
  const dir = tempDir('ckl-sidecar-');
  assert.deepEqual(await sidecarHints(dir), {});
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ text_config: { hidden_act: 'gelu', eos_token_id: 49407, num_attention_heads: 8 }, vision_config: { num_attention_heads: 12 } }));
  const hf = await sidecarHints(dir);
  assert.equal(hf.activation?.value, 'gelu');
  assert.deepEqual(hf.pooling, { kind: 'eos', eosTokenId: 49407 });
  assert.equal(hf.visionHeads, 12);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ text_config: { eos_token_id: 2 } }));
  const legacy = await sidecarHints(dir);
  assert.equal(legacy.activation?.value, 'quickgelu', 'CLIPConfig default hidden_act');
  assert.equal(legacy.pooling, undefined, 'eos_token_id 2 means argmax pooling (legacy hub configs)');
  writeFileSync(join(dir, 'open_clip_config.json'), JSON.stringify({ model_cfg: { quick_gelu: true, vision_cfg: { width: 1280, head_width: 80 }, text_cfg: { heads: 16 } } }));
  const oc = await sidecarHints(dir);
  assert.equal(oc.activation?.value, 'quickgelu');
  assert.equal(oc.visionHeads, 16);
  writeFileSync(join(dir, 'open_clip_config.json'), JSON.stringify({ model_cfg: { vision_cfg: { width: 64, layers: [3, 4, 6, 3] }, text_cfg: { heads: 8 } } }));
  assert.equal((await sidecarHints(dir)).visionHeads, 32, 'ModifiedResNet: width · 32 / 64 attention-pool heads');
  writeFileSync(join(dir, 'open_clip_config.json'), '[1,2');
  assert.equal((await sidecarHints(dir)).visionHeads, undefined);
});

test('providers: platform order, prechecks with reasons, an explicit unavailable provider is an error listing why', async () => {
  assert.deepEqual(autoOrder('linux'), ['cuda', 'webgpu', 'cpu']);
  assert.deepEqual(autoOrder('win32'), ['dml', 'webgpu', 'cpu']);
  assert.deepEqual(autoOrder('darwin'), ['coreml', 'webgpu', 'cpu']);
  assert.match(precheck('dml', 'linux')!, /only on Windows/);
  assert.match(precheck('coreml', 'win32')!, /only on macOS/);
  assert.equal(precheck('cpu', 'linux'), undefined);
  assert.match(precheck('cuda', 'linux', tempDir('ckl-ort-'))!, /CUDA provider libraries are not installed/);
  const r = await createSession({ modelPath: '/nonexistent.onnx', memoryFiles: [], choice: 'coreml' });
  if (process.platform !== 'darwin') {
    assert.ok(!r.ok);
    assert.equal(r.code, 'probe-provider-unavailable');
    assert.equal(r.attempts[0]?.outcome, 'skipped');
  }
  const bad = await createSession({ modelPath: '/nonexistent.onnx', memoryFiles: [], choice: 'cpu' });
  assert.ok(!bad.ok);
  assert.equal(bad.attempts[0]?.outcome, 'failed', 'a CPU failure is reported, not hidden');
});

test('hostile shapes: a huge declared projection cannot make the probe allocate a giant random text tower', async () => {
  const { resolveWeights } = await import('../../src/probe/resolveWeights.js');
  const w = await canonicalFromCheckpoint(
    ckptOf(
      fakeTensors([
        { name: 'visual.conv1.weight', shape: [64, 3, 16, 16] },
        { name: 'visual.positional_embedding', shape: [197, 64] },
        { name: 'visual.proj', shape: [64, 1_000_000] },
        { name: 'visual.transformer.resblocks.0.ln_1.weight', shape: [64] },
      ]),
    ),
  );
  const c = deriveConfig(w);
  assert.ok(c.ok);
  const r = resolveWeights(w, c.config);
  assert.ok(!r.ok);
  assert.equal(r.code, 'probe-random-init-too-large');
});
