/**
 * The whole CLIP family, complete and broken, through analyzeCheckpoint: the REAL state-dict
 * layouts recorded from open_clip / timm / transformers (test/fixtures/layouts, make_layouts.py),
 * as header-only checkpoints. Complete files must be named exactly and pass with no finding;
 * each dropped piece (a tower, a projection incl. attention-pool heads, logit_scale, logit_bias,
 * a block, CoCa's decoder) must raise its finding.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/types.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { configForTimmName } from '../../src/layouts/configs.js';
import { openclipEntry, timmEntry } from '../../src/layouts/spec/catalog.js';
import { OPENCLIP_DEV_NAMES } from '../../src/layouts/spec/clipTables.js';
import type { ExpectedTensor } from '../../src/layouts/spec/types.js';
import { fakeTensors } from '../helpers/clipFixtures.js';
import { loadLayouts, type RealLayout } from '../helpers/layoutFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('ckl-family-');
let n = 0;

function checkpointOf(tensors: RealLayout['tensors'], dir = '/nonexistent'): Checkpoint {
  const t = fakeTensors(tensors.map(([name, shape, dtype]) => ({ name, shape, dtype: dtype === 'int64' ? 'I64' : 'F32' })));
  return { format: 'safetensors', path: join(dir, 'model.safetensors'), files: [], tensors: t, unreadable: [], metadata: {}, problems: [] };
}

async function analyze(tensors: RealLayout['tensors'], opts: { target?: string; files?: Record<string, string> } = {}): Promise<Analysis> {
  let configDir: string | null = null;
  if (opts.files) {
    configDir = join(root, `c${n++}`);
    mkdirSync(configDir, { recursive: true });
    for (const [k, v] of Object.entries(opts.files)) writeFileSync(join(configDir, k), v);
  }
  const r = await analyzeCheckpoint(checkpointOf(tensors), { configDir, valueBudgetBytes: 0, ...(opts.target ? { target: opts.target } : {}) });
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const codes = (a: Analysis) => a.findings.map((f) => f.code);
const problems = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info').map((f) => `${f.code}: ${f.message.slice(0, 120)}`);

/** Real tensors minus those of the given expected tensors (opaque parts: everything under their prefix). */
function drop(real: RealLayout['tensors'], gone: readonly ExpectedTensor[]): RealLayout['tensors'] {
  const exact = new Set(gone.filter((e) => !e.opaque).map((e) => e.name));
  const prefixes = gone.filter((e) => e.opaque).map((e) => e.name);
  return real.filter(([name]) => !exact.has(name) && !prefixes.some((p) => name.startsWith(p)));
}

interface Case {
  label: string;
  gone: (e: readonly ExpectedTensor[]) => ExpectedTensor[];
  code: string;
}

