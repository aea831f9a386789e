import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTensorFloat32 } from '../../src/core/values.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { openEngine, type Engine, type EngineOptions } from '../../src/probe/engine.js';
import { tokenizerFromBpeJson } from '../../src/probe/gemmaBpe.js';
import { resizePositionGrid } from '../../src/probe/posResize.js';
import { expectedTensors } from '../../src/probe/modelConfig.js';
import { runProbe } from '../../src/probe/probe.js';
import { referenceForward } from '../../src/probe/reference.js';
import { sidecarHints } from '../../src/probe/sidecarConfig.js';
import { trunkActivation } from '../../src/probe/siglipModel.js';
import { loadProbeTokenizer } from '../../src/probe/tokenizer.js';
import { tempDir } from '../helpers/tmp.js';
import { canonicalValues, maxAbsDiff, readExpectedTensors } from './probe-fixtures.js';

// Ground truth written by test/fixtures/probe/make_siglip2.py: a Gemma-style BPE tokenizer.json trained with
// `tokenizers` 0.21 and saved by transformers 4.51's GemmaTokenizerFast, and a tiny open_clip 3.3 SigLIP 2.
const FIX = join(__dirname, '..', 'fixtures', 'probe', 'siglip2');
const tokens = JSON.parse(readFileSync(join(FIX, 'tokens.json'), 'utf8')) as {
  contextLength: number;
  prompts: string[];
  openclip: number[][];
  transformers: number[][];
  bare: number[][];
  metaspaceBare: number[][];
  long: { text: string; openclip: number[] };
  added: { prompts: string[]; bare: number[][] };
  vocabSize: number;
  padId: number;
  eosId: number;
};
const L = tokens.contextLength;

test('Gemma BPE tokenizer.json: open_clip (canonicalize) and transformers (lower-cased) ids equal the Python tokenizers', async () => {
  const oc = await loadProbeTokenizer(join(FIX, 'tokenizer.json'), { underscoreToSpace: true });
  const hf = await loadProbeTokenizer(join(FIX, 'tokenizer.json'), { underscoreToSpace: false });
  assert.ok(oc.ok && hf.ok, oc.ok ? '' : oc.message);
  assert.equal(oc.tokenizer.kind, 'sentencepiece');
  assert.equal(oc.tokenizer.vocabSize, tokens.vocabSize);
  tokens.prompts.forEach((p, i) => {
    assert.deepEqual(oc.tokenizer.encodeForModel(p, L), tokens.openclip[i], `open_clip: ${p}`);
    assert.deepEqual(hf.tokenizer.encodeForModel(p, L), tokens.transformers[i], `transformers: ${p}`);
  });
  // The fixture exercises byte fallback (ids 4..259 are <0x00>..<0xFF>), EOS and pad.
  assert.ok(tokens.openclip.flat().some((id) => id >= 4 && id < 260), 'byte-fallback ids occur');
  assert.ok(tokens.openclip.every((r) => r.includes(tokens.eosId)));
  // Truncation keeps <eos> last.
  assert.deepEqual(oc.tokenizer.encodeForModel(tokens.long.text, L), tokens.long.openclip);
  assert.equal(tokens.long.openclip[L - 1], tokens.eosId);
});

test('Gemma BPE: bare ids for the Prepend+Replace normaliser and for the Metaspace (legacy=False) form', () => {
  for (const [file, want] of [['tokenizer.json', tokens.bare], ['tokenizer-metaspace.json', tokens.metaspaceBare]] as const) {
    const t = tokenizerFromBpeJson(JSON.parse(readFileSync(join(FIX, file), 'utf8')), file, 'lower');
    tokens.prompts.forEach((p, i) => assert.deepEqual(t.encode(p), want[i], `${file}: ${JSON.stringify(p)}`));
  }
  const added = tokenizerFromBpeJson(JSON.parse(readFileSync(join(FIX, 'tokenizer-added.json'), 'utf8')), 'tokenizer-added.json', 'lower');
  tokens.added.prompts.forEach((p, i) => assert.deepEqual(added.encode(p), tokens.added.bare[i], `added tokens: ${JSON.stringify(p)}`));
  // The two forms differ on leading spaces (Prepend always adds ▁; Metaspace only when absent), so the check can fail.
  assert.notDeepEqual(tokens.bare, tokens.metaspaceBare);
});

