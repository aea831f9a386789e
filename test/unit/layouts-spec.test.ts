import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CLIP_SPEC } from '../../src/layouts/spec/clip.js';
import { expandSpec } from '../../src/layouts/spec/expand.js';
import { compileExpr, evalDim } from '../../src/layouts/spec/expr.js';
import { applyNaming } from '../../src/layouts/spec/naming.js';
import type { ArchitectureSpec } from '../../src/layouts/spec/types.js';
import { clipSpecConfig } from '../../src/layouts/canonicalLayout.js';
import { clipConfig } from '../../src/layouts/configs.js';

test('expressions: arithmetic, floor and exact division, conditions, functions', () => {
  assert.equal(compileExpr('3 * D + 1')({ D: 4 }), 13);
  assert.equal(compileExpr('(image // patch) ** 2 + 1')({ image: 224, patch: 14 }), 257);
  assert.equal(compileExpr("kind == 'vit' && !cls ? 1 : 2")({ kind: 'vit', cls: false }), 1);
  assert.equal(compileExpr('at(layers, S) * 2')({ layers: [3, 4, 6, 3], S: 2 }), 12);
  assert.equal(compileExpr('def(x, 7)')({}), 7);
  assert.equal(compileExpr('-2 + 5')({}), 3);
  assert.throws(() => evalDim('D / 5', { D: 768 }), /does not divide exactly/);
  assert.throws(() => evalDim('missing * 2', {}), /expected a number/);
  assert.throws(() => compileExpr('D +'), /unexpected end/);
  assert.throws(() => compileExpr('foo(1)'), /unknown function/);
});

test('a generic decoder LM spec: blocks ×N, tied head, buffers, conditions', () => {
  const spec: ArchitectureSpec = {
    id: 'toy-lm',
    defaults: { tie: true, bias: false },
    templates: {
      block: [
        { name: 'attn.q.weight', shape: ['H', 'H'] },
        { name: 'attn.q.bias', shape: ['H'], when: 'bias' },
        { name: 'mlp.up.weight', shape: ['I', 'H'] },
      ],
    },
    parts: [
      { id: 'embeddings', kind: 'embeddings', tower: 'other', prefix: 'model.', tensors: [{ name: 'embed.weight', shape: ['vocab', 'H'] }] },
      { id: 'blocks', kind: 'blocks', tower: 'other', prefix: 'model.layers.{N}.', repeat: 'layers', vars: { I: 'H * 4' }, tensors: 'block' },
      {
        id: 'lm_head',
        kind: 'head',
        tower: 'other',
        prefix: '',
        tensors: [
          { name: 'lm_head.weight', shape: ['vocab', 'H'], when: '!tie' },
          { name: 'lm_head.weight', shape: ['vocab', 'H'], when: 'tie', role: 'tied', tiedTo: 'model.embed.weight' },
        ],
      },
    ],
  };
  const r = expandSpec(spec, { H: 8, vocab: 100, layers: 2 });
  assert.ok(r.ok);
  assert.deepEqual(
    r.value.map((e) => `${e.name}:${e.shape.join('x')}:${e.role}:${e.block ?? '-'}`),
    ['model.embed.weight:100x8:weight:-', 'model.layers.0.attn.q.weight:8x8:weight:0', 'model.layers.0.mlp.up.weight:32x8:weight:0', 'model.layers.1.attn.q.weight:8x8:weight:1', 'model.layers.1.mlp.up.weight:32x8:weight:1', 'lm_head.weight:100x8:tied:-'],
  );
  assert.equal(r.value.at(-1)!.tiedTo, 'model.embed.weight');
  const missing = expandSpec(spec, { vocab: 100, layers: 2 });
  assert.ok(!missing.ok);
  assert.match(missing.error.code, /^spec-/);
});