const CASES: Case[] = [
  { label: 'vision tower', gone: (e) => e.filter((x) => x.tower === 'vision'), code: 'vision-tower-missing' },
  { label: 'audio tower', gone: (e) => e.filter((x) => x.tower === 'audio'), code: 'audio-tower-missing' },
  { label: 'audio projection', gone: (e) => e.filter((x) => x.part === 'audio.proj'), code: 'projection-missing' },
  { label: 'an audio block', gone: (e) => e.filter((x) => x.part === 'audio.blocks' && x.block === 1 && (x.role ?? 'weight') === 'weight'), code: 'tensors-missing' },
  { label: 'text tower', gone: (e) => e.filter((x) => x.tower === 'text'), code: 'text-tower-missing' },
  { label: 'a block of the fused trunk', gone: (e) => e.filter((x) => x.part === 'fused.blocks' && x.block === 1), code: 'tensors-missing' },
  { label: 'the fused trunk\'s final norm', gone: (e) => e.filter((x) => x.part === 'fused.norm'), code: 'tensors-missing' },
  { label: 'the LM head', gone: (e) => e.filter((x) => x.part === 'text.head'), code: 'tensors-missing' },
  { label: 'image projection', gone: (e) => e.filter((x) => x.part === 'vision.proj'), code: 'projection-missing' },
  { label: 'image attention-pool head', gone: (e) => e.filter((x) => x.part === 'vision.attn_pool'), code: 'tensors-missing' },
  { label: 'text projection', gone: (e) => e.filter((x) => x.part === 'text.proj'), code: 'projection-missing' },
  { label: 'logit_scale', gone: (e) => e.filter((x) => x.part === 'logit_scale'), code: 'logit-scale-missing' },
  { label: 'logit_bias', gone: (e) => e.filter((x) => x.part === 'logit_bias'), code: 'logit-bias-missing' },
  { label: 'a vision block', gone: (e) => e.filter((x) => x.part.startsWith('vision.') && x.partKind === 'blocks' && x.block === 1 && !x.opaque && x.role !== 'tied'), code: 'tensors-missing' },
  { label: 'a text block', gone: (e) => e.filter((x) => x.part === 'text.blocks' && x.block === 1), code: 'tensors-missing' },
  { label: 'CoCa decoder', gone: (e) => e.filter((x) => x.tower === 'decoder'), code: 'decoder-missing' },
];

async function openclipRound(real: Record<string, RealLayout>, names: readonly string[]) {
  const bad: string[] = [];
  let models = 0;
  let modelsRight = 0;
  let broken = 0;
  let brokenRight = 0;
  for (const name of names) {
    const m = real[name]!;
    models++;
    const entry = openclipEntry(name);
    const a = await analyze(m.tensors);
    const named = a.target !== null && a.architecture.variantSource === 'shapes' && (a.architecture.variant === name || a.architecture.candidates.includes(name));
    const clean = a.missing.length === 0 && a.unexpected.length === 0 && a.mismatched.length === 0 && problems(a).length === 0;
    if (named && clean) modelsRight++;
    else bad.push(`${name}: complete file → variant ${a.architecture.variant} (${a.architecture.variantSource}), target ${a.target?.id ?? 'none'}, ${problems(a).join(' | ') || codes(a).join(',')}`);
    for (const c of CASES) {
      const gone = c.gone(entry.expected);
      if (!gone.length) continue;
      broken++;
      const b = await analyze(drop(m.tensors, gone));
      // Ambiguous files (e.g. only a projection left of the image side, which two models share) get the common missing tensors instead.
      // NaFlexGenLip / GenLap without their patch embedding: the models sharing that trunk and text side (image or audio input) cannot be told apart; every one lacks its input side.
      const ok =
        codes(b).includes(c.code) ||
        (c.code === 'vision-tower-missing' && b.architecture.variant === null && codes(b).includes('tensors-missing')) ||
        ((c.code === 'vision-tower-missing' || c.code === 'audio-tower-missing') && b.architecture.variant === null && b.architecture.candidates.includes(name) && codes(b).includes('input-tower-missing'));
      if (ok) brokenRight++;
      else bad.push(`${name} without its ${c.label} (${gone.length}): expected ${c.code}, got ${codes(b).join(',') || 'nothing'} (variant ${b.architecture.variant}, ${b.architecture.variantSource})`);
    }
  }
  return { bad, models, modelsRight, broken, brokenRight };
}

test('every open_clip config: complete → named exactly, no finding; every dropped piece → its finding', async () => {
  const real = loadLayouts('openclip.json.gz');
  const r = await openclipRound(real, Object.keys(real));
  console.log(`open_clip: ${r.modelsRight}/${r.models} complete models named exactly and clean; ${r.brokenRight}/${r.broken} broken variants caught`);
  assert.deepEqual(r.bad, []);
});

