/**
 * The allocation-free paths that keep analysis cheap on 100k-tensor files must give exactly what
 * the straightforward versions gave: the tower tree against a reference copy of the original
 * regex + signature-string algorithm on seeded random names (separators, leading dots, odd
 * digits), towers rule by rule, prefix normalisation, partial canonical views, and value-scan
 * results that do not depend on read completion order.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import { buildTowerTree, type TreeItem } from '../../src/analysis/tree.js';
import type { TreeNode } from '../../src/analysis/types.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { canonicalViewOf, detectFamilyFromNames, normalizeName, normalizeNameList, normalizeNames } from '../../src/layouts/canonical.js';
import { towerOfCanonical } from '../../src/layouts/towers.js';
import { clipTensorSpecs, fakeTensors, writeClipFixture, type FixtureSpec } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

// ---------------------------------------------------------------------------------------------
// Reference: the tower tree as first written (regex split, per-block signature strings).

function refTree(tower: string, items: readonly TreeItem[]): TreeNode {
  const split = (name: string) => {
    const m = /(^|\.)(\d+)\./.exec(name);
    if (m) {
      const start = m.index + m[1]!.length;
      return { stage: name.slice(0, Math.max(0, start - 1)) || '(top level)', block: Number(m[2]), rest: name.slice(start + m[2]!.length + 1) };
    }
    const dot = name.lastIndexOf('.');
    return dot < 0 ? { stage: '(top level)', rest: name } : { stage: name.slice(0, dot), rest: name.slice(dot + 1) };
  };
  const leaf = (label: string, it: TreeItem): TreeNode => ({
    label,
    kind: 'tensor',
    repeat: 1,
    tensorCount: it.missing ? 0 : 1,
    parameters: it.missing ? 0 : it.parameters,
    bytes: it.missing ? 0 : it.bytes,
    dtypes: it.missing || !it.dtype ? {} : { [it.dtype]: it.parameters },
    missingCount: it.missing ? 1 : 0,
    children: [],
    tensor: { name: it.name, dtype: it.dtype, shape: [...it.shape], ...(it.missing ? { missing: true as const } : {}), ...(it.expectedShape ? { expectedShape: it.expectedShape } : {}) },
  });
  const sum = (label: string, kind: TreeNode['kind'], children: TreeNode[], repeat = 1): TreeNode => {
    const n: TreeNode = { label, kind, repeat, tensorCount: 0, parameters: 0, bytes: 0, dtypes: {}, missingCount: 0, children };
    for (const c of children) {
      n.tensorCount += c.tensorCount;
      n.parameters += c.parameters;
      n.bytes += c.bytes;
      n.missingCount += c.missingCount;
      for (const [d, p] of Object.entries(c.dtypes)) n.dtypes[d] = (n.dtypes[d] ?? 0) + p;
    }
    if (repeat > 1) {
      for (const k of ['tensorCount', 'parameters', 'bytes', 'missingCount'] as const) n[k] *= repeat;
      for (const d of Object.keys(n.dtypes)) n.dtypes[d]! *= repeat;
    }
    return n;
  };
  type Entry = { label: string; item: TreeItem };
  const signature = (xs: Entry[]) => xs.map(({ label, item }) => `${label}:${item.dtype}:${item.shape.join('x')}:${item.missing ? 'M' : ''}:${item.expectedShape?.join('x') ?? ''}`).join('|');
  const stages = new Map<string, { loose: Entry[]; blocks: Map<number, Entry[]> }>();
  for (const it of items) {
    const { stage, block, rest } = split(it.name);
    let s = stages.get(stage);
    if (!s) stages.set(stage, (s = { loose: [], blocks: new Map() }));
    if (block === undefined) s.loose.push({ label: rest, item: it });
    else s.blocks.set(block, [...(s.blocks.get(block) ?? []), { label: rest, item: it }]);
  }
  const stageNodes: TreeNode[] = [];
  for (const [label, s] of stages) {
    const children = s.loose.map((e) => leaf(e.label, e.item));
    const ids = [...s.blocks.keys()].sort((a, b) => a - b);
    for (let i = 0; i < ids.length; ) {
      const first = s.blocks.get(ids[i]!)!;
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[j - 1]! + 1 && signature(s.blocks.get(ids[j]!)!) === signature(first)) j++;
      children.push(sum(j - i > 1 ? `{${ids[i]}..${ids[j - 1]}}` : String(ids[i]), 'block', first.map((e) => leaf(e.label, e.item)), j - i));
      i = j;
    }
    stageNodes.push(sum(label, 'stage', children));
  }
  return sum(tower, 'tower', stageNodes);
}

function seeded(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}

describe('tower tree fast path', () => {
  it('equals the signature-string algorithm on random names, dtypes, ghosts and expected shapes', () => {
    const rnd = seeded(99);
    const segs = ['', '0', '1', '2', '01', '12', 'a', 'b', 'a:b', 'x|y', '(top level)', 'w', '3x', 'n\n1'];
    const dtypes = ['F32', 'F16', null, 'a:b'];
    for (let round = 0; round < 3000; round++) {
      const items: TreeItem[] = [];
      for (let j = 0, k = 1 + rnd(12); j < k; j++) {
        const parts = Array.from({ length: 1 + rnd(5) }, () => segs[rnd(segs.length)]!);
        const missing = rnd(6) === 0;
        const item: TreeItem = { name: parts.join('.'), dtype: dtypes[rnd(dtypes.length)]!, shape: rnd(3) ? [1 + rnd(2)] : [], parameters: 1 + rnd(3), bytes: 4, missing };
        if (rnd(5) === 0) item.expectedShape = rnd(2) ? [] : [2];
        items.push(item);
      }
      // Repeated blocks (some identical, some not) so runs collapse and break.
      if (rnd(2)) for (let b = 0; b < 3; b++) for (const it of items.slice(0, 3)) items.push({ ...it, name: `s.${b + rnd(2)}.${it.name}` });
      assert.deepEqual(buildTowerTree('other', items), refTree('other', items), JSON.stringify(items.map((x) => x.name)));
    }
  });

  it('keeps signature semantics when labels hold the separators', () => {
    const it = (name: string): TreeItem => ({ name, dtype: 'F32', shape: [1], parameters: 1, bytes: 4, missing: false });
    // Block 1's one label spells block 0's two-entry signature: the original rule calls them identical.
    const items = [it('s.0.a'), it('s.0.b'), it('s.1.a:F32:1::|b'), it('s.2.a'), it('s.2.b'), it('s.3.c')];
    const tree = buildTowerTree('other', items);
    assert.deepEqual(tree, refTree('other', items));
    assert.deepEqual(tree.children[0]!.children.map((c) => c.label), ['{0..2}', '3']);
  });

  it("puts '.x' in stage '' and 'x' and '0.x' at the top level, as before", () => {
    const it = (name: string): TreeItem => ({ name, dtype: 'F32', shape: [1], parameters: 1, bytes: 4, missing: false });
    const tree = buildTowerTree('other', [it('.x'), it('x'), it('0.x'), it('.1.y')]);
    assert.deepEqual(
      tree.children.map((c) => c.label),
      ['', '(top level)'],
    );
  });
});

describe('towerOfCanonical', () => {
  it('applies every rule with its precedence', () => {
    const cases: [string, string][] = [
      ['logit_scale', 'projection'],
      ['logit_bias', 'projection'],
      ['logit_scale.x', 'other'],
      ['ln_final.weight', 'text'],
      ['ln_1.weight', 'other'],
      ['visual.proj', 'projection'],
      ['visual.proj.weight', 'vision'],
      ['visual.attnpool.c_proj.weight', 'projection'],
      ['visual.attnpool.k_proj.weight', 'vision'],
      ['visual.head.proj.weight', 'projection'],
      ['visual.trunk.head.proj.weight', 'projection'],
      ['visual.trunk.blocks.0.norm1.weight', 'vision'],
      ['visual.transformer.resblocks.0.ln_1.weight', 'vision'],
      ['visual_projection.weight', 'projection'],
      ['visual_projection.bias', 'other'],
      ['vision_model.encoder.layers.0.mlp.fc1.weight', 'vision'],
      ['text_projection', 'projection'],
      ['text_projection.weight', 'projection'],
      ['text_model.head.weight', 'projection'],
      ['text_model.encoder.layers.0.mlp.fc1.weight', 'text'],
      ['text_decoder.resblocks.0.ln_1.weight', 'decoder'],
      ['text.transformer.resblocks.0.ln_1.weight', 'text'],
      ['textual.x', 'other'],
      ['token_embedding.weight', 'text'],
      ['token_embeddings.weight', 'other'],
      ['transformer.resblocks.0.ln_1.weight', 'text'],
      ['transformers.x', 'other'],
      ['proj.weight', 'projection'],
      ['positional_embedding', 'text'],
      ['positional_embedding.x', 'other'],
      ['cls_emb', 'text'],
      ['cls_token', 'other'],
      ['model.layers.0.w', 'other'],
      ['', 'other'],
    ];
    for (const [name, tower] of cases) assert.equal(towerOfCanonical(name), tower, name);
  });
});

describe('name normalisation without per-tensor objects', () => {
  it('normalizeNameList reports the container, and normalizeName redoes any one name', () => {
    const specs = clipTensorSpecs('timm-vit', 'ViT-B-16').map((s) => ({ ...s, name: `module.state_dict._orig_mod.${s.name}` }));
    const tensors = fakeTensors(specs);
    const { names, container } = normalizeNameList(tensors);
    assert.equal(container, 'state_dict.');
    assert.equal(names[0], 'cls_token');
    assert.deepEqual(names, normalizeNames(tensors).map((x) => x.name));
    tensors.forEach((t, i) => assert.equal(normalizeName(t.name, container), names[i]));
  });

  it('keeps a shared prefix when stripping it names no CLIP family', () => {
    const tensors = fakeTensors([{ name: 'model.layers.0.w', shape: [1] }, { name: 'model.visual_thing', shape: [1] }]);
    const { names, container } = normalizeNameList(tensors);
    assert.equal(container, null);
    assert.deepEqual(names, ['model.layers.0.w', 'model.visual_thing']);
    assert.equal(detectFamilyFromNames(names), 'unknown');
  });
});

describe('canonicalViewOf', () => {
  it('with include, leaves the rejected tensors out of every list', () => {
    const tensors = fakeTensors([
      { name: 'a.position_ids', shape: [1] },
      { name: 'token_embedding.weight', shape: [4, 2] },
      { name: 'other.w', shape: [1] },
      { name: 'ln_final.weight', shape: [2] },
    ]);
    const names = tensors.map((t) => t.name);
    const full = canonicalViewOf(names, tensors, 'openai-clip');
    assert.deepEqual([...full.tensors.keys()], ['token_embedding.weight', 'other.w', 'ln_final.weight']);
    assert.deepEqual(full.ignored.map((t) => t.name), ['a.position_ids']);
    const part = canonicalViewOf(names, tensors, 'openai-clip', (i) => i !== 0 && i !== 2);
    assert.deepEqual([...part.tensors.keys()], ['token_embedding.weight', 'ln_final.weight']);
    assert.deepEqual(part.ignored, []);
    assert.deepEqual(part.unmapped, []);
  });
});

describe('value scan', () => {
  const root = tempDir('ckl-fastpaths-');

  it('an unknown layout still gets its CLIP-named tensors checked, in file order', async () => {
    const dir = join(root, 'unknown');
    mkdirSync(dir, { recursive: true });
    // `transformer.*` outside `resblocks` is the text tower by name, but no family signature.
    const spec = (name: string, tower: FixtureSpec['tower']): FixtureSpec => ({ name, shape: [32, 32], dtype: 'F32', canonical: name, tower });
    const specs = [...Array.from({ length: 12 }, (_, i) => spec(`transformer.w${String(i).padStart(2, '0')}.weight`, 'text')), spec('layers.0.w', 'other')];
    const path = await writeClipFixture(dir, 'model.safetensors', specs, { values: 'none' });
    const c = await openCheckpoint(path);
    assert.ok(c.ok);
    const a = await analyzeCheckpoint(c.value, { configDir: null });
    assert.ok(a.ok);
    assert.equal(a.value.architecture.family, 'unknown');
    const zero = a.value.findings.find((f) => f.code === 'zero-weights');
    // Four readers run in parallel; the list must still follow the file.
    assert.deepEqual(zero?.tensors, specs.slice(0, 12).map((s) => s.name));
  });
});
