/**
 * The timm image trunks that have templates since issue 11 (ConvNeXt, Swin, ResNet-CLIP / ByobNet,
 * FastViT MCi, vit_relpos, MobileCLIP's conv-stem ViT, ViTamin's MbConv + GeGLU ViT, NaFlexVit) and text towers
 * (transformers roberta / xlm-roberta / mT5 / NLLB / ModernBERT, open_clip's modern text tower), inside open_clip models and
 * saved by timm (incl. the CLIP pretrained tags of generic models, convnext_*.clip_*): on the REAL
 * recorded layouts, a single tensor dropped from inside the trunk is reported BY NAME, and a changed
 * shape is a shape-mismatch naming it (against the model as --target: without one, a file whose
 * shapes fit no model is "like X, not checked", never checked as if it were X).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/types.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { openclipEntry, timmEntry } from '../../src/layouts/spec/catalog.js';
import { OPENCLIP_NAMES, openclipFacts, openclipTrunk, TIMM_TOWER_NAMES, timmTower, type TimmTrunkFacts } from '../../src/layouts/spec/clipTables.js';
import type { ExpectedTensor } from '../../src/layouts/spec/types.js';
import { fakeTensors } from '../helpers/clipFixtures.js';
import { loadLayouts, type RealLayout } from '../helpers/layoutFixtures.js';

function checkpointOf(tensors: RealLayout['tensors']): Checkpoint {
  const t = fakeTensors(tensors.map(([name, shape, dtype]) => ({ name, shape, dtype: dtype === 'int64' ? 'I64' : 'F32' })));
  return { format: 'safetensors', path: join('/nonexistent', 'model.safetensors'), files: [], tensors: t, unreadable: [], metadata: {}, problems: [] };
}

async function analyze(tensors: RealLayout['tensors'], target?: string): Promise<Analysis> {
  const r = await analyzeCheckpoint(checkpointOf(tensors), { configDir: null, valueBudgetBytes: 0, ...(target ? { target } : {}) });
  if (!r.ok) assert.fail(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

const codes = (a: Analysis) => a.findings.map((f) => f.code);

/** Trunks modelled by the templates added for issue 11 (the plain ViT / EVA ones were already). */
function newTemplate(t: TimmTrunkFacts | undefined): string | null {
  if (!t) return null;
  if (t.template === 'convnext' || t.template === 'swin' || t.template === 'byob' || t.template === 'fastvit') return t.template;
  if (t.template === 'vit' && t.pe === 'mbconv') return 'vitamin';
  if (t.template === 'vit' && t.pe === 'naflex') return 'naflex';
  if (t.template === 'vit' && t.pe === 'convstem') return 'mobileclip-vit';
  if (t.template === 'vit' && t.relpos) return 'relpos';
  return null;
}

/** A tensor from the middle of the tower's blocks (not the first, which is part of the fingerprint). */
function insideTensor(expected: readonly ExpectedTensor[], tower: 'vision' | 'text' | 'audio' | 'other' = 'vision'): ExpectedTensor {
  const inner = expected.filter((e) => e.tower === tower && e.partKind === 'blocks' && !e.opaque && e.shape.length > 0 && e.dtype === undefined && e.role === 'weight');
  return inner[Math.floor(inner.length / 2)]!;
}

interface Tally {
  models: number;
  dropRight: number;
  shapeRight: number;
  bad: string[];
}