test("open_clip's development configs (NaFlex, modern text, CLAP audio towers, NaFlexGenLip / GenLap fused trunks): complete → named exactly, no finding; every dropped piece → its finding", async () => {
  const r = await openclipRound(loadLayouts('openclip-dev.json.gz'), OPENCLIP_DEV_NAMES);
  console.log(`open_clip development configs: ${r.modelsRight}/${r.models} complete models named exactly and clean; ${r.brokenRight}/${r.broken} broken variants caught`);
  assert.equal(r.models, 37);
  assert.deepEqual(r.bad, []);
});

test('timm CLIP-family towers: complete → named, no finding; a dropped block / MAP head / norm → a finding', async () => {
  const real = loadLayouts('timm.json.gz');
  const bad: string[] = [];
  let models = 0;
  let right = 0;
  let broken = 0;
  let brokenRight = 0;
  let unmodelled = 0;
  let notInTable = 0;
  for (const [name, m] of Object.entries(real)) {
    const entry = timmEntry(name);
    if (!entry) {
      notInTable++; // a recorded model missing from the table (none since the CLIP pretrained tags are in it)
      continue;
    }
    if (entry.expected.some((x) => x.opaque)) {
      unmodelled++; // FastViT MCi (MobileCLIP S0–S4), the one class without a template: fingerprint only
      continue;
    }
    models++;
    const a = await analyze(m.tensors);
    const old = configForTimmName(name);
    if (old) {
      // The OpenAI-size towers keep their established check: against the complete open_clip model of that size.
      if (a.architecture.variant === old.name && a.target?.id === `openclip:${old.name}`) right++;
      else bad.push(`${name}: complete → variant ${a.architecture.variant}, target ${a.target?.id}`);
      continue;
    }
    const ok = a.architecture.family === 'timm-vit' && a.target !== null && a.missing.length === 0 && a.unexpected.length === 0 && a.mismatched.length === 0 && problems(a).filter((p) => !p.startsWith('classifier-head')).length === 0;
    const namedRight = a.architecture.candidates.includes(name) || a.architecture.variant === name || a.target?.id === `openclip:${a.architecture.variant}`;
    if (ok && namedRight) right++;
    else bad.push(`${name}: complete → family ${a.architecture.family}, variant ${a.architecture.variant}, target ${a.target?.id}, ${problems(a).join(' | ')}`);
    for (const [label, gone] of [
      ['block 1', entry.expected.filter((x) => x.part === 'vision.blocks' && x.block === 1)],
      ['MAP head', entry.expected.filter((x) => x.part === 'vision.attn_pool')],
    ] as const) {
      if (!gone.length) continue;
      broken++;
      // A SigLIP tower without its MAP head has exactly the tensors of the `_gap` model: only the
      // config beside the file (timm's config.json names the architecture) can tell.
      const files = label === 'MAP head' ? { 'config.json': JSON.stringify({ architecture: name, num_classes: m.num_classes ?? 0 }) } : undefined;
      const b = await analyze(drop(m.tensors, gone), files ? { files } : {});
      if (codes(b).includes('tensors-missing')) brokenRight++;
      else bad.push(`${name} without ${label}: got ${codes(b).join(',')} (variant ${b.architecture.variant}, ${b.architecture.variantSource})`);
    }
  }
  console.log(`timm: ${right}/${models} modelled towers named and clean; ${brokenRight}/${broken} broken variants caught; ${unmodelled} towers of classes without a template (fingerprint only) and ${notInTable} tagged generic models not in the table`);
  assert.deepEqual(bad, []);
});

