/** View models for the webview tests, built with the same code the extension's worker runs. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspectDocument, type InspectDocument } from '../../src/core/summary.js';
import { writeDemoCheckpoint } from '../../src/demo/demoCheckpoint.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { buildViewModel, type AnalysisOverlay } from '../../src/extension/viewModel.js';
import type { ViewModel } from '../../src/shared/protocol.js';
import type { CompareView, ProbeView } from '../../src/shared/jobViews.js';
import type { Checkpoint, TensorInfo } from '../../src/core/checkpoint.js';

/** open_clip ViT-B-16 text tower names and shapes (150 tensors incl. logit_scale/projection). */
export function openClipTextTower(): { name: string; dtype: string; shape: number[] }[] {
  const W = 512;
  const out: { name: string; dtype: string; shape: number[] }[] = [
    { name: 'token_embedding.weight', dtype: 'F32', shape: [49408, W] },
    { name: 'positional_embedding', dtype: 'F32', shape: [77, W] },
  ];
  for (let i = 0; i < 12; i++) {
    const p = `transformer.resblocks.${i}.`;
    out.push(
      { name: `${p}ln_1.weight`, dtype: 'F32', shape: [W] },
      { name: `${p}ln_1.bias`, dtype: 'F32', shape: [W] },
      { name: `${p}attn.in_proj_weight`, dtype: 'F32', shape: [3 * W, W] },
      { name: `${p}attn.in_proj_bias`, dtype: 'F32', shape: [3 * W] },
      { name: `${p}attn.out_proj.weight`, dtype: 'F32', shape: [W, W] },
      { name: `${p}attn.out_proj.bias`, dtype: 'F32', shape: [W] },
      { name: `${p}ln_2.weight`, dtype: 'F32', shape: [W] },
      { name: `${p}ln_2.bias`, dtype: 'F32', shape: [W] },
      { name: `${p}mlp.c_fc.weight`, dtype: 'F32', shape: [4 * W, W] },
      { name: `${p}mlp.c_fc.bias`, dtype: 'F32', shape: [4 * W] },
      { name: `${p}mlp.c_proj.weight`, dtype: 'F32', shape: [W, 4 * W] },
      { name: `${p}mlp.c_proj.bias`, dtype: 'F32', shape: [W] },
    );
  }
  out.push({ name: 'ln_final.weight', dtype: 'F32', shape: [W] }, { name: 'ln_final.bias', dtype: 'F32', shape: [W] }, { name: 'text_projection', dtype: 'F32', shape: [W, W] }, { name: 'logit_scale', dtype: 'F32', shape: [] });
  return out;
}

/**
 * The seed case (timm vision-only ViT-B/16) as the editor shows it against open_clip ViT-B-16:
 * the overlay stands in for the analysis engine so the webview test does not depend on it.
 */
