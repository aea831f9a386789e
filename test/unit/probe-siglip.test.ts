import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTensorFloat32 } from '../../src/core/values.js';
import { writeSafetensors, type TensorToWrite } from '../../src/core/writeSafetensors.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { openEngine, type Engine, type EngineOptions } from '../../src/probe/engine.js';
import { expectedTensors } from '../../src/probe/modelConfig.js';
import { runProbe } from '../../src/probe/probe.js';
import { referenceForward } from '../../src/probe/reference.js';
import { tokenizerFromSentencePiece } from '../../src/probe/sentencepiece.js';
import { sidecarHints } from '../../src/probe/sidecarConfig.js';
import { loadProbeTokenizer } from '../../src/probe/tokenizer.js';
import { tempDir } from '../helpers/tmp.js';
import { fakeTensors } from '../helpers/clipFixtures.js';
import { loadLayouts } from '../helpers/layoutFixtures.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { detectFamily } from '../../src/layouts/canonical.js';
import { openclipFacts } from '../../src/layouts/spec/clipTables.js';
import { deriveSiglipConfig, isSiglipFamily, matchSiglipConfig, siglipFactsFrom, siglipFromCheckpoint } from '../../src/probe/siglipModel.js';
import type { CanonicalSource } from '../../src/probe/canonicalSource.js';
import type { ProbeModelConfig } from '../../src/probe/modelConfig.js';
import type { SiglipFacts } from '../../src/probe/siglipModel.js';
import { canonicalValues, maxAbsDiff, readExpectedTensors } from './probe-fixtures.js';

// Ground truth written by test/fixtures/probe/make_siglip.py (transformers 4.51 SiglipModel / SiglipTokenizer,
// open_clip 3.3 CustomTextCLIP with a timm MAP trunk, a SentencePiece model trained there).
const FIX = join(__dirname, '..', 'fixtures', 'probe', 'siglip');
const tokens = JSON.parse(readFileSync(join(FIX, 'tokens.json'), 'utf8')) as {
  contextLength: number;
  prompts: string[];
  siglipTokenizer: number[][];
  openclipFast: number[][];
  long: { text: string; siglipTokenizer: number[] };
};

const expected = (file = 'expected.safetensors') => readExpectedTensors(join(FIX, file));

test('SentencePiece: spiece.model gives transformers SiglipTokenizer ids, tokenizer.json the fast tokenizer ids', async () => {
  const slow = await loadProbeTokenizer(join(FIX, 'spiece.model'));
  const fast = await loadProbeTokenizer(join(FIX, 'tokenizer.json'), { underscoreToSpace: true });
  assert.ok(slow.ok && fast.ok);
  assert.equal(slow.tokenizer.kind, 'sentencepiece');
  tokens.prompts.forEach((p, i) => {
    assert.deepEqual(slow.tokenizer.encodeForModel(p, tokens.contextLength), tokens.siglipTokenizer[i], `spiece.model: ${p}`);
    assert.deepEqual(fast.tokenizer.encodeForModel(p, tokens.contextLength), tokens.openclipFast[i], `tokenizer.json: ${p}`);
  });
  // Truncation keeps </s> last, as transformers does with truncation=True.
  assert.deepEqual(slow.tokenizer.encodeForModel(tokens.long.text, tokens.contextLength), tokens.long.siglipTokenizer);
});

test('SentencePiece: a BPE model (Gemma / SigLIP 2) and a broken file are refused with codes', () => {
  // ModelProto { pieces: [{piece "a", score 0}], trainer_spec { model_type: BPE (2) } }
  const bpe = Uint8Array.from([0x0a, 0x08, 0x0a, 0x01, 0x61, 0x15, 0, 0, 0, 0, 0x12, 0x02, 0x18, 0x02]);
  assert.throws(() => tokenizerFromSentencePiece(bpe, 'tokenizer.model'), (e: Error & { code?: string }) => e.code === 'tokenizer-unsupported');
  assert.throws(() => tokenizerFromSentencePiece(Uint8Array.from([0x0a, 0x40, 0x01]), 'spiece.model'), (e: Error & { code?: string }) => e.code === 'tokenizer-invalid');
});