test('transformers CLIP* / Siglip* / Siglip2* with config.json beside: complete → clean; dropped towers / head / logit_bias → findings', async () => {
  const real = { ...loadLayouts('hf.json.gz'), ...loadLayouts('hf-siglip2.json.gz') };
  const bad: string[] = [];
  let right = 0;
  let broken = 0;
  let brokenRight = 0;
  for (const [key, m] of Object.entries(real)) {
    const cls = key.split('@')[0]!;
    const cfg = { ...m.config!, architectures: [cls] };
    const files = { 'config.json': JSON.stringify(cfg) };
    const a = await analyze(m.tensors, { files });
    if (a.target && a.missing.length === 0 && a.unexpected.length === 0 && a.mismatched.length === 0 && problems(a).length === 0) right++;
    else bad.push(`${key}: complete → target ${a.target?.id}, ${problems(a).join(' | ') || codes(a).join(',')}`);
    const drops: [string, (n: string) => boolean, string][] = [
      ['text tower', (n) => n.startsWith('text_model.'), 'text-tower-missing'],
      ['vision tower', (n) => n.startsWith('vision_model.'), 'vision-tower-missing'],
      ['MAP head', (n) => n.startsWith('vision_model.head.'), 'tensors-missing'],
      ['logit_bias', (n) => n === 'logit_bias', 'logit-bias-missing'],
      ['logit_scale', (n) => n === 'logit_scale', 'logit-scale-missing'],
      ['visual projection', (n) => n === 'visual_projection.weight', 'projection-missing'],
      ['text projection (SigLIP text head)', (n) => n.startsWith('text_model.head.'), 'projection-missing'],
      ['a vision block', (n) => n.startsWith('vision_model.encoder.layers.1.'), 'tensors-missing'],
      ['the patch embedding', (n) => n === 'vision_model.embeddings.patch_embedding.weight', 'tensors-missing'],
    ];
    for (const [label, pred, code] of drops) {
      if (!m.tensors.some(([n]) => pred(n))) continue;
      const kept = m.tensors.filter(([n]) => !pred(n));
      if (!kept.length) continue;
      broken++;
      const b = await analyze(kept, { files });
      if (codes(b).includes(code)) brokenRight++;
      else bad.push(`${key} without ${label}: expected ${code}, got ${codes(b).join(',')}`);
    }
  }
  console.log(`transformers: ${right}/${Object.keys(real).length} complete class layouts clean; ${brokenRight}/${broken} broken variants caught`);
  assert.deepEqual(bad, []);
});