async function check(label: string, id: string, tensors: RealLayout['tensors'], expected: readonly ExpectedTensor[], target: string, t: Tally, tower: 'vision' | 'text' | 'audio' | 'other' = 'vision'): Promise<void> {
  t.models++;
  const gone = insideTensor(expected, tower);
  // 1. One tensor inside the trunk dropped: the model is still named (a subset of it) and the tensor is named as missing.
  const a = await analyze(tensors.filter(([n]) => n !== gone.name));
  // Named as missing against the one model it fits, or — where two towers fit (resnet50_clip_gap is resnet50_clip
  // without its attention-pool head) — in the finding of what every candidate agrees is missing.
  const named = (a.missing.length === 1 && a.missing[0]!.name === gone.name) || a.findings.some((f) => f.code === 'tensors-missing' && f.tensors?.length === 1 && f.tensors[0] === gone.name);
  if (codes(a).includes('tensors-missing') && named) t.dropRight++;
  else t.bad.push(`${label} ${id} without ${gone.name}: ${codes(a).join(',')} missing=[${a.missing.map((m) => m.name).slice(0, 3).join(',')}] variant ${a.architecture.variant}`);
  // 2. Its shape changed, checked against the model (--target): a shape-mismatch naming it.
  const changed = tensors.map(([n, s, d]) => (n === gone.name ? ([n, [s[0]! + 1, ...s.slice(1)], d] as RealLayout['tensors'][number]) : ([n, s, d] as RealLayout['tensors'][number])));
  const b = await analyze(changed, target);
  if (codes(b).includes('shape-mismatch') && b.mismatched.some((m) => m.name === gone.name)) t.shapeRight++;
  else t.bad.push(`${label} ${id} with ${gone.name} reshaped (--target ${target}): ${codes(b).join(',')}`);
  // Without a target, no model fits those shapes exactly: "like X", nothing reported as if it were X.
  const c = await analyze(changed);
  if (c.findings.some((f) => f.severity === 'error' && f.code !== 'shape-mismatch' && f.code !== 'tensors-missing')) t.bad.push(`${label} ${id} reshaped, no target: ${codes(c).join(',')}`);
}

test('open_clip models with a ConvNeXt / Swin / FastViT / relpos / MobileCLIP-ViT / ViTamin / NaFlex trunk: a dropped trunk tensor is named, a changed shape is a shape-mismatch', async () => {
  const real = { ...loadLayouts('openclip.json.gz'), ...loadLayouts('openclip-dev.json.gz') }; // released + development configs
  const t: Tally = { models: 0, dropRight: 0, shapeRight: 0, bad: [] };
  const byKind = new Map<string, number>();
  for (const name of OPENCLIP_NAMES) {
    const v = openclipFacts(name)!.vision;
    const kind = v.kind === 'timm' ? newTemplate(openclipTrunk(v.trunkKey)) : null;
    if (!kind) continue;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    await check('open_clip', name, real[name]!.tensors, openclipEntry(name).expected, `openclip:${name}`, t);
  }
  console.log(`open_clip trunks (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): one trunk tensor dropped → named ${t.dropRight}/${t.models}; one shape changed → shape-mismatch ${t.shapeRight}/${t.models}`);
  assert.ok(t.models >= 30, `only ${t.models} models`);
  assert.deepEqual(t.bad, []);
});

test('timm towers (by name and CLIP pretrained tags) with the new templates: a dropped trunk tensor is named, a changed shape is a shape-mismatch', async () => {
  const real = loadLayouts('timm.json.gz');
  const t: Tally = { models: 0, dropRight: 0, shapeRight: 0, bad: [] };
  const byKind = new Map<string, number>();
  for (const name of TIMM_TOWER_NAMES) {
    const kind = newTemplate(timmTower(name));
    if (!kind) continue;
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    await check('timm', name, real[Object.keys(real).find((k) => k.toLowerCase() === name)!]!.tensors, timmEntry(name)!.expected, `timm:${name}`, t);
  }
  console.log(`timm towers (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): one trunk tensor dropped → named ${t.dropRight}/${t.models}; one shape changed → shape-mismatch ${t.shapeRight}/${t.models}`);
  assert.ok(t.models >= 50, `only ${t.models} towers`);
  assert.deepEqual(t.bad, []);
});