test('Gemma BPE: broken tokenizer.json files are refused with codes', () => {
  const base = JSON.parse(readFileSync(join(FIX, 'tokenizer.json'), 'utf8')) as { model: { merges: unknown[]; vocab: Record<string, unknown> } };
  const badMerge = structuredClone(base);
  badMerge.model.merges = [['zz', 'qq']];
  assert.throws(() => tokenizerFromBpeJson(badMerge as never, 'x', 'lower'), (e: Error & { code?: string }) => e.code === 'tokenizer-invalid');
  const badId = structuredClone(base);
  badId.model.vocab.a = 'one';
  assert.throws(() => tokenizerFromBpeJson(badId as never, 'x', 'lower'), (e: Error & { code?: string }) => e.code === 'tokenizer-invalid');
  const pre = structuredClone(base) as Record<string, unknown>;
  pre.pre_tokenizer = { type: 'ByteLevel' };
  assert.throws(() => tokenizerFromBpeJson(pre as never, 'x', 'lower'), (e: Error & { code?: string }) => e.code === 'tokenizer-unsupported');
});

const expected = (file = 'expected.safetensors') => readExpectedTensors(join(FIX, file));

async function engineFor(extra: EngineOptions = {}): Promise<Engine> {
  const dir = join(FIX, 'openclip');
  const r = await openCheckpoint(join(dir, 'open_clip_model.safetensors'));
  assert.ok(r.ok);
  // The tiny trunk is not one of timm's named models, so its head count comes as a hint.
  const e = await openEngine(r.value, { ...(await sidecarHints(dir)), provider: 'cpu', threads: 1, visionHeads: 4, ...extra });
  assert.ok(e.ok, e.ok ? '' : `${e.error.code}: ${e.error.message}`);
  return e.engine;
}

test('open_clip SigLIP 2 (Gemma vocabulary, tanh-GELU text tower): ONNX graph and reference forward match torch', async () => {
  const engine = await engineFor();
  try {
    const c = engine.config;
    assert.equal(c.architecture, 'siglip');
    assert.equal(c.activation, 'gelu', 'timm trunk: exact GELU');
    assert.equal(c.textActivation, 'gelu_tanh', 'text_cfg.act_kwargs approximate: tanh');
    assert.match(c.activationSource, /act_kwargs/);
    assert.equal(c.text.vocabSize, tokens.vocabSize);
    assert.deepEqual(engine.weights.randomInitialized, []);
    assert.deepEqual(engine.unmapped, []);
    const exp = await expected();
    const pixels = exp.get('pixel_values') as Float32Array;
    const ids = exp.get('input_ids') as BigInt64Array;
    const m = ids.length / L;
    const out = await engine.run(pixels, 3, ids, m);
    const torchLogits = exp.get('logits_per_image') as Float32Array;
    assert.ok(maxAbsDiff(out.logitsPerImage, torchLogits) < 5e-5, `ONNX logits vs torch: ${maxAbsDiff(out.logitsPerImage, torchLogits)}`);
    assert.ok(maxAbsDiff(out.imageEmbeds, exp.get('image_embeds') as Float32Array) < 2e-5);
    const txt = exp.get('text_embeds') as Float32Array;
    assert.ok(maxAbsDiff(out.textEmbeds, txt) < 2e-5, `text embeds: ${maxAbsDiff(out.textEmbeds, txt)}`);
    // Exact GELU in the text tower gives measurably different embeddings: the tolerance above can tell them apart.
    assert.ok(maxAbsDiff(txt, exp.get('text_embeds_exact_gelu') as Float32Array) > 1e-4);
    const values = new Map<string, Float32Array>();
    for (const e of expectedTensors(c)) values.set(e.name, await canonicalValues(engine.weights.byName.get(e.name)!));
    const ref = referenceForward(c, (name) => values.get(name)!, pixels, 3, ids, m);
    assert.ok(maxAbsDiff(ref.logitsPerImage, torchLogits) < 5e-5, `reference logits vs torch: ${maxAbsDiff(ref.logitsPerImage, torchLogits)}`);
    assert.ok(maxAbsDiff(ref.textEmbeds, txt) < 2e-5);
  } finally {
    await engine.close();
  }
});

test('open_clip SigLIP 2: --activation overrides both towers', async () => {
  const engine = await engineFor({ activation: { value: 'gelu', source: 'override' } });
  try {
    assert.equal(engine.config.textActivation, undefined);
  } finally {
    await engine.close();
  }
});