test('--target accepts any open_clip config (also development ones), hf:Siglip* / hf:Siglip2* (with config.json) and timm CLIP towers and tags; unknown names are target-invalid', async () => {
  const oc = loadLayouts('openclip.json.gz');
  const hf = loadLayouts('hf.json.gz');
  const siglip = oc['ViT-B-16-SigLIP']!.tensors;
  const a = await analyze(siglip, { target: 'openclip:ViT-B-16-SigLIP' });
  assert.equal(a.target?.id, 'openclip:ViT-B-16-SigLIP');
  assert.equal(a.missing.length, 0);
  // Against another SigLIP size: the differences are findings (the target is a fact the user gave).
  const b = await analyze(siglip, { target: 'openclip:ViT-B-16-SigLIP-256' });
  assert.ok(codes(b).includes('shape-mismatch'));
  const m = hf['SiglipModel@B-16-224']!;
  const c = await analyze(m.tensors, { target: 'hf:SiglipModel', files: { 'config.json': JSON.stringify(m.config) } });
  assert.equal(c.target?.id, 'hf:SiglipModel');
  assert.equal(c.missing.length, 0);
  const r = await analyzeCheckpoint(checkpointOf(m.tensors), { target: 'hf:SiglipModel', configDir: null, valueBudgetBytes: 0 });
  assert.ok(!r.ok && r.error.code === 'target-invalid');
  const tm = loadLayouts('timm.json.gz')['vit_base_patch16_siglip_224']!;
  const d = await analyze(tm.tensors, { target: 'timm:vit_base_patch16_siglip_224' });
  assert.equal(d.target?.id, 'timm:vit_base_patch16_siglip_224');
  assert.equal(d.missing.length + d.unexpected.length + d.mismatched.length, 0);
  // Siglip2 classes, a timm CLIP pretrained tag and an open_clip development config as targets.
  const s2 = loadLayouts('hf-siglip2.json.gz')['Siglip2VisionModel@B-16-256']!;
  const e = await analyze(s2.tensors, { target: 'hf:Siglip2VisionModel', files: { 'config.json': JSON.stringify(s2.config) } });
  assert.equal(e.target?.id, 'hf:Siglip2VisionModel');
  assert.equal(e.missing.length + e.unexpected.length + e.mismatched.length, 0);
  const tag = loadLayouts('timm.json.gz')['convnext_large_mlp.clip_laion2b_ft_soup_320']!;
  const f = await analyze(tag.tensors, { target: 'timm:convnext_large_mlp.clip_laion2b_ft_soup_320' });
  assert.equal(f.target?.id, 'timm:convnext_large_mlp.clip_laion2b_ft_soup_320');
  assert.equal(f.missing.length + f.unexpected.length + f.mismatched.length, 0);
  const dev = loadLayouts('openclip-dev.json.gz')['naflex_ViT-B-16']!;
  const g = await analyze(dev.tensors, { target: 'openclip:naflex_ViT-B-16' });
  assert.equal(g.target?.id, 'openclip:naflex_ViT-B-16');
  assert.equal(g.missing.length + g.unexpected.length + g.mismatched.length, 0);
  // A Siglip file checked against a Siglip2 class: the patch embedding differs, and that is what is reported.
  const h = await analyze(m.tensors, { target: 'hf:Siglip2Model', files: { 'config.json': JSON.stringify({ ...m.config, model_type: 'siglip2' }) } });
  assert.ok(h.mismatched.some((x) => x.name === 'vision_model.embeddings.patch_embedding.weight'), codes(h).join(','));
  const bad = await analyzeCheckpoint(checkpointOf(tm.tensors), { target: 'openclip:No-Such-Model', configDir: null, valueBudgetBytes: 0 });
  assert.ok(!bad.ok && bad.error.code === 'target-invalid');
});

test('look-alikes are not matched as OpenAI CLIP: timm SigLIP / EVA02 / PE towers and convnext open_clip files get their own model, with no finding', async () => {
  const tm = loadLayouts('timm.json.gz');
  for (const name of ['vit_base_patch16_siglip_224', 'vit_base_patch16_siglip_gap_224', 'eva02_base_patch16_clip_224', 'eva02_large_patch14_clip_224', 'vit_pe_core_base_patch16_224']) {
    const a = await analyze(tm[name]!.tensors);
    assert.equal(a.architecture.variant, name, name);
    assert.deepEqual(problems(a), [], name);
  }
  // timm towers whose names carry no CLIP signature (ByobNet ResNet-CLIP, FastViT MCi): recognised by their fingerprint.
  for (const name of ['resnet50_clip', 'resnet50x4_clip_gap', 'fastvit_mci1']) {
    const a = await analyze(tm[name]!.tensors);
    assert.equal(a.architecture.family, 'timm-vit', name);
    assert.equal(a.target?.id, `timm:${name}`, name);
    assert.deepEqual(problems(a), [], name);
    const half = tm[name]!.tensors.filter((_, i) => i < 4 || i % 2 === 0);
    const b = await analyze(half, { target: `timm:${name}` });
    assert.ok(codes(b).includes('tensors-missing'), `${name} with half its tensors: ${codes(b).join(',')}`);
  }
  const oc = loadLayouts('openclip.json.gz');
  for (const name of ['convnext_tiny', 'convnext_base_w', 'swin_base_patch4_window7_224', 'convnext_xxlarge', 'EVA01-g-14-plus', 'EVA02-E-14', 'ViTamin-L2', 'roberta-ViT-B-32', 'xlm-roberta-base-ViT-B-32', 'mt5-base-ViT-B-32']) {
    const a = await analyze(oc[name]!.tensors);
    assert.ok(a.architecture.variant === name || a.architecture.candidates.includes(name), `${name} → ${a.architecture.variant}`);
    assert.deepEqual(problems(a), [], name);
  }
});

