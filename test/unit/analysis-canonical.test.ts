import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalSpecs } from '../../src/layouts/canonicalLayout.js';
import { detectFamily, normalizeNames, toCanonical } from '../../src/layouts/canonical.js';
import { clipConfig } from '../../src/layouts/configs.js';
import { timmVitB16Tensors } from '../../src/demo/demoCheckpoint.js';
import { clipTensorSpecs, fakeTensors } from '../helpers/clipFixtures.js';

const B16 = clipConfig('ViT-B-16')!;

describe('layout tables', () => {
  it('generate the reference key counts', () => {
    assert.equal(clipTensorSpecs('openai-clip', 'ViT-B-16').length, 302);
    const params = canonicalSpecs(B16).reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    assert.equal(params, 149_620_737);
    assert.equal(clipTensorSpecs('openai-clip', 'ViT-B-32').length, 302);
    assert.equal(clipTensorSpecs('openai-clip', 'ViT-L-14').length, 446);
    assert.equal(clipTensorSpecs('openai-clip', 'ViT-H-14').length, 686);
    assert.equal(clipTensorSpecs('openai-clip', 'RN50').length, 489);
    assert.equal(clipTensorSpecs('openclip-coca', 'coca_ViT-B-32').length, 629);
    assert.equal(clipTensorSpecs('openclip-custom-text', 'ViT-B-16').length, 302);
    assert.equal(clipTensorSpecs('hf-clip', 'ViT-B-16').length, 398);
    assert.equal(clipTensorSpecs('hf-clip', 'ViT-L-14').length, 590);
    assert.equal(clipTensorSpecs('timm-vit', 'ViT-B-16').length, 153);
    assert.equal(clipTensorSpecs('timm-vit', 'ViT-L-14').length, 297);
  });

  it('element counts per tower match the verified open_clip numbers', () => {
    const count = (name: string, tower: 'vision' | 'text') => {
      const specs = canonicalSpecs(clipConfig(name)!, tower === 'vision' ? { vision: true } : { text: true });
      return specs.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    };
    assert.equal(count('ViT-B-32', 'vision'), 87_849_216);
    assert.equal(count('ViT-B-16', 'vision'), 86_192_640);
    assert.equal(count('ViT-B-16', 'text'), 63_428_096);
    assert.equal(count('ViT-L-14', 'vision'), 303_966_208);
    assert.equal(count('ViT-L-14', 'text'), 123_650_304);
    assert.equal(count('ViT-L-14-336', 'vision'), 304_293_888);
    assert.equal(count('ViT-H-14', 'vision'), 632_076_800);
    assert.equal(count('ViT-H-14', 'text'), 354_032_640);
  });

  it('the demo timm file is generated from the same table', () => {
    const demo = timmVitB16Tensors();
    const spec = clipTensorSpecs('timm-vit', 'ViT-B-16');
    assert.deepEqual(
      demo.map((t) => `${t.name}:${t.shape.join('x')}`),
      spec.map((t) => `${t.name}:${t.shape.join('x')}`),
    );
    const elements = spec.reduce((a, s) => a + s.shape.reduce((x, y) => x * y, 1), 0);
    assert.equal(elements, 86_193_152);
  });
});

describe('detectFamily', () => {
  const cases: [string, ReturnType<typeof clipTensorSpecs>, string][] = [
    ['openai ViT', clipTensorSpecs('openai-clip', 'ViT-B-16'), 'openai-clip'],
    ['openai RN50', clipTensorSpecs('openai-clip', 'RN50'), 'openai-clip'],
    ['custom text', clipTensorSpecs('openclip-custom-text', 'ViT-B-16'), 'openclip-custom-text'],
    ['coca', clipTensorSpecs('openclip-coca', 'coca_ViT-B-32'), 'openclip-coca'],
    ['hf', clipTensorSpecs('hf-clip', 'ViT-B-16'), 'hf-clip'],
    ['timm', clipTensorSpecs('timm-vit', 'ViT-B-16'), 'timm-vit'],
    ['openai text only', clipTensorSpecs('openai-clip', 'ViT-B-16', { text: true }), 'openai-clip'],
  ];
  for (const [label, specs, fam] of cases) it(label, () => assert.equal(detectFamily(fakeTensors(specs)), fam));

  it('strips module. and _orig_mod. and a shared state_dict. container', () => {
    const specs = clipTensorSpecs('hf-clip', 'ViT-B-16').map((s) => ({ ...s, name: `module._orig_mod.${s.name}` }));
    assert.equal(detectFamily(fakeTensors(specs)), 'hf-clip');
    const wrapped = clipTensorSpecs('timm-vit', 'ViT-B-16').map((s) => ({ ...s, name: `state_dict.${s.name}` }));
    assert.equal(normalizeNames(fakeTensors(wrapped))[0]!.name, 'cls_token');
    assert.equal(detectFamily(fakeTensors([{ name: 'foo.bar', shape: [2] }])), 'unknown');
    assert.equal(detectFamily(fakeTensors(clipTensorSpecs('hf-clip', 'ViT-B-16').filter((s) => s.name.startsWith('vision_model.')))), 'hf-clip');
    assert.equal(detectFamily(fakeTensors([{ name: 'vision_model.head.probe', shape: [1, 1, 8] }, { name: 'logit_bias', shape: [1] }])), 'hf-siglip');
    assert.equal(detectFamily(fakeTensors([{ name: 'visual.trunk.blocks.0.norm1.weight', shape: [8] }, { name: 'text.token_embedding.weight', shape: [4, 8] }])), 'openclip-timm');
  });
});