test('runProbe on open_clip SigLIP 2 with its tokenizer.json beside the file: runs, sigmoid scoring, Gemma tokenizer', async () => {
  const dir = tempDir('ckl-siglip2-');
  for (const f of ['open_clip_model.safetensors', 'open_clip_config.json']) copyFileSync(join(FIX, 'openclip', f), join(dir, f));
  copyFileSync(join(FIX, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const ck = await openCheckpoint(join(dir, 'open_clip_model.safetensors'));
  assert.ok(ck.ok);
  const r = await runProbe(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  assert.equal(r.report.model.scoring, 'sigmoid');
  assert.match(r.report.tokenizer, /tokenizer\.json/);
  assert.match(r.report.preprocess, /^open_clip SigLIP: resize to S×S \(squash, no crop\), bicubic .*std \[0\.5, 0\.5, 0\.5\]/);
  assert.ok(r.report.top1 !== null && r.report.top1 >= 0 && r.report.top1 <= 1);
});

test('transformers Siglip2Model at its native patch grid: Linear patch embedding read as a Conv, ONNX graph and reference match torch', async () => {
  const dir = join(FIX, 'hf');
  const r = await openCheckpoint(join(dir, 'model.safetensors'));
  assert.ok(r.ok);
  const e = await openEngine(r.value, { ...(await sidecarHints(dir)), provider: 'cpu', threads: 1 });
  assert.ok(e.ok, e.ok ? '' : `${e.error.code}: ${e.error.message}`);
  const engine = e.engine;
  try {
    const c = engine.config;
    assert.equal(c.architecture, 'siglip');
    assert.equal(c.activation, 'gelu_tanh');
    assert.equal(c.textActivation, undefined);
    assert.ok(c.vision.kind === 'siglip');
    assert.deepEqual([c.vision.width, c.vision.heads, c.vision.patch, c.vision.imageSize, c.text.heads], [32, 4, 8, 32, 2]);
    const pw = engine.weights.byName.get('visual.trunk.patch_embed.proj.weight');
    assert.equal(pw?.kind === 'checkpoint' ? pw.weight.transform : pw?.kind, 'patch-hwc');
    assert.deepEqual(engine.weights.randomInitialized, []);
    assert.deepEqual(engine.unmapped, []);
    const exp = await expected('expected-hf.safetensors');
    const pixels = exp.get('pixel_values') as Float32Array;
    const ids = exp.get('input_ids') as BigInt64Array;
    const m = ids.length / L;
    const out = await engine.run(pixels, 3, ids, m);
    const torchLogits = exp.get('logits_per_image') as Float32Array;
    assert.ok(maxAbsDiff(out.logitsPerImage, torchLogits) < 5e-5, `ONNX logits vs torch: ${maxAbsDiff(out.logitsPerImage, torchLogits)}`);
    assert.ok(maxAbsDiff(out.imageEmbeds, exp.get('image_embeds') as Float32Array) < 2e-5, `image: ${maxAbsDiff(out.imageEmbeds, exp.get('image_embeds') as Float32Array)}`);
    assert.ok(maxAbsDiff(out.textEmbeds, exp.get('text_embeds') as Float32Array) < 2e-5);
    const values = new Map<string, Float32Array>();
    for (const t of expectedTensors(c)) values.set(t.name, await canonicalValues(engine.weights.byName.get(t.name)!));
    const ref = referenceForward(c, (name) => values.get(name)!, pixels, 3, ids, m);
    assert.ok(maxAbsDiff(ref.logitsPerImage, torchLogits) < 5e-5, `reference logits vs torch: ${maxAbsDiff(ref.logitsPerImage, torchLogits)}`);
    // The patch order matters: the same weights read as a plain (channel, row, column) Conv give other image embeddings.
    const pe = values.get('visual.trunk.patch_embed.proj.weight')!;
    const raw = await readTensorFloat32(r.value.tensors.find((t) => t.name === 'vision_model.embeddings.patch_embedding.weight')!);
    assert.ok(maxAbsDiff(pe, raw) > 1e-3, 'the (row, column, channel) order is not the Conv order');
  } finally {
    await engine.close();
  }
});

test('Siglip2 position-grid resize (antialiased bilinear) equals torch F.interpolate; identity at the native grid', async () => {
  const exp = await expected('expected-hf.safetensors');
  const r = await openCheckpoint(join(FIX, 'hf', 'model.safetensors'));
  assert.ok(r.ok);
  const pos = await readTensorFloat32(r.value.tensors.find((t) => t.name === 'vision_model.embeddings.position_embedding.weight')!);
  const D = 32;
  const G = 4;
  for (const [h, w] of [[G, G], [2, 3], [6, 5], [7, 7]] as const) {
    const torchChw = exp.get(`pos_resized_${h}x${w}`) as Float32Array; // [D, h, w]
    const ours = resizePositionGrid(pos, G, G, D, h, w); // [h, w, D]
    let worst = 0;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < D; c++) worst = Math.max(worst, Math.abs(ours[(y * w + x) * D + c]! - torchChw[(c * h + y) * w + x]!));
    assert.ok(worst < 1e-5, `${h}x${w}: max |Δ| ${worst}`);
  }
  assert.ok(maxAbsDiff(resizePositionGrid(pos, G, G, D, G, G), pos) < 1e-6, 'native grid: identity');
  // A shrunk grid is not a subsample of the source (so the comparison above can fail).
  const shrunk = exp.get('pos_resized_2x3') as Float32Array;
  assert.ok(Math.abs(shrunk[0]! - pos[0]!) > 1e-3);
});

test('runProbe on transformers Siglip2Model with the Gemma tokenizer.json beside it: runs on lower-cased prompts', async () => {
  const dir = tempDir('ckl-siglip2-hf-');
  for (const f of ['model.safetensors', 'config.json']) copyFileSync(join(FIX, 'hf', f), join(dir, f));
  copyFileSync(join(FIX, 'tokenizer.json'), join(dir, 'tokenizer.json'));
  const ck = await openCheckpoint(join(dir, 'model.safetensors'));
  assert.ok(ck.ok);
  const r = await runProbe(ck.value, { provider: 'cpu', threads: 1 });
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  assert.equal(r.report.model.scoring, 'sigmoid');
  assert.equal(r.report.model.vision.architecture, 'siglip');
  assert.match(r.report.preprocess, /^transformers Siglip2ImageProcessor defaults .*: resize to S×S \(squash, no crop\), bilinear /);
});

test('open_clip SigLIP 2 without open_clip_config.json: --target ViT-B-16-SigLIP2 gives the tanh-GELU text tower, --target ViT-B-16-SigLIP does not', async () => {
  const r = await openCheckpoint(join(FIX, 'openclip', 'open_clip_model.safetensors'));
  assert.ok(r.ok);
  for (const [target, want] of [['ViT-B-16-SigLIP2', 'gelu_tanh'], ['ViT-B-16-SigLIP', undefined]] as const) {
    const e = await openEngine(r.value, { provider: 'cpu', threads: 1, visionHeads: 4, textHeads: 2, target });
    assert.ok(e.ok, e.ok ? '' : `${e.error.code}: ${e.error.message}`);
    try {
      assert.equal(e.engine.config.textActivation, want, target);
      if (want) {
        const exp = await expected();
        const ids = exp.get('input_ids') as BigInt64Array;
        const out = await e.engine.run(exp.get('pixel_values') as Float32Array, 3, ids, ids.length / L);
        assert.ok(maxAbsDiff(out.logitsPerImage, exp.get('logits_per_image') as Float32Array) < 5e-5);
      }
    } finally {
      await e.engine.close();
    }
  }
});

test('SigLIP 2 trunks built by timm with tanh-GELU get it in the image tower (--target ViT-SO400M-16-SigLIP2-256); exact-GELU trunks keep GELU', async () => {
  assert.equal(trunkActivation('vit_so400m_patch16_siglip_256')?.value, 'gelu_tanh');
  assert.equal(trunkActivation('vit_base_patch16_siglip_224'), undefined);
  const r = await openCheckpoint(join(FIX, 'openclip', 'open_clip_model.safetensors'));
  assert.ok(r.ok);
  const e = await openEngine(r.value, { provider: 'cpu', threads: 1, visionHeads: 4, textHeads: 2, target: 'ViT-SO400M-16-SigLIP2-256' });
  assert.ok(e.ok, e.ok ? '' : `${e.error.code}: ${e.error.message}`);
  try {
    assert.equal(e.engine.config.activation, 'gelu_tanh');
    assert.match(e.engine.config.activationSource, /vit_so400m_patch16_siglip_256/);
    assert.equal(e.engine.config.textActivation, undefined, 'both towers tanh-GELU');
  } finally {
    await e.engine.close();
  }
  // An explicit --activation still wins.
  const o = await openEngine(r.value, { provider: 'cpu', threads: 1, visionHeads: 4, textHeads: 2, target: 'ViT-SO400M-16-SigLIP2-256', activation: { value: 'gelu', source: 'override' } });
  assert.ok(o.ok);
  try {
    assert.equal(o.engine.config.activation, 'gelu');
  } finally {
    await o.engine.close();
  }
});

test('Gemma BPE: a 256k-token vocabulary (SigLIP 2 size) loads and encodes', () => {
  const base = JSON.parse(readFileSync(join(FIX, 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const big = structuredClone(base);
  const n0 = Object.keys(big.model.vocab).length;
  for (let i = n0; i < 256000; i++) big.model.vocab[`▁filler${i}`] = i;
  const t = tokenizerFromBpeJson(big as never, 'big', 'canonicalize');
  assert.equal(t.vocabSize, 256000);
  assert.deepEqual(t.encodeForModel(tokens.prompts[0]!, L), tokens.openclip[0]);
});