test('open_clip_config.json beside the file wins, also for configs open_clip does not ship; its disagreements are findings', async () => {
  const oc = loadLayouts('openclip.json.gz');
  const sig = { embed_dim: 768, init_logit_bias: -10, custom_text: true, vision_cfg: { image_size: 224, timm_model_name: 'vit_base_patch16_siglip_224', timm_model_pretrained: false, timm_pool: 'map', timm_proj: 'none' }, text_cfg: { context_length: 64, vocab_size: 32000, hf_tokenizer_name: 'timm/ViT-B-16-SigLIP', tokenizer_kwargs: { clean: 'canonicalize' }, width: 768, heads: 12, layers: 12, no_causal_mask: true, proj_bias: true, pool_type: 'last', norm_kwargs: { eps: 1e-6 } } };
  const a = await analyze(oc['ViT-B-16-SigLIP']!.tensors, { files: { 'open_clip_config.json': JSON.stringify({ model_cfg: sig }) } });
  assert.equal(a.architecture.variantSource, 'config');
  assert.equal(a.architecture.variant, 'ViT-B-16-SigLIP');
  assert.deepEqual(problems(a), []);
  // The same file with a config of 12 → 11 text layers (a custom config): the extra block is reported, not hidden.
  const custom = { ...sig, text_cfg: { ...sig.text_cfg, layers: 11 } };
  const b = await analyze(oc['ViT-B-16-SigLIP']!.tensors, { files: { 'open_clip_config.json': JSON.stringify({ model_cfg: custom }) } });
  assert.equal(b.architecture.variantSource, 'config');
  assert.ok(codes(b).includes('unexpected-tensors'));
  // A SigLIP file missing logit_bias with its config beside it.
  const c = await analyze(
    oc['ViT-B-16-SigLIP']!.tensors.filter(([n]) => n !== 'logit_bias'),
    { files: { 'open_clip_config.json': JSON.stringify({ model_cfg: sig }) } },
  );
  assert.ok(codes(c).includes('logit-bias-missing'));
});

test('transformers SigLIP without config.json: sized from its own tensors; what is missing inside its towers is reported, a whole tower is not guessed', async () => {
  const hf = loadLayouts('hf.json.gz');
  const hf2 = loadLayouts('hf-siglip2.json.gz');
  for (const key of ['SiglipModel@B-16-224', 'SiglipModel@SO400M-14-384', 'SiglipVisionModel@B-16-224', 'SiglipTextModel@SO400M-14-384', 'Siglip2Model@B-16-256', 'Siglip2Model@SO400M-16-naflex', 'Siglip2VisionModel@L-16-384']) {
    const m = hf[key] ?? hf2[key]!;
    const a = await analyze(m.tensors);
    assert.equal(a.target?.id, `hf:${key.split('@')[0]}`, key);
    assert.equal(a.missing.length + a.unexpected.length + a.mismatched.length, 0, key);
    assert.deepEqual(problems(a), [], key);
  }
  const full = hf['SiglipModel@B-16-224']!.tensors;
  const noBias = await analyze(full.filter(([n]) => n !== 'logit_bias'));
  assert.ok(codes(noBias).includes('logit-bias-missing'));
  const noBlock = await analyze(full.filter(([n]) => !n.startsWith('vision_model.encoder.layers.5.')));
  assert.ok(codes(noBlock).includes('tensors-missing'));
  assert.equal(noBlock.missing.length, 16);
  const noProbe = await analyze(full.filter(([n]) => n !== 'vision_model.head.probe'));
  assert.deepEqual(noProbe.missing.map((x) => x.name), ['vision_model.head.probe']);
  const noTextHead = await analyze(full.filter(([n]) => !n.startsWith('text_model.head.')));
  assert.ok(codes(noTextHead).includes('projection-missing'));
});
