/**
 * `inspect --json` writes its document in pieces (src/analysis/json.ts): joined, the pieces must
 * be exactly `JSON.stringify({ ...inspectDocument(c), ...analysis without schemaVersion })`, on
 * trees big enough to be opened and batched, with ghosts, mismatches, long lists and odd names.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import { inspectAnalysisJson } from '../../src/analysis/json.js';
import type { Analysis, TreeNode } from '../../src/analysis/types.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { inspectDocument } from '../../src/core/summary.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { clipTensorSpecs, writeClipFixture, type FixtureSpec } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('ckl-json-');

function reference(c: Checkpoint, a: Analysis): string {
  const { schemaVersion: _v, ...fields } = a;
  return JSON.stringify({ ...inspectDocument(c), ...fields });
}

function pieces(c: Checkpoint, a: Analysis): string[] {
  return [...inspectAnalysisJson(c, a)];
}

async function analysed(name: string, specs: readonly FixtureSpec[], target?: string): Promise<{ c: Checkpoint; a: Analysis }> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const c = await openCheckpoint(await writeClipFixture(dir, 'model.safetensors', specs));
  assert.ok(c.ok);
  const a = await analyzeCheckpoint(c.value, { configDir: null, valueBudgetBytes: 0, ...(target ? { target } : {}) });
  assert.ok(a.ok, a.ok ? '' : a.error.message);
  return { c: c.value, a: a.value };
}

const other = (name: string, shape: number[], dtype: FixtureSpec['dtype'] = 'F32'): FixtureSpec => ({ name, shape, dtype, canonical: null, tower: 'other' });

/** Largest number of leaves any one piece holds (a piece that is a whole subtree counts its tensor rows). */
const maxLeaves = (ps: readonly string[]) => Math.max(...ps.map((p) => p.split('"kind":"tensor"').length - 1));

describe('inspect --json in pieces', () => {
  it('equals one JSON.stringify for a CLIP file with missing and misshaped tensors', async () => {
    const specs = clipTensorSpecs('openai-clip', 'ViT-B-16');
    const broken = specs.filter((s) => !s.name.startsWith('visual.transformer.resblocks.3.') && s.name !== 'text_projection').map((s) => (s.name === 'visual.proj' ? { ...s, shape: [s.shape[0]!, s.shape[1]! + 1] } : s));
    const { c, a } = await analysed('clip', broken, 'openclip:ViT-B-16');
    assert.ok(a.missing.length > 0 && a.mismatched.length > 0, `the fixture must have ghosts and a mismatch: ${a.missing.length} ${a.mismatched.length}`);
    assert.equal(pieces(c, a).join(''), reference(c, a));
  });

  it('equals one JSON.stringify when trees are opened and batched (flat stage, huge block, many blocks, odd names)', async () => {
    const specs: FixtureSpec[] = [];
    // 5,000 loose tensors in one stage (opened, leaves batched), names that JSON escapes.
    for (let i = 0; i < 5000; i++) specs.push(other(`loose.t${i}${i % 97 === 0 ? '"q\\\\b\n\u00e9\u{1F600}' : ''}.weight`, [i % 7 === 0 ? 3 : 2], i % 3 ? 'F32' : 'F16'));
    // One block of 3,000 tensors (more than a piece holds).
    for (let i = 0; i < 3000; i++) specs.push(other(`big.0.w${i}`, [2]));
    // 700 blocks of 10 tensors that never collapse (dtypes rotate with period 3).
    for (let b = 0; b < 700; b++) for (let k = 0; k < 10; k++) specs.push(other(`model.layers.${b}.p${k}`, [4], (b * 10 + k) % 3 ? 'BF16' : 'F32'));
    specs.push(other('top', [1]));
    const { c, a } = await analysed('generic', specs);
    const ps = pieces(c, a);
    assert.equal(ps.join(''), reference(c, a));
    assert.ok(ps.length > 20, `written in ${ps.length} pieces`);
    assert.ok(maxLeaves(ps) <= 2048 + 10, `a piece holds ${maxLeaves(ps)} leaves`);
  });

  it('equals one JSON.stringify with a long unexpected list, any key order and undefined fields', async () => {
    const specs = clipTensorSpecs('openai-clip', 'ViT-B-16');
    for (let i = 0; i < 2500; i++) specs.push(other(`extra.${i}.w`, [3]));
    const { c, a } = await analysed('unexpected', specs, 'openclip:ViT-B-16');
    assert.ok(a.unexpected.length > 2048, `${a.unexpected.length} unexpected`);
    assert.equal(pieces(c, a).join(''), reference(c, a));
    // Other key orders and undefined fields (as JSON.stringify leaves them out).
    const reorder = (n: TreeNode): TreeNode => {
      const { children, ...rest } = n;
      return { children: children.map(reorder), ...rest, ...(n.children.length ? { note: undefined } : {}) } as TreeNode;
    };
    const towers = a.towers.map(({ tree, ...rest }) => ({ tree: reorder(tree), ...rest, extra: undefined }) as unknown as Analysis['towers'][number]);
    const b: Analysis = { ...a, transformers: undefined, towers };
    assert.equal(Object.keys(b.towers[0]!)[0], 'tree');
    assert.equal(pieces(c, b).join(''), reference(c, b));
    const empty: Analysis = { ...a, towers: [{ ...a.towers[0]!, tree: { label: 'x', kind: 'tower', repeat: 1, tensorCount: 0, parameters: 0, bytes: 0, dtypes: {}, missingCount: 0, children: [] } }] };
    assert.equal(pieces(c, empty).join(''), reference(c, empty));
  });
});