async function engineFor(dir: string, file: string, extra: EngineOptions = {}): Promise<Engine> {
  const r = await openCheckpoint(join(dir, file));
  assert.ok(r.ok);
  const e = await openEngine(r.value, { ...(await sidecarHints(dir)), provider: 'cpu', threads: 1, ...extra });
  assert.ok(e.ok, e.ok ? '' : `${e.error.code}: ${e.error.message}`);
  return e.engine;
}

/** The engine's ONNX forward and the plain-TS reference, both against torch's numbers. */
async function checkAgainstTorch(engine: Engine, side: 'hf' | 'openclip'): Promise<void> {
  const exp = await expected();
  const pixels = exp.get('pixel_values') as Float32Array;
  const ids = exp.get(side === 'hf' ? 'input_ids' : 'openclip.input_ids') as BigInt64Array;
  const n = 3;
  const m = ids.length / tokens.contextLength;
  const out = await engine.run(pixels, n, ids, m);
  const torchLogits = exp.get(`${side}.logits_per_image`) as Float32Array;
  assert.ok(maxAbsDiff(out.logitsPerImage, torchLogits) < 5e-5, `ONNX logits vs torch: ${maxAbsDiff(out.logitsPerImage, torchLogits)}`);
  assert.ok(maxAbsDiff(out.imageEmbeds, exp.get(`${side}.image_embeds`) as Float32Array) < 2e-5);
  assert.ok(maxAbsDiff(out.textEmbeds, exp.get(`${side}.text_embeds`) as Float32Array) < 2e-5);
  // The bias matters: logits are not a multiple of the cosines (a dropped logit_bias would fail above too).
  assert.ok(Math.max(...torchLogits) < 5, 'the fixture has a negative logit_bias');
  const values = new Map<string, Float32Array>();
  for (const e of expectedTensors(engine.config)) values.set(e.name, await canonicalValues(engine.weights.byName.get(e.name)!));
  const ref = referenceForward(engine.config, (name) => values.get(name)!, pixels, n, ids, m);
  assert.ok(maxAbsDiff(ref.logitsPerImage, torchLogits) < 5e-5, `reference logits vs torch: ${maxAbsDiff(ref.logitsPerImage, torchLogits)}`);
  assert.ok(maxAbsDiff(ref.logitsPerImage, out.logitsPerImage) < 2e-4);
}

test('transformers SiglipModel: ONNX graph and reference forward match torch logits_per_image (MAP head, tanh GELU, last-token text, bias)', async () => {
  const engine = await engineFor(join(FIX, 'hf'), 'model.safetensors');
  try {
    const c = engine.config;
    assert.equal(c.architecture, 'siglip');
    assert.equal(c.scoring, 'sigmoid');
    assert.equal(c.activation, 'gelu_tanh');
    assert.deepEqual([c.vision.kind, c.vision.width, c.vision.heads, c.text.heads, c.text.causal], ['siglip', 32, 4, 2, false]);
    assert.deepEqual(engine.weights.randomInitialized, []);
    assert.deepEqual(engine.unmapped, []);
    await checkAgainstTorch(engine, 'hf');
  } finally {
    await engine.close();
  }
});

test('open_clip SigLIP (timm MAP trunk, q + kv packed): ONNX graph and reference forward match torch', async () => {
  // The tiny trunk is not one of timm's named models, so its head count comes as a hint (open_clip configs get it from the trunk table).
  const engine = await engineFor(join(FIX, 'openclip'), 'open_clip_model.safetensors', { visionHeads: 4 });
  try {
    assert.equal(engine.config.activation, 'gelu');
    assert.equal(engine.config.text.heads, 2, 'text heads from open_clip_config.json');
    assert.deepEqual(engine.weights.randomInitialized, []);
    assert.deepEqual(engine.unmapped, []);
    await checkAgainstTorch(engine, 'openclip');
  } finally {
    await engine.close();
  }
});