describe('toCanonical', () => {
  const openai = canonicalSpecs(B16);
  const key = (m: Map<string, { shape: readonly number[] }>) => [...m].map(([n, t]) => `${n}:${t.shape.join('x')}`).sort();
  const expected = openai.map((s) => `${s.name}:${s.shape.join('x')}`).sort();

  it('HF CLIPModel → exactly the open_clip canonical set (q/k/v concatenated, projections transposed)', () => {
    const v = toCanonical(fakeTensors([...clipTensorSpecs('hf-clip', 'ViT-B-16'), { name: 'text_model.embeddings.position_ids', shape: [1, 77], dtype: 'I64' }]));
    assert.equal(v.family, 'hf-clip');
    assert.deepEqual(key(v.tensors), expected);
    assert.equal(v.unmapped.length, 0);
    assert.equal(v.ignored.length, 1);
    const qkv = v.tensors.get('visual.transformer.resblocks.3.attn.in_proj_weight')!;
    assert.equal(qkv.transform, 'concat0');
    assert.deepEqual(qkv.shape, [2304, 768]);
    assert.deepEqual(
      qkv.sources.map((s) => s.name),
      ['q', 'k', 'v'].map((p) => `vision_model.encoder.layers.3.self_attn.${p}_proj.weight`),
    );
    assert.match(qkv.description, /concat\(q_proj\.weight, k_proj\.weight, v_proj\.weight\) on dim 0/);
    const proj = v.tensors.get('visual.proj')!;
    assert.equal(proj.transform, 'transpose');
    assert.deepEqual(proj.shape, [768, 512]);
    assert.deepEqual(v.tensors.get('text_projection')!.shape, [512, 512]);
  });

  it('timm → canonical vision tower; head.bias unmapped; cls/pos reshaped', () => {
    const v = toCanonical(fakeTensors(clipTensorSpecs('timm-vit', 'ViT-B-16')));
    assert.equal(v.family, 'timm-vit');
    assert.deepEqual(key(v.tensors), canonicalSpecs(B16, { vision: true }).map((s) => `${s.name}:${s.shape.join('x')}`).sort());
    assert.deepEqual(v.unmapped.map((t) => t.name), ['head.bias']);
    assert.equal(v.tensors.get('visual.class_embedding')!.transform, 'reshape');
    assert.deepEqual(v.tensors.get('visual.class_embedding')!.shape, [768]);
    assert.deepEqual(v.tensors.get('visual.positional_embedding')!.shape, [197, 768]);
    assert.deepEqual(v.tensors.get('visual.proj')!.shape, [768, 512]);
  });

  it('custom-text drops the text. prefix; openai is identity', () => {
    const ct = toCanonical(fakeTensors(clipTensorSpecs('openclip-custom-text', 'ViT-B-16')));
    assert.deepEqual(key(ct.tensors), expected);
    const oa = toCanonical(fakeTensors(clipTensorSpecs('openai-clip', 'ViT-B-16')));
    assert.deepEqual(key(oa.tensors), expected);
    assert.equal(oa.tensors.get('logit_scale')!.description, 'same tensor');
  });

  it('a split q/k/v with one part missing is reported as partial, not assembled', () => {
    const specs = clipTensorSpecs('hf-clip', 'ViT-B-16').filter((s) => s.name !== 'vision_model.encoder.layers.5.self_attn.k_proj.weight');
    const v = toCanonical(fakeTensors(specs));
    assert.equal(v.tensors.has('visual.transformer.resblocks.5.attn.in_proj_weight'), false);
    assert.deepEqual(v.partial.map((p) => [p.name, p.missingParts]), [['visual.transformer.resblocks.5.attn.in_proj_weight', [1]]]);
    assert.equal(v.partial[0]!.present.length, 2);
  });
});