test('look-alikes: every ConvNeXt CLIP tag saved by timm is named as a tag of its own model (same layout = same candidates), never as an open_clip model or another size', async () => {
  const real = loadLayouts('timm.json.gz');
  const bad: string[] = [];
  let n = 0;
  for (const [name, m] of Object.entries(real)) {
    if (!name.startsWith('convnext_')) continue;
    n++;
    const a = await analyze(m.tensors);
    const base = name.split('.')[0]!;
    const named = a.architecture.variant !== null && (a.architecture.variant === name || a.architecture.candidates.includes(name));
    const sameModel = a.architecture.candidates.every((c) => c.split('.')[0] === base);
    if (!(named && sameModel && a.target?.id.startsWith('timm:'))) bad.push(`${name} → ${a.architecture.variant} [${a.architecture.candidates.join(',')}]`);
  }
  console.log(`timm ConvNeXt CLIP tags: ${n - bad.length}/${n} named as their own model`);
  assert.ok(n >= 20);
  assert.deepEqual(bad, []);
});

test('open_clip models with a transformers text tower (roberta, xlm-roberta, mT5, NLLB, ModernBERT) or the modern text tower: a dropped encoder tensor is named, a changed shape is a shape-mismatch', async () => {
  const real = { ...loadLayouts('openclip.json.gz'), ...loadLayouts('openclip-dev.json.gz') }; // released + development configs
  const t: Tally = { models: 0, dropRight: 0, shapeRight: 0, bad: [] };
  const byModel = new Map<string, number>();
  for (const name of OPENCLIP_NAMES) {
    const text = openclipFacts(name)!.text;
    if (text.kind !== 'hf' && text.kind !== 'modern') continue;
    const label = text.kind === 'hf' ? text.model : 'open_clip modern text';
    byModel.set(label, (byModel.get(label) ?? 0) + 1);
    await check('open_clip', name, real[name]!.tensors, openclipEntry(name).expected, `openclip:${name}`, t, 'text');
  }
  console.log(`open_clip transformers / modern text towers (${[...byModel].map(([k, n]) => `${k} ${n}`).join(', ')}): one encoder tensor dropped → named ${t.dropRight}/${t.models}; one shape changed → shape-mismatch ${t.shapeRight}/${t.models}`);
  assert.ok(t.models >= 10, `only ${t.models} models`);
  assert.deepEqual(t.bad, []);
});

test("CLAP's audio towers (HTSAT, Whisper encoder, NaFlex ViT over mel patches): a dropped audio-encoder tensor is named, a changed shape is a shape-mismatch", async () => {
  const real = loadLayouts('openclip-dev.json.gz'); // open_clip's development configs (source tree)
  const t: Tally = { models: 0, dropRight: 0, shapeRight: 0, bad: [] };
  const byKind = new Map<string, number>();
  for (const name of OPENCLIP_NAMES) {
    const audio = openclipFacts(name)!.audio;
    if (!audio) continue;
    byKind.set(audio.kind, (byKind.get(audio.kind) ?? 0) + 1);
    await check('open_clip', name, real[name]!.tensors, openclipEntry(name).expected, `openclip:${name}`, t, 'audio');
  }
  console.log(`CLAP audio towers (${[...byKind].map(([k, n]) => `${k} ${n}`).join(', ')}): one audio-encoder tensor dropped → named ${t.dropRight}/${t.models}; one shape changed → shape-mismatch ${t.shapeRight}/${t.models}`);
  assert.equal(t.models, 19);
  assert.deepEqual(t.bad, []);
});

test("NaFlexGenLip / NaFlexGenLap's fused trunk: a dropped trunk tensor is named, a changed shape is a shape-mismatch", async () => {
  const real = loadLayouts('openclip-dev.json.gz');
  const t: Tally = { models: 0, dropRight: 0, shapeRight: 0, bad: [] };
  for (const name of OPENCLIP_NAMES) {
    if (!openclipFacts(name)!.fused) continue;
    await check('open_clip', name, real[name]!.tensors, openclipEntry(name).expected, `openclip:${name}`, t, 'other');
  }
  console.log(`NaFlexGenLip / GenLap fused trunks: one trunk tensor dropped → named ${t.dropRight}/${t.models}; one shape changed → shape-mismatch ${t.shapeRight}/${t.models}`);
  assert.equal(t.models, 8);
  assert.deepEqual(t.bad, []);
});
