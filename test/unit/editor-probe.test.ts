/**
 * The editor's probe glue that needs no worker: the load target given to the probe, CLI flags in
 * probe messages reworded as editor actions, and the report as Markdown (hostile labels).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { probeTargetName } from '../../src/extension/targets.js';
import { forEditor } from '../../src/extension/editorWording.js';
import { probeMarkdown } from '../../src/extension/probeMarkdown.js';
import type { ProbeView } from '../../src/shared/jobViews.js';

test('the load target reaches the probe as its config name only when it names an open_clip config', () => {
  assert.equal(probeTargetName('openclip:ViT-B-16'), 'ViT-B-16');
  assert.equal(probeTargetName('open_clip:RN50'), 'RN50');
  assert.equal(probeTargetName('auto'), null);
  assert.equal(probeTargetName('hf:CLIPModel'), null);
  assert.equal(probeTargetName('timm:vit_base_patch16_clip_224'), null);
});

test('probe messages name editor settings and commands, not CLI flags', () => {
  const m = forEditor('custom prompts need a tokenizer: pass --tokenizer (tokenizer.json, vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz) or put one beside the checkpoint');
  assert.doesNotMatch(m, /--tokenizer/);
  assert.match(m, /checkpointLens\.probe\.tokenizerPath/);
});

const view: ProbeView = {
  title: 'evil\u202e.safetensors',
  verdict: { code: 'at-chance', text: 'Top-1 is at chance: the text tower is random.' },
  top1: 0.0714,
  top5: 0.357,
  chance: 0.0714,
  pValue: 0.5,
  images: 28,
  classes: 2,
  probeSet: 'your images in /data/pets\u202e (classes from the folder names)',
  perClass: [
    { label: 'cat | <b>dog</b>', images: 14, correct: 1, accuracy: 1 / 14 },
    { label: 'x\u200by', images: 14, correct: 0, accuracy: 0 },
  ],
  provider: 'cpu',
  attempts: [{ provider: 'cuda', outcome: 'skipped', reason: 'no CUDA' }, { provider: 'cpu', outcome: 'used', reason: null }],
  randomInitialized: [{ tower: 'text', whole: true, count: 148 }],
  timings: { buildMs: 1200, sessionCreateMs: 3400, perImageMs: 12, totalMs: 5000 },
  model: 'open_clip: image 224px',
  tokenizer: 'built-in',
  weightsAccess: 'hard-link',
};

test('the probe report as Markdown: verdict, scores, random towers, providers, one escaped table row per class', () => {
  const md = probeMarkdown(view);
  const lines = md.split('\n');
  assert.match(lines[0]!, /^### Zero-shot probe: `evil\\u202E\.safetensors`$/i, 'the bidi override is shown escaped, not live');
  assert.ok(md.includes('**❌ At chance**'));
  assert.ok(md.includes('top-1 7.1 %, top-5 35.7 %, chance 7.1 %, p = 0.5'));
  assert.ok(md.includes('the whole text tower (148 tensors)'));
  assert.ok(md.includes('- probe set: your images in /data/pets\\\\u202E (classes from the folder names): 28 images, 2 classes'), 'the image set is named (its invisible character escaped)');
  assert.ok(md.includes('`cuda` skipped: no CUDA'));
  assert.ok(!md.includes('`cpu` used'), 'only the providers not used are listed under the provider');
  const rows = lines.filter((l) => l.startsWith('| ') && !l.startsWith('| class') && !l.startsWith('| ---'));
  assert.equal(rows.length, 2);
  // Each row has exactly 4 cells: the | in a label is escaped and the HTML is not live.
  for (const r of rows) assert.equal(r.split(/(?<!\\)\|/).length - 2, 4, r);
  assert.ok(!md.includes('<b>'), 'HTML in a label is escaped');
  assert.ok(!md.includes('\u200b'), 'zero-width characters are made visible');
});

test('random-initialised tensors are counted as the tree counts them: a ViT-B text tower is 148, text_projection and logit_scale are projections', async () => {
  const { randomByTreeTower } = await import('../../src/extension/jobViewBuilders.js');
  const text = ['token_embedding.weight', 'positional_embedding', 'ln_final.weight', 'ln_final.bias'];
  for (let i = 0; i < 12; i++) for (const p of ['ln_1', 'attn.in_proj', 'attn.out_proj', 'ln_2', 'mlp.c_fc', 'mlp.c_proj']) text.push(`transformer.resblocks.${i}.${p}.weight`, `transformer.resblocks.${i}.${p}.bias`);
  const probeGroups = [
    { tower: 'text' as const, whole: true, count: 149, tensors: [...text, 'text_projection'] },
    { tower: 'shared' as const, whole: true, count: 1, tensors: ['logit_scale'] },
  ];
  assert.deepEqual(randomByTreeTower(probeGroups), [
    { tower: 'text', whole: true, count: 148 },
    { tower: 'projections', whole: false, count: 2 },
  ]);
});
