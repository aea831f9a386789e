import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { compareFiles } from '../../src/compare/compare.js';
import type { CompareReport, PairResult } from '../../src/compare/types.js';
import { LAYERS, openClipDict, perturb, scratch, toHf, toTimm, without, writeSharded } from './compare-fixtures.js';

/** Same random weights written in several layouts: every matched value must be equal after the transform. */
describe('compare: layouts from the same weights', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  const sd = openClipDict(7);
  const VISION = 8 + 12 * LAYERS; // class/pos/proj/conv1/ln_pre×2/ln_post×2 + blocks
  const TEXT = 5 + 12 * LAYERS; // positional_embedding, text_projection, token_embedding, ln_final×2 + blocks
  const paths: Record<string, string> = {};

  before(async () => {
    s = await scratch();
    paths.openclip = await s.write('openclip.safetensors', sd);
    paths.timm = await s.write('timm.safetensors', toTimm(sd));
    paths.hf = await s.write('hf.safetensors', toHf(sd));
    paths.perturbed = await s.write('timm-perturbed.safetensors', toTimm(perturb(sd, 'visual.transformer.resblocks.1.mlp.c_fc.weight', 13, 0.25)));
    paths.visionOnly = await s.write('vision-only.safetensors', without(sd, (n) => n.startsWith('visual.')));
  });
  after(() => s.cleanup());

  async function diff(a: string, b: string, opts = {}): Promise<CompareReport> {
    const r = await compareFiles(paths[a]!, paths[b]!, opts);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    return r.value;
  }
  const pair = (r: CompareReport, key: string): PairResult => {
    const p = r.pairs.find((x) => x.key === key);
    assert.ok(p, `no pair ${key}`);
    return p;
  };

  it('open_clip vs its timm conversion: every image-tower tensor matched and equal, text tower and logit_scale dropped', async () => {
    const r = await diff('openclip', 'timm');
    assert.equal(r.matching, 'canonical');
    assert.equal(r.a.layout, 'openai-clip');
    assert.equal(r.b.layout, 'timm-vit');
    assert.equal(r.counts.matched, VISION);
    assert.equal(r.counts.identical + r.counts.equal, VISION, 'every matched value equal');
    assert.equal(r.counts.different + r.counts.close + r.counts.shapeMismatch + r.counts.unreadable, 0);
    // Transforms are named per pair.
    assert.deepEqual(pair(r, 'visual.proj').b, { names: ['head.weight'], dtype: 'F32', shape: [6, 8], transform: 'transpose' });
    assert.equal(pair(r, 'visual.proj').status, 'equal');
    assert.equal(pair(r, 'visual.class_embedding').b.transform, 'reshape');
    assert.equal(pair(r, 'visual.class_embedding').status, 'identical');
    assert.equal(pair(r, 'visual.transformer.resblocks.0.attn.in_proj_weight').b.names[0], 'blocks.0.attn.qkv.weight');
    assert.equal(r.counts.transformed, 3);
    // Drops: the whole text tower, its projection and logit_scale; timm's zero head.bias is an addition with no effect.
    assert.equal(r.counts.onlyA, TEXT + 1);
    const text = r.towers.find((t) => t.tower === 'text')!;
    assert.equal(text.onlyA.length, TEXT - 1);
    assert.equal(text.matched, 0);
    assert.match(text.meaning ?? '', /zero-shot/);
    const proj = r.towers.find((t) => t.tower === 'projection')!;
    assert.deepEqual(proj.onlyA, ['text_projection', 'logit_scale']);
    assert.equal(proj.matched, 1, 'visual.proj');
    assert.deepEqual(
      r.onlyB.map((u) => [u.name, u.harmless]),
      [['head.bias', true]],
    );
    assert.equal(r.verdict.sentence, "B is A's vision tower converted to timm layout, values identical; text tower, text_projection and logit_scale dropped; all-zero head.bias added.");
    assert.equal(r.verdict.equivalent, false, 'drops fail unless allowed');
    const allowed = await diff('openclip', 'timm', { allowMissing: ['text', 'projection'] });
    assert.equal(allowed.verdict.equivalent, true);
  });

  it('the reverse direction reports the text tower as added', async () => {
    const r = await diff('timm', 'openclip');
    assert.equal(r.verdict.sentence, 'B is A converted to OpenAI/open_clip layout, values identical; head.bias dropped; text tower, text_projection and logit_scale added.');
    assert.equal(r.counts.onlyB, TEXT + 1);
    assert.equal(r.verdict.equivalent, false);
  });

  it('the same pair with one perturbed weight names that tensor first, with its max abs diff', async () => {
    const r = await diff('openclip', 'perturbed', { allowMissing: ['text', 'projection'] });
    const key = 'visual.transformer.resblocks.1.mlp.c_fc.weight';
    assert.equal(r.worst[0], key);
    const p = pair(r, key);
    assert.equal(p.status, 'different');
    assert.equal(p.b.names[0], 'blocks.1.mlp.fc1.weight');
    assert.ok(Math.abs(p.stats!.maxAbs - 0.25) < 1e-6, String(p.stats!.maxAbs));
    assert.equal(p.stats!.maxAbsAt, 13);
    assert.equal(p.stats!.mismatched, 1);
    assert.equal(r.counts.different, 1);
    assert.equal(r.verdict.equivalent, false);
    assert.match(r.verdict.sentence, /1 of 32 tensors differ beyond tolerance, worst visual\.transformer\.resblocks\.1\.mlp\.c_fc\.weight \(max abs diff 0\.25\)/);
  });

  it('open_clip vs transformers: q/k/v concatenated, projections transposed, nothing dropped', async () => {
    const r = await diff('openclip', 'hf');
    assert.equal(r.counts.matched, VISION + TEXT + 1);
    assert.equal(r.counts.onlyA + r.counts.onlyB, 0);
    const qkv = pair(r, 'transformer.resblocks.1.attn.in_proj_weight');
    assert.equal(qkv.b.transform, 'concat0');
    assert.deepEqual(qkv.b.names, ['q_proj', 'k_proj', 'v_proj'].map((p) => `text_model.encoder.layers.1.self_attn.${p}.weight`));
    assert.equal(qkv.status, 'identical');
    assert.equal(pair(r, 'text_projection').b.transform, 'transpose');
    assert.equal(pair(r, 'text_projection').status, 'equal');
    assert.equal(r.verdict.equivalent, true);
    assert.equal(r.verdict.sentence, 'B is A converted to transformers CLIP layout, values identical.');
  });

  it('transformers vs timm: both projections transposed, compared in stored orientation', async () => {
    const r = await diff('hf', 'timm', { allowMissing: ['text', 'projection'] });
    assert.equal(r.counts.matched, VISION);
    assert.equal(pair(r, 'visual.proj').status, 'identical');
    assert.equal(pair(r, 'visual.proj').method, 'bytes');
    assert.equal(r.verdict.equivalent, true);
  });

  it('text tower dropped in the same layout', async () => {
    const r = await diff('openclip', 'visionOnly');
    assert.equal(r.matching, 'name');
    assert.equal(r.counts.identical, VISION);
    assert.equal(r.counts.onlyA, TEXT + 1);
    assert.equal(r.verdict.sentence, "B is A's vision tower, values identical; text tower, text_projection and logit_scale dropped.");
    assert.equal(r.verdict.equivalent, false);
  });

  it('with --map none, a timm file shares almost nothing with open_clip', async () => {
    const r = await diff('openclip', 'timm', { map: 'none' });
    assert.equal(r.matching, 'name');
    assert.equal(r.counts.matched, 0);
    assert.match(r.verdict.sentence, /share no tensors by name \(try --map auto/);
  });

  it('shards on one side: the same tensors across two files are identical', async () => {
    const index = await writeSharded(s.dir, toTimm(sd));
    const r = await compareFiles(paths.timm!, index);
    assert.ok(r.ok);
    assert.equal(r.value.b.format, 'safetensors-sharded');
    assert.equal(r.value.counts.identical, VISION + 1);
    assert.equal(r.value.verdict.sentence, 'B is identical to A: all 33 tensors byte-identical.');
  });
});