export async function seedModel(): Promise<{ model: ViewModel; doc: InspectDocument }> {
  const dir = await mkdtemp(join(tmpdir(), 'cl-webview-'));
  try {
    const r = await openCheckpoint(await writeDemoCheckpoint(dir));
    if (!r.ok) throw new Error(r.error.message);
    const doc = inspectDocument(r.value);
    const text = openClipTextTower();
    const overlay: AnalysisOverlay = {
      family: 'timm',
      variant: 'ViT-B-16',
      target: 'openclip:ViT-B-16',
      findings: [
        {
          code: 'tower-absent',
          severity: 'error',
          message: 'Text tower absent — 150 tensors would be randomly initialised in open_clip ViT-B-16.',
          consequence: 'Zero-shot accuracy would be at chance.',
          tensors: text.slice(0, 50).map((t) => t.name),
          tensorCount: text.length,
        },
      ],
      towers: [
        { name: 'vision', status: 'complete', tensors: doc.tensors.map((t) => t.name), missing: [] },
        { name: 'text', status: 'absent', tensors: [], missing: text },
      ],
      marks: new Map(),
    };
    return { model: buildViewModel(doc, overlay), doc };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Documents are built through the core's inspectDocument from an in-memory Checkpoint (no file behind it). */
export function docOf(path: string, format: Checkpoint['format'], specs: { name: string; dtype: 'F32' | 'BF16'; shape: number[]; shard: string | null }[], extra: Partial<Checkpoint> = {}): InspectDocument {
  let off = 0;
  const tensors: TensorInfo[] = specs.map((t) => {
    const elementCount = t.shape.reduce((x, y) => x * y, 1);
    const byteLength = elementCount * (t.dtype === 'F32' ? 4 : 2);
    const data = { kind: 'contiguous' as const, file: path, offset: off, length: byteLength };
    off += byteLength;
    return { name: t.name, dtype: t.dtype, shape: t.shape, elementCount, byteLength, data, ...(t.shard ? { shard: t.shard } : {}) };
  });
  return inspectDocument({ format, path, files: [{ path, size: off }], tensors, unreadable: [], metadata: {}, problems: [], ...extra });
}

/** A model with `layers` blocks of `perLayer` tensors whose shapes differ per block (no ×N collapse). */
export function bigInspectDocument(layers: number, perLayer: number): InspectDocument {
  const specs: Parameters<typeof docOf>[2] = [];
  for (let l = 0; l < layers; l++) {
    for (let k = 0; k < perLayer; k++) {
      specs.push({ name: `model.layers.${l}.sub${k}.weight`, dtype: 'BF16', shape: [64 + (l % 97), 16 + k], shard: `model-${String(1 + (l % 8)).padStart(5, '0')}-of-00008.safetensors` });
    }
  }
  const files = Array.from({ length: 8 }, (_, i) => ({ path: `/models/big/model-${String(i + 1).padStart(5, '0')}-of-00008.safetensors`, size: 1 }));
  return docOf('/models/big/model.safetensors.index.json', 'safetensors-sharded', specs, { files });
}

export const HOSTILE_NAMES = ['<img src=x onerror=window.__pwned=1>', '</script><script>window.__pwned=2</script>', '"><svg onload=window.__pwned=3>', 'a.<b>bold</b>.c', '${window.__pwned=4}', 'x\u202egnp.exe'];

export function hostileModel(): ViewModel {
  const doc = docOf(
    '/tmp/<img src=x onerror=window.__pwned=5>.safetensors',
    'safetensors',
    HOSTILE_NAMES.map((name, i) => ({ name, dtype: 'F32', shape: [i + 1], shard: null })),
    {
      metadata: { '<script>window.__pwned=6</script>': '<img src=x onerror=window.__pwned=7>' },
      problems: [{ code: 'hostile', severity: 'error', message: '<img src=x onerror=window.__pwned=8> bad "><svg onload=window.__pwned=9>', tensors: [HOSTILE_NAMES[0]!] }],
    },
  );
  return buildViewModel(doc, null);
}

export function compareFixture(): CompareView {
  const evil = HOSTILE_NAMES[0]!;
  return {
    equivalent: false,
    parts: [{ text: 'B changes ' }, { name: evil }, { text: ' beyond tolerance; ' }, { name: HOSTILE_NAMES[2]! }, { text: ' dropped.' }],
    a: { label: 'HEAD:models/model.safetensors', path: '/tmp/a/model.safetensors', format: 'safetensors', layout: 'openai', tensors: 3, parameters: 70, bytes: 280 },
    b: { label: 'models/<img src=x onerror=window.__pwned=30>.safetensors', path: '/w/b.safetensors', format: 'safetensors', layout: 'openai', tensors: 2, parameters: 68, bytes: 272 },
    matching: 'name',
    counts: { matched: 2, identical: 1, equal: 0, close: 0, different: 1, shapeMismatch: 0, unreadable: 0, onlyA: 1, onlyB: 0 },
    towers: [{ tower: 'other', matched: 2, identical: 1, equal: 0, close: 0, different: 1, shapeMismatch: 0, unreadable: 0, onlyA: 1, onlyB: 0, allowed: false, meaning: null }],
    worst: [
      { key: evil, tower: 'other', status: 'different', shape: [8, 8], aNames: [evil], bNames: [evil], aDtype: 'F32', bDtype: 'F32', maxAbs: 0.5, relRms: 0.12, cosine: 0.99, mismatched: 1, notes: ['"><svg onload=window.__pwned=31>'], histogram: true },
      { key: 'same', tower: 'other', status: 'identical', shape: [4], aNames: ['same'], bNames: ['same'], aDtype: 'F32', bDtype: 'F32', maxAbs: 0, relRms: 0, cosine: 1, mismatched: 0, notes: [], histogram: true },
    ],
    onlyA: [{ name: HOSTILE_NAMES[2]!, tower: 'other', dtype: 'F32', shape: [2], harmless: false }],
    onlyB: [],
    notes: ['</script><script>window.__pwned=32</script>'],
    seconds: 0.01,
  };
}


const LABELS = ['red', 'green', 'blue', 'yellow', 'orange', 'purple', 'black', 'white', 'circle', 'square', 'triangle', 'star', 'checkerboard', HOSTILE_NAMES[0]!];

export function probeFixture(): ProbeView {
  return {
    title: 'model.safetensors',
    verdict: { code: 'at-chance', text: 'Top-1 0.0 % at chance (7.1 %): the text tower is random-initialised, so image and text embeddings do not line up. <script>window.__pwned=20</script>' },
    top1: 0,
    top5: 0.2857,
    chance: 1 / 14,
    pValue: 1,
    probeSet: 'built-in probe set (colour fields, shapes, patterns; generated, no download)',
    images: 42,
    classes: 14,
    perClass: LABELS.map((label, i) => ({ label, images: 3, correct: i === 2 ? 1 : 0, accuracy: i === 2 ? 1 / 3 : 0 })),
    provider: 'cpu',
    attempts: [
      { provider: 'cuda', outcome: 'skipped', reason: "the CUDA provider libraries are not installed (onnxruntime-node's install-time download was skipped)" },
      { provider: 'cpu', outcome: 'used', reason: null },
    ],
    randomInitialized: [
      { tower: 'text', whole: true, count: 149 },
      { tower: 'shared', whole: true, count: 1 },
    ],
    timings: { buildMs: 2250, sessionCreateMs: 600, perImageMs: 153, totalMs: 10300 },
    model: 'timm: image 224px, vision 768w × 12 layers (12 heads, patch 16), text 512w × 12 layers (8 heads, 77 tokens), embed 512, quickgelu (default), pooling argmax',
    tokenizer: 'built-in prompt ids',
    weightsAccess: 'hard-link',
  };
}


/**
 * A sharded open_clip ViT-B-32 (header-only shards) whose text shard is missing, through the real
 * reader, analysis and view model, as the editor's worker builds it. `target` null = auto.
 */
export async function shardMissingModel(target: string | null): Promise<ViewModel> {
  const { writeFile, unlink } = await import('node:fs/promises');
  const { writeSafetensors } = await import('../../src/core/writeSafetensors.js');
  const { analysisOverlay } = await import('../../src/extension/analysisOverlay.js');
  const { clipTensorSpecs } = await import('../helpers/clipFixtures.js');
  const dir = await mkdtemp(join(tmpdir(), 'cl-webview-shards-'));
  try {
    const specs = clipTensorSpecs('openai-clip', 'ViT-B-32');
    const weightMap: Record<string, string> = {};
    const shards = [
      ['model-00001-of-00002.safetensors', specs.filter((s) => s.name.startsWith('visual.'))],
      ['model-00002-of-00002.safetensors', specs.filter((s) => !s.name.startsWith('visual.'))],
    ] as const;
    for (const [file, part] of shards) {
      for (const s of part) weightMap[s.name] = file;
      await writeSafetensors(join(dir, file), part.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape })));
    }
    await writeFile(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
    await unlink(join(dir, 'model-00002-of-00002.safetensors'));
    const r = await openCheckpoint(join(dir, 'model.safetensors.index.json'));
    if (!r.ok) throw new Error(r.error.message);
    const o = await analysisOverlay(r.value, { target: target ?? 'auto', valueCheckBudgetBytes: 0 });
    if (!o.ok) throw new Error(o.message);
    return buildViewModel(inspectDocument(r.value), o.overlay);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