test('runProbe on SigLIP: no tokenizer is probe-tokenizer-missing; with spiece.model the report says sigmoid scoring', async () => {
  const dir = tempDir('ckl-siglip-');
  for (const f of ['model.safetensors', 'config.json']) copyFileSync(join(FIX, 'hf', f), join(dir, f));
  const ck = await openCheckpoint(join(dir, 'model.safetensors'));
  assert.ok(ck.ok);
  const none = await runProbe(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(!none.ok);
  assert.equal(none.error.code, 'probe-tokenizer-missing');
  assert.match(none.error.message, /spiece\.model/);
  // A CLIP vocabulary is not SigLIP's.
  writeFileSync(join(dir, 'clip.json'), JSON.stringify({ model: { type: 'BPE', vocab: { '<|startoftext|>': 0, '<|endoftext|>': 1 }, merges: [] } }));
  const wrong = await runProbe(ck.value, { provider: 'cpu', threads: 1, tokenizer: join(dir, 'clip.json') });
  assert.ok(!wrong.ok);
  assert.equal(wrong.error.code, 'probe-tokenizer-mismatch');
  copyFileSync(join(FIX, 'spiece.model'), join(dir, 'spiece.model'));
  const r = await runProbe(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  assert.equal(r.report.model.scoring, 'sigmoid');
  assert.equal(r.report.model.vision.architecture, 'siglip');
  assert.equal(r.report.model.pooling, 'last');
  assert.match(r.report.tokenizer, /spiece\.model/);
  // transformers SigLIP: SiglipImageProcessor's squash + mean/std 0.5, not CLIP's crop + OpenAI stats.
  assert.match(r.report.preprocess, /^transformers SiglipImageProcessor defaults: resize to S×S \(squash, no crop\), bicubic .*mean \[0\.5, 0\.5, 0\.5\], std \[0\.5, 0\.5, 0\.5\]/);
  assert.match(r.report.verdict.text, /Sigmoid scoring/);
  assert.equal(r.report.classes, 14);
});

/** The fixture's tensors, minus some, rewritten (F32) under `dir`. */
async function subsetOf(src: string, dir: string, keep: (name: string) => boolean, rename: (name: string) => string = (n) => n): Promise<string> {
  const r = await openCheckpoint(src);
  assert.ok(r.ok);
  const tensors: TensorToWrite[] = [];
  for (const t of r.value.tensors) if (keep(t.name)) tensors.push({ name: rename(t.name), dtype: 'F32', shape: t.shape, data: new Uint8Array((await readTensorFloat32(t)).buffer) });
  const out = join(dir, 'model.safetensors');
  await writeSafetensors(out, tensors, { format: 'pt' });
  return out;
}

test('a SigLIP without its text tower: config.json sizes the missing tower, which runs random-initialised and is reported', async () => {
  const dir = tempDir('ckl-siglip-notext-');
  const path = await subsetOf(join(FIX, 'hf', 'model.safetensors'), dir, (n) => !n.startsWith('text_model.'));
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  // Without config.json (or a --target) the text tower's shape is unknown.
  const e0 = await openEngine(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(!e0.ok);
  assert.equal(e0.error.code, 'probe-incomplete-tower');
  const bad = await openEngine(ck.value, { provider: 'cpu', threads: 1, target: 'ViT-B-16' });
  assert.ok(!bad.ok);
  assert.equal(bad.error.code, 'probe-unknown-target');
  copyFileSync(join(FIX, 'hf', 'config.json'), join(dir, 'config.json'));
  const engine = await engineFor(dir, 'model.safetensors');
  try {
    assert.deepEqual(
      engine.weights.randomInitialized.map((r) => [r.tower, r.whole]),
      [['text', true]],
    );
    assert.deepEqual([engine.config.text.width, engine.config.text.layers, engine.config.text.contextLength, engine.config.text.vocabSize], [32, 2, 16, 64]);
    const exp = await expected();
    const out = await engine.run(exp.get('pixel_values') as Float32Array, 3, exp.get('input_ids') as BigInt64Array, 5);
    // The image tower is the file's: its embeddings still match torch.
    assert.ok(maxAbsDiff(out.imageEmbeds, exp.get('hf.image_embeds') as Float32Array) < 2e-5);
  } finally {
    await engine.close();
  }
});

test('open_clip timm trunks the probe does not build are probe-unsupported-architecture naming the trunk', async () => {
  const dir = tempDir('ckl-siglip-convnext-');
  const f32 = (shape: number[]) => ({ dtype: 'F32' as const, shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
  await writeSafetensors(
    join(dir, 'open_clip_model.safetensors'),
    [
      { name: 'visual.trunk.stem.0.weight', ...f32([8, 3, 4, 4]) },
      { name: 'visual.trunk.stages.0.blocks.0.conv_dw.weight', ...f32([8, 1, 7, 7]) },
      { name: 'visual.head.proj.weight', ...f32([8, 8]) },
      { name: 'text.token_embedding.weight', ...f32([10, 8]) },
      { name: 'logit_scale', ...f32([]) },
    ],
    { format: 'pt' },
  );
  const ck = await openCheckpoint(join(dir, 'open_clip_model.safetensors'));
  assert.ok(ck.ok);
  const e = await openEngine(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(!e.ok);
  assert.equal(e.error.code, 'probe-unsupported-architecture');
  assert.match(e.error.message, /ConvNeXt/);
  writeFileSync(join(dir, 'open_clip_config.json'), JSON.stringify({ model_cfg: { embed_dim: 8, vision_cfg: { timm_model_name: 'convnext_tiny', timm_pool: '', timm_proj: 'linear' }, text_cfg: {} } }));
  const r = await runProbe(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(!r.ok);
  assert.equal(r.error.code, 'probe-unsupported-architecture');
  assert.match(r.error.message, /convnext_tiny/);
});

// The layouts of the REAL models (test/fixtures/layouts/*.json.gz, recorded from open_clip / transformers / timm
// with no weights): every SigLIP among them must be read completely — every tensor the forward needs found
// under the probe's names with its shape, nothing random, nothing left over — and the rest refused with a reason.
function ckptOf(tensors: readonly (readonly [string, readonly number[], string?])[]): Checkpoint {
  return { path: '/nonexistent/model.safetensors', tensors: fakeTensors(tensors.map(([name, shape, dtype]) => ({ name, shape, ...(dtype === 'I64' ? { dtype: 'I64' as const } : {}) }))) } as unknown as Checkpoint;
}

test('every recorded open_clip SigLIP config is read completely (heads from the trunk table); SigLIPs with transformers text towers are refused', (t) => {
  const real = loadLayouts('openclip.json.gz');
  let read = 0;
  const refused: string[] = [];
  for (const [name, layout] of Object.entries(real)) {
    const facts = openclipFacts(name)!;
    if (!facts.logitBias) continue;
    const ck = ckptOf(layout.tensors);
    const family = detectFamily(ck.tensors);
    assert.equal(family, 'openclip-timm', name);
    const src = siglipFromCheckpoint(ck, family);
    if (!src.ok) {
      assert.equal(src.code, 'probe-unsupported-architecture', name);
      refused.push(name);
      continue;
    }
    const named = siglipFactsFrom(facts, name)!;
    const cfg = deriveSiglipConfig(src.source, {}, named, { value: 'gelu', source: 'test' });
    assert.ok(cfg.ok, `${name}: ${cfg.ok ? '' : cfg.message}`);
    assert.deepEqual(missingOf(src.source, cfg.config), { towers: [], mismatched: [] }, `${name}: nothing random`);
    assert.deepEqual(src.source.unmapped, [], `${name}: nothing left over`);
    assert.equal(cfg.config.vision.heads, named.vision!.heads, name);
    // Without the name, the shapes find a config with the same heads.
    assert.equal(matchSiglipConfig(src.source)?.vision?.heads, named.vision!.heads, name);
    read++;
  }
  assert.deepEqual(refused.sort(), ['nllb-clip-base-siglip', 'nllb-clip-large-siglip']);
  assert.ok(read >= 25, `SigLIP configs read: ${read}`);
  t.diagnostic(`open_clip SigLIP configs read completely: ${read}; refused: ${refused.length}`);
});

/** Expected tensors the source lacks (what resolveWeights would random-initialise, without materialising 256k-vocabulary tables), and shape disagreements. */
function missingOf(src: CanonicalSource, cfg: ProbeModelConfig): { towers: string[]; mismatched: string[] } {
  const towers = new Set<string>();
  const mismatched: string[] = [];
  for (const e of expectedTensors(cfg)) {
    const have = src.tensors.get(e.name);
    if (!have) towers.add(e.tower);
    else if (have.shape.reduce((a, b) => a * b, 1) !== e.shape.reduce((a, b) => a * b, 1)) mismatched.push(e.name);
  }
  return { towers: [...towers].sort(), mismatched };
}

test('recorded transformers SiglipModel / SiglipVisionModel / SiglipTextModel layouts: read completely; a one-tower class gets the other tower from the matching open_clip config', async () => {
  const real = loadLayouts('hf.json.gz');
  const names = Object.keys(real).filter((n) => n.startsWith('Siglip'));
  assert.equal(names.length, 6);
  for (const n of names) {
    const layout = real[n]!;
    const dir = tempDir('ckl-siglip-hf-');
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...(layout as unknown as { config: object }).config, architectures: [n.split('@')[0]] }));
    const hints = await sidecarHints(dir);
    const ck = ckptOf(layout.tensors);
    const family = detectFamily(ck.tensors);
    assert.equal(family, 'hf-siglip', n);
    const src = siglipFromCheckpoint(ck, family);
    assert.ok(src.ok, n);
    const named = matchSiglipConfig(src.source);
    const facts = { ...named!, ...hints.siglipFacts, vision: hints.siglipFacts?.vision ?? named?.vision, text: hints.siglipFacts?.text ?? named?.text } as SiglipFacts;
    const cfg = deriveSiglipConfig(src.source, hints, facts, { value: 'gelu_tanh', source: 'test' });
    assert.ok(cfg.ok, `${n}: ${cfg.ok ? '' : cfg.message}`);
    const m = missingOf(src.source, cfg.config);
    assert.deepEqual(m.mismatched, [], n);
    if (n.startsWith('SiglipModel')) assert.deepEqual(m.towers, [], n);
    else if (n.startsWith('SiglipVisionModel')) assert.deepEqual(m.towers, ['shared', 'text'], n);
    else assert.deepEqual(m.towers, ['shared', 'vision'], n);
    assert.deepEqual(src.source.unmapped, [], n);
    // Heads from config.json (SO400M: 16 heads of 72, not width / 64).
    const hf = (layout as unknown as { config: { vision_config?: { num_attention_heads: number }; num_attention_heads?: number } }).config;
    if (!n.startsWith('SiglipTextModel')) assert.equal(cfg.config.vision.heads, hf.vision_config?.num_attention_heads ?? hf.num_attention_heads, n);
  }
});

test("timm's own SigLIP towers: MAP towers are read as the image tower (text random, shape from the matching open_clip config); _gap towers are refused", (t) => {
  const real = loadLayouts('timm.json.gz');
  let map = 0;
  let gap = 0;
  let unmatched = 0;
  for (const [name, layout] of Object.entries(real)) {
    if (!name.includes('_siglip_')) continue;
    const ck = ckptOf(layout.tensors);
    const family = detectFamily(ck.tensors);
    assert.ok(isSiglipFamily(family, ck), name);
    const src = siglipFromCheckpoint(ck, family);
    if (name.includes('_gap_')) {
      assert.ok(!src.ok, name);
      assert.match(src.message, /without a MAP/);
      gap++;
      continue;
    }
    assert.ok(src.ok, name);
    const named = matchSiglipConfig(src.source);
    if (!named) {
      unmatched++; // a tower no open_clip config pairs with a text tower (its text shape is unknown)
      continue;
    }
    const cfg = deriveSiglipConfig(src.source, {}, named, { value: 'gelu', source: 'test' });
    assert.ok(cfg.ok, `${name}: ${cfg.ok ? '' : cfg.message}`);
    const m = missingOf(src.source, cfg.config);
    assert.deepEqual(m, { towers: ['shared', 'text'], mismatched: [] }, name);
    map++;
  }
  assert.ok(map >= 8 && gap >= 8, `MAP towers ${map}, gap towers ${gap}`);
  t.diagnostic(`timm SigLIP MAP towers read: ${map} (of ${unmatched + map}; ${unmatched} pair with no open_clip config); _gap towers refused: ${gap}`);
});