test('the CLIP spec reproduces the reference counts (302 ViT-B-16, 489 RN50, 629 CoCa B-32)', () => {
  const count = (name: string) => {
    const r = expandSpec(CLIP_SPEC, clipSpecConfig(clipConfig(name)!));
    assert.ok(r.ok);
    return r.value.length;
  };
  assert.equal(count('ViT-B-16'), 302);
  assert.equal(count('RN50'), 489);
  assert.equal(count('coca_ViT-B-32'), 629);
  const rn = expandSpec(CLIP_SPEC, clipSpecConfig(clipConfig('RN50')!));
  assert.ok(rn.ok);
  const ds = rn.value.filter((e) => e.name.includes('downsample.0.weight')).map((e) => `${e.name}:${e.shape.join('x')}`);
  assert.deepEqual(ds, ['visual.layer1.0.downsample.0.weight:256x64x1x1', 'visual.layer2.0.downsample.0.weight:512x256x1x1', 'visual.layer3.0.downsample.0.weight:1024x512x1x1', 'visual.layer4.0.downsample.0.weight:2048x1024x1x1']);
});

test('naming schemes: prefix rules and closed rename tables', () => {
  const specs = [
    { name: 'transformer.resblocks.0.ln_1.weight', shape: [4], tower: 'text' as const },
    { name: 'text_projection', shape: [4, 2], tower: 'projection' as const },
    { name: 'logit_scale', shape: [], tower: 'projection' as const },
  ];
  const named = applyNaming(specs, { id: 't', prefixes: [{ from: '', to: 'text.', towers: ['text'] }, { from: 'text_projection', to: 'text.text_projection', exact: true }] }, { embed: 2 });
  assert.deepEqual(
    named.map((n) => n.name),
    ['text.transformer.resblocks.0.ln_1.weight', 'text.text_projection', 'logit_scale'],
  );
  const gguf = applyNaming(specs, { id: 'g', sections: [{ block: { local: 'blk.{N}.', canonical: 'transformer.resblocks.{N}.' }, rows: [{ local: 'attn_norm.weight', canonical: 'ln_1.weight', transform: 'identity' }] }] }, { embed: 2 });
  assert.deepEqual(
    gguf.map((n) => `${n.name}<-${n.canonical}`),
    ['blk.0.attn_norm.weight<-transformer.resblocks.0.ln_1.weight'],
  );
});

test('roles decide what counts as missing: tied / buffer / optional / quant-aux never; a task head is missing with its role', async () => {
  const { compareExpected } = await import('../../src/analysis/generated.js');
  const { fakeTensors } = await import('../helpers/clipFixtures.js');
  const spec: ArchitectureSpec = {
    id: 'roles',
    parts: [
      { id: 'embeddings', kind: 'embeddings', tower: 'other', prefix: '', tensors: [{ name: 'embed.weight', shape: [10, 4] }] },
      {
        id: 'head',
        kind: 'head',
        tower: 'other',
        prefix: '',
        tensors: [
          { name: 'lm_head.weight', shape: [10, 4], role: 'tied', tiedTo: 'embed.weight' },
          { name: 'rotary.inv_freq', shape: [2], role: 'buffer' },
          { name: 'extra.bias', shape: [4], role: 'optional' },
          { name: 'embed.scales', shape: [10], role: 'quant-aux' },
          { name: 'classifier.weight', shape: [3, 4], role: 'task-head' },
        ],
      },
    ],
  };
  const r = expandSpec(spec, {});
  assert.ok(r.ok);
  const file = fakeTensors([{ name: 'embed.weight', shape: [10, 4] }, { name: 'embed.scales', shape: [10] }]);
  const cmp = compareExpected(
    file.map((t) => t.name),
    file,
    r.value,
    new Map(),
  );
  assert.deepEqual(cmp.unexpected, []);
  assert.deepEqual(
    cmp.missing.map((m) => `${m.name}:${m.part}:${m.role ?? 'weight'}`),
    ['classifier.weight:head:task-head'],
  );
});