describe('verdict and tower wording when B is not A (issue 13)', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  const paths: Record<string, string> = {};
  before(async () => {
    s = await scratch();
    paths.openclip = await s.write('a.safetensors', openClipDict(1));
    paths.otherTimm = await s.write('b-timm.safetensors', toTimm(openClipDict(7)));
    paths.timm = await s.write('a-timm.safetensors', toTimm(openClipDict(1)));
  });
  after(() => s.cleanup());

  it('every paired tensor differs: "B holds different weights", never "B is A converted"', async () => {
    const r = await compareFiles(paths.openclip!, paths.otherTimm!, {});
    assert.ok(r.ok);
    assert.ok(r.value.counts.different + r.value.counts.close >= r.value.counts.matched / 2);
    assert.doesNotMatch(r.value.verdict.sentence, /^B is A/);
    assert.match(r.value.verdict.sentence, /^B holds different weights from A \(B uses the timm layout; tensors were paired across layouts\): \d+ of \d+ tensors differ/);
  });

  it('a tower where B adds more than it drops says both, not "B drops"', async () => {
    const r = await compareFiles(paths.timm!, paths.openclip!, {});
    assert.ok(r.ok);
    const proj = r.value.towers.find((t) => t.tower === 'projection')!;
    assert.ok(proj.onlyB.length > 0 && proj.onlyA.length > 0, JSON.stringify(proj));
    assert.match(proj.meaning ?? '', /^B adds 2 tensors \(text_projection, logit_scale\) and drops 1 tensor \(head\.bias\) that A has$/);
  });
});
