/**
 * analyzeCheckpoint on fixtures generated from the layout tables: real shapes header-only
 * (sparse files), tiny widths for value checks. Asserts exact families, variants, tower
 * statuses, missing counts and finding codes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeCheckpoint, type AnalyzeOptions } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/types.js';
import { openCheckpoint } from '../../src/formats/open.js';
import type { FamilyId } from '../../src/layouts/families.js';
import { clipTensorSpecs, tinyClipConfig, writeClipFixture, writeShardedClipFixture, type FixtureSpec, type ValueMode } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('ckl-analysis-');
let n = 0;

async function analyzeSpecs(specs: readonly FixtureSpec[], opts: AnalyzeOptions & { values?: ValueMode; valuesFor?: (s: FixtureSpec) => ValueMode | undefined; files?: Record<string, string> } = {}): Promise<Analysis> {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(opts.files ?? {})) writeFileSync(join(dir, name), text);
  const path = await writeClipFixture(dir, 'model.safetensors', specs, { values: opts.values ?? 'none', ...(opts.valuesFor ? { valuesFor: opts.valuesFor } : {}) });
  const c = await openCheckpoint(path);
  assert.ok(c.ok);
  const { values: _v, valuesFor: _f, files: _x, ...rest } = opts;
  const a = await analyzeCheckpoint(c.value, { valueBudgetBytes: opts.values && opts.values !== 'none' ? undefined : 0, ...rest });
  if (!a.ok) assert.fail(a.error.message);
  return a.value;
}

const codes = (a: Analysis) => a.findings.map((f) => f.code).sort();
const statuses = (a: Analysis) => Object.fromEntries(a.towers.map((t) => [t.id, t.status]));
const without = (specs: FixtureSpec[], pred: (s: FixtureSpec) => boolean) => specs.filter((s) => !pred(s));

describe('family and variant', () => {
  const cases: [FamilyId, string, number][] = [
    ['openai-clip', 'ViT-B-16', 302],
    ['openai-clip', 'ViT-B-32', 302],
    ['openai-clip', 'ViT-L-14', 446],
    ['openai-clip', 'ViT-L-14-336', 446],
    ['openai-clip', 'ViT-H-14', 686],
    ['openai-clip', 'RN50', 489],
    ['openai-clip', 'RN101', 0],
    ['openai-clip', 'RN50x4', 0],
    ['openclip-coca', 'coca_ViT-B-32', 629],
    ['openclip-custom-text', 'ViT-B-16', 302],
    ['hf-clip', 'ViT-B-16', 398],
    ['hf-clip', 'ViT-L-14', 590],
    ['timm-vit', 'ViT-B-16', 153],
  ];
  for (const [family, variant, count] of cases) {
    it(`${family} ${variant}`, async () => {
      const specs = clipTensorSpecs(family, variant);
      if (count) assert.equal(specs.length, count);
      const a = await analyzeSpecs(specs, { configDir: null });
      assert.equal(a.architecture.family, family);
      assert.equal(a.architecture.variant, variant);
      assert.equal(a.architecture.variantSource, 'shapes');
      if (family !== 'timm-vit') {
        assert.equal(a.missing.length, 0, a.missing.map((m) => m.name).join());
        assert.equal(a.unexpected.length, 0);
        assert.equal(a.mismatched.length, 0);
        assert.ok(a.towers.every((t) => t.status === 'complete'));
        assert.deepEqual(codes(a), []);
      }
    });
  }

  it('complete open_clip ViT-B-16: 302 tensors, 149,620,737 params, no missing tensors', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('openai-clip', 'ViT-B-16'), { configDir: null });
    assert.equal(a.target?.id, 'openclip:ViT-B-16');
    assert.equal(a.target?.defaulted, true);
    assert.equal(a.target?.expectedTensors, 302);
    assert.equal(a.missing.length, 0);
    assert.equal(a.towers.reduce((s, t) => s + t.parameters, 0), 149_620_737);
    assert.deepEqual(statuses(a), { vision: 'complete', text: 'complete', projection: 'complete' });
    const vit = a.architecture.inferred.vision;
    assert.equal(vit?.kind, 'vit');
    assert.deepEqual(a.architecture.inferred.text, { width: 512, layers: 12, context: 77, vocab: 49408, mlp: 2048, heads: 8 });
    assert.equal(a.architecture.inferred.embedDim, 512);
  });
});

describe('timm vision-only ViT-B-16 (the seed case)', () => {
  it('against openclip:ViT-B-16 → exactly 150 random-init target tensors and text-tower-missing', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('timm-vit', 'ViT-B-16'), { target: 'openclip:ViT-B-16', configDir: null });
    assert.equal(a.architecture.family, 'timm-vit');
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.missing.length, 150);
    assert.deepEqual(a.missing.filter((m) => !m.name.startsWith('transformer.')).map((m) => m.name).sort(), ['ln_final.bias', 'ln_final.weight', 'logit_scale', 'positional_embedding', 'text_projection', 'token_embedding.weight']);
    assert.deepEqual(statuses(a), { vision: 'complete', text: 'absent', projection: 'incomplete' });
    const f = a.findings.find((x) => x.code === 'text-tower-missing');
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /zero-shot will be at chance/i);
    assert.match(f!.message, /150 of its 302 tensors would be random/);
    assert.deepEqual(codes(a), ['logit-scale-missing', 'text-tower-missing', 'unexpected-tensors']);
    assert.deepEqual(a.unexpected.map((u) => u.name), ['head.bias']);
  });

  it('against its own layout (timm:vit_base_patch16_clip_224) → nothing missing', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('timm-vit', 'ViT-B-16'), { target: 'timm:vit_base_patch16_clip_224', configDir: null });
    assert.equal(a.missing.length, 0);
    assert.equal(a.unexpected.length, 0);
    assert.deepEqual(codes(a), []);
  });

  it('against hf:CLIPModel → 198 missing (196 text_model.* + text_projection.weight + logit_scale)', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('timm-vit', 'ViT-B-16'), { target: 'hf:CLIPModel', configDir: null });
    assert.equal(a.target?.id, 'hf:CLIPModel@ViT-B-16');
    assert.equal(a.missing.length, 198);
    assert.equal(a.missing.filter((m) => m.name.startsWith('text_model.')).length, 196);
  });

  it('a timm ImageNet classifier (head 1000 rows) is called a classifier, not a CLIP tower', async () => {
    const specs = clipTensorSpecs('timm-vit', 'ViT-B-16').map((s) => (s.name === 'head.weight' ? { ...s, shape: [1000, 768] } : s.name === 'head.bias' ? { ...s, shape: [1000] } : s));
    const a = await analyzeSpecs(specs, { configDir: null });
    assert.ok(codes(a).includes('classifier-head'));
    assert.equal(a.architecture.variant, 'ViT-B-16');
  });

  it('an open_clip file against timm → the text side is unexpected, nothing missing', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('openai-clip', 'ViT-B-16'), { target: 'timm:vit_base_patch16_clip_224', configDir: null });
    assert.equal(a.missing.length, 0);
    assert.equal(a.unexpected.length, 150);
  });
});

describe('broken variants', () => {
  const full = () => clipTensorSpecs('openai-clip', 'ViT-B-16');

  it('vision-only open_clip file → text-tower-missing, 150 missing', async () => {
    const a = await analyzeSpecs(full().filter((s) => s.name.startsWith('visual.')), { configDir: null });
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.missing.length, 150);
    assert.deepEqual(codes(a), ['logit-scale-missing', 'text-tower-missing']);
  });

  it('text-only file → ambiguous variant, but every candidate agrees the vision tower is missing; with a target → the full check', async () => {
    const specs = full().filter((s) => !s.name.startsWith('visual.'));
    const a = await analyzeSpecs(specs, { configDir: null });
    assert.equal(a.architecture.variant, null);
    for (const c of ['ViT-B-32', 'ViT-B-16', 'RN101']) assert.ok(a.architecture.candidates.includes(c), c);
    assert.equal(a.target, null);
    assert.deepEqual(codes(a), ['variant-unknown', 'vision-tower-missing']);
    assert.match(a.findings.find((f) => f.code === 'vision-tower-missing')!.message, /every model these tensors fit/);
    const b = await analyzeSpecs(specs, { target: 'openclip:ViT-B-16', configDir: null });
    assert.equal(b.missing.length, 152);
    assert.equal(statuses(b).vision, 'absent');
    assert.deepEqual(codes(b), ['vision-tower-missing']);
    assert.match(b.findings[0]!.message, /randomly initialise its 151 tensors and the image projection/);
  });

  it('image projection dropped → projection-missing', async () => {
    const a = await analyzeSpecs(without(full(), (s) => s.name === 'visual.proj'), { configDir: null });
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.deepEqual(a.missing.map((m) => m.name), ['visual.proj']);
    assert.deepEqual(codes(a), ['projection-missing']);
    assert.equal(statuses(a).projection, 'incomplete');
  });

  it('logit_scale missing → logit-scale-missing warning only', async () => {
    const a = await analyzeSpecs(without(full(), (s) => s.name === 'logit_scale'), { configDir: null });
    assert.deepEqual(codes(a), ['logit-scale-missing']);
    assert.equal(a.findings[0]!.severity, 'warning');
  });

  it('one block missing → tensors-missing naming the block; vision incomplete', async () => {
    const a = await analyzeSpecs(without(full(), (s) => s.name.startsWith('visual.transformer.resblocks.5.')), { configDir: null });
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.missing.length, 12);
    assert.deepEqual(codes(a), ['tensors-missing']);
    assert.match(a.findings[0]!.message, /visual\.transformer\.resblocks\.5 \(12\)/);
    assert.equal(statuses(a).vision, 'incomplete');
    // The missing block breaks the collapsed run in the tree: {0..4}, 5 (ghost), {6..11}.
    const stage = a.towers.find((t) => t.id === 'vision')!.tree.children.find((c) => c.label === 'visual.transformer.resblocks')!;
    assert.deepEqual(stage.children.map((c) => c.label), ['{0..4}', '5', '{6..11}']);
    assert.equal(stage.children[1]!.missingCount, 12);
  });

  it('last block missing → the only config containing every tensor is named, the 12 tensors reported', async () => {
    const a = await analyzeSpecs(without(full(), (s) => s.name.startsWith('transformer.resblocks.11.')), { configDir: null });
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.architecture.variantSource, 'shapes');
    assert.equal(a.missing.length, 12);
    assert.deepEqual(codes(a), ['tensors-missing']);
  });

  it('transposed projection → "like ViT-B-16, not checked" by default; with the target, shape-mismatch with a "stored transposed" hint', async () => {
    const specs = full().map((s) => (s.name === 'visual.proj' ? { ...s, shape: [512, 768] } : s));
    const like = await analyzeSpecs(specs, { configDir: null });
    assert.equal(like.architecture.variant, 'ViT-B-16');
    assert.equal(like.architecture.variantSource, 'shapes-approximate');
    assert.deepEqual(codes(like), ['variant-like']);
    assert.equal(like.target, null);
    assert.match(like.findings[0]!.evidence![0]!, /visual\.proj \[512, 768\], ViT-B-16 has \[768, 512\]/);
    const a = await analyzeSpecs(specs, { configDir: null, target: 'openclip:ViT-B-16' });
    assert.deepEqual(codes(a), ['shape-mismatch']);
    assert.deepEqual(a.mismatched, [{ name: 'visual.proj', files: ['visual.proj'], expected: [768, 512], found: [512, 768], tower: 'projection', hint: 'stored transposed' }]);
  });

  it('HF q/k/v split with k_proj missing in one block', async () => {
    const specs = without(clipTensorSpecs('hf-clip', 'ViT-B-16'), (s) => s.name === 'vision_model.encoder.layers.5.self_attn.k_proj.weight');
    const own = await analyzeSpecs(specs, { configDir: null });
    assert.equal(own.architecture.variant, 'ViT-B-16');
    assert.deepEqual(own.missing.map((m) => m.name), ['vision_model.encoder.layers.5.self_attn.k_proj.weight']);
    assert.deepEqual(codes(own), ['tensors-missing']);
    const oc = await analyzeSpecs(specs, { target: 'openclip:ViT-B-16', configDir: null });
    assert.deepEqual(oc.missing.map((m) => [m.name, m.reason]), [['visual.transformer.resblocks.5.attn.in_proj_weight', 'only 2 of its 3 q/k/v parts are in the file']]);
    assert.deepEqual(oc.unexpected.map((u) => u.name).sort(), ['vision_model.encoder.layers.5.self_attn.q_proj.weight', 'vision_model.encoder.layers.5.self_attn.v_proj.weight']);
  });

  it('prefixes module. / _orig_mod. are stripped', async () => {
    const a = await analyzeSpecs(full().map((s) => ({ ...s, name: `module.${s.name}` })), { configDir: null });
    assert.equal(a.architecture.family, 'openai-clip');
    assert.equal(a.architecture.strippedPrefix, 'module.');
    assert.equal(a.missing.length, 0);
  });

  it('sharded checkpoint with one shard absent → shard-missing + tensors-missing with the reason', async () => {
    const dir = join(root, `sharded${n++}`);
    mkdirSync(dir, { recursive: true });
    const { index, shardFiles } = await writeShardedClipFixture(dir, clipTensorSpecs('hf-clip', 'ViT-B-16'), 3);
    rmSync(shardFiles[2]!);
    const c = await openCheckpoint(index);
    assert.ok(c.ok);
    const r = await analyzeCheckpoint(c.value, { configDir: null, valueBudgetBytes: 0 });
    assert.ok(r.ok);
    const a = r.value;
    assert.equal(a.architecture.family, 'hf-clip');
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.missing.length, c.value.unreadable.length);
    assert.ok(a.missing.length > 100);
    assert.ok(a.missing.every((m) => /shard .* is missing/.test(m.reason ?? '')));
    assert.ok(codes(a).includes('shard-missing'));
    assert.ok(codes(a).includes('tensors-missing') || codes(a).includes('text-tower-missing'));
  });
});

describe('targets', () => {
  it('bad targets are errors with a code, not crashes', async () => {
    const dir = join(root, `t${n++}`);
    mkdirSync(dir, { recursive: true });
    const c = await openCheckpoint(await writeClipFixture(dir, 'm.safetensors', clipTensorSpecs('timm-vit', 'ViT-B-16')));
    assert.ok(c.ok);
    for (const t of ['openclip:ViT-X-99', 'hf:NotAModel', 'timm:resnet50', 'nonsense', 'hf:CLIPModel@RN50']) {
      const r = await analyzeCheckpoint(c.value, { target: t, configDir: null, valueBudgetBytes: 0 });
      assert.equal(r.ok, false, t);
      if (!r.ok) assert.equal(r.error.code, 'target-invalid');
    }
  });
});

describe('side configs', () => {
  const hfSpecs = () => clipTensorSpecs('hf-clip', 'ViT-B-16');

  it('transformers config.json: variant from config, activation from hidden_act, defaults filled in', async () => {
    const cfg = { architectures: ['CLIPModel'], model_type: 'clip', projection_dim: 512, text_config: { hidden_act: 'gelu' }, vision_config: { patch_size: 16, hidden_act: 'gelu' } };
    const a = await analyzeSpecs(hfSpecs(), { files: { 'config.json': JSON.stringify(cfg) } });
    assert.equal(a.architecture.config?.kind, 'transformers');
    assert.equal(a.architecture.variant, 'ViT-B-16');
    assert.equal(a.architecture.variantSource, 'config');
    assert.equal(a.architecture.activation, 'gelu');
    assert.deepEqual(a.architecture.disagreements, []);
  });

  it('a config that disagrees with the shapes is reported', async () => {
    // transformers' default patch_size is 32: a config without it describes ViT-B-32.
    const cfg = { architectures: ['CLIPModel'], model_type: 'clip' };
    const a = await analyzeSpecs(hfSpecs(), { files: { 'config.json': JSON.stringify(cfg) } });
    assert.equal(a.architecture.activation, 'quick_gelu');
    assert.deepEqual(a.architecture.disagreements, [{ field: 'vision.patch', config: '32', shapes: '16' }]);
    assert.ok(codes(a).includes('config-disagreement'));
  });

  it('open_clip_config.json with quick_gelu', async () => {
    const cfg = { model_cfg: { embed_dim: 512, quick_gelu: true, vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 16 }, text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 } } };
    const a = await analyzeSpecs(clipTensorSpecs('openai-clip', 'ViT-B-16'), { files: { 'open_clip_config.json': JSON.stringify(cfg) } });
    assert.equal(a.architecture.config?.name, 'ViT-B-16');
    assert.equal(a.architecture.activation, 'quick_gelu');
    assert.deepEqual(codes(a), []);
  });

  it('a broken config is a warning, not a crash', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('openai-clip', 'ViT-B-16'), { files: { 'open_clip_config.json': '{not json' } });
    assert.deepEqual(codes(a), ['config-unreadable']);
    assert.equal(a.architecture.variant, 'ViT-B-16');
  });
});

describe('random-init detection from values (tiny widths)', () => {
  const tiny = () => clipTensorSpecs('openai-clip', tinyClipConfig());

  it('a checkpoint saved right after initialisation → random-init-suspected (both towers) + untrained-logit-scale', async () => {
    const a = await analyzeSpecs(tiny(), { values: 'init', configDir: null });
    assert.ok(a.values.performed);
    const ri = a.findings.filter((f) => f.code === 'random-init-suspected');
    assert.deepEqual(ri.map((f) => [f.tower, f.severity]).sort(), [['text', 'error'], ['vision', 'error']]);
    assert.ok(ri[0]!.evidence!.some((e) => /norm weights are exactly 1/.test(e)));
    assert.ok(codes(a).includes('untrained-logit-scale'));
  });

  it('the same architecture with trained-looking statistics → clean', async () => {
    const a = await analyzeSpecs(tiny(), { values: 'trained', configDir: null });
    assert.ok(a.values.performed);
    assert.ok(a.values.bytesRead > 0);
    assert.deepEqual(a.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
  });

  it('a freshly initialised text tower in a trained model → only the text tower flagged', async () => {
    const a = await analyzeSpecs(tiny(), { values: 'trained', valuesFor: (s) => (s.tower === 'text' ? 'init' : undefined), configDir: null });
    const ri = a.findings.filter((f) => f.code === 'random-init-suspected');
    assert.deepEqual(ri.map((f) => f.tower), ['text']);
    assert.ok(!codes(a).includes('untrained-logit-scale'));
  });

  it('HF layout init is detected too (q/k/v split)', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('hf-clip', tinyClipConfig()), { values: 'init', configDir: null });
    assert.equal(a.architecture.family, 'hf-clip');
    assert.equal(a.findings.filter((f) => f.code === 'random-init-suspected').length, 2);
  });

  it('a budget of 0 reads nothing; a small budget is respected', async () => {
    const none = await analyzeSpecs(tiny(), { values: 'init', valueBudgetBytes: 0, configDir: null });
    assert.equal(none.values.performed, false);
    assert.equal(none.values.bytesRead, 0);
    const small = await analyzeSpecs(tiny(), { values: 'init', valueBudgetBytes: 4096, configDir: null });
    assert.ok(small.values.bytesRead <= 4096);
  });

  it('header-only (all-zero) weights are reported as zero-weights / projection-zero, never as trained or init', async () => {
    const a = await analyzeSpecs(clipTensorSpecs('openai-clip', 'ViT-B-16'), { values: 'none', valueBudgetBytes: 8 << 20, configDir: null });
    assert.ok(codes(a).includes('zero-weights'));
    assert.ok(codes(a).includes('projection-zero'));
    assert.ok(!codes(a).includes('random-init-suspected'));
    // Two zero projections: "through them", not "through it".
    const pz = a.findings.find((f) => f.code === 'projection-zero')!;
    assert.match(pz.message, / and .* are all zeros: every embedding through them is the zero vector/);
  });
});

describe('tensorTower', () => {
  it('assigns file names to towers through the layout tables, prefixes included', async () => {
    const { tensorTower } = await import('../../src/analysis/analyze.js');
    const arch = (family: FamilyId, strippedPrefix: string | null = null) => ({ architecture: { family, strippedPrefix } }) as unknown as Analysis;
    assert.equal(tensorTower(arch('timm-vit'), 'head.weight'), 'projection');
    assert.equal(tensorTower(arch('timm-vit'), 'blocks.3.attn.qkv.weight'), 'vision');
    assert.equal(tensorTower(arch('hf-clip'), 'text_model.encoder.layers.0.mlp.fc1.weight'), 'text');
    assert.equal(tensorTower(arch('hf-clip'), 'visual_projection.weight'), 'projection');
    assert.equal(tensorTower(arch('openai-clip', 'module.'), 'module.positional_embedding'), 'text');
    assert.equal(tensorTower(arch('openai-clip'), 'visual.positional_embedding'), 'vision');
    assert.equal(tensorTower(arch('openclip-coca'), 'text_decoder.resblocks.0.ln_1.weight'), 'decoder');
    assert.equal(tensorTower(arch('openclip-custom-text'), 'text.text_projection'), 'projection');
    assert.equal(tensorTower(arch('unknown'), 'model.layers.0.weight'), 'other');
  });
});

describe('hostile names', () => {
  it('control characters in tensor names never reach the terminal raw', async () => {
    const { renderInspectText } = await import('../../src/cli/commands/inspect.js');
    const { inspectDocument } = await import('../../src/core/summary.js');
    const specs = [...clipTensorSpecs('openai-clip', 'ViT-B-16'), { name: 'visual.\u001b[2J\u202eevil', shape: [4], dtype: 'F32' as const, canonical: null, tower: 'vision' as const }];
    const dir = join(root, `hostile${n++}`);
    mkdirSync(dir, { recursive: true });
    const c = await openCheckpoint(await writeClipFixture(dir, 'm.safetensors', specs));
    assert.ok(c.ok);
    const a = await analyzeCheckpoint(c.value, { configDir: null, valueBudgetBytes: 0 });
    assert.ok(a.ok);
    assert.equal(a.value.unexpected.length, 1);
    const text = renderInspectText(inspectDocument(c.value), c.value, a.value);
    assert.ok(!/[\u001b\u202e]/.test(text));
    assert.match(text, /unexpected-tensors/);
  });

  it('200,000 distinct block indices do not overflow the stack', async () => {
    const { inferArchitecture } = await import('../../src/analysis/architecture.js');
    const { toCanonical } = await import('../../src/layouts/canonical.js');
    const { fakeTensors } = await import('../helpers/clipFixtures.js');
    const specs = Array.from({ length: 200_000 }, (_, i) => ({ name: `transformer.resblocks.${i}.ln_1.weight`, shape: [8] }));
    const arch = inferArchitecture(toCanonical(fakeTensors(specs)));
    assert.equal(arch.text?.layers, 200_000);
  });
});
