/**
 * The transformers architecture specs against ground truth from the real library: every class in
 * test/fixtures/architectures/ground-truth-*.json.gz (built from a tiny config by transformers, see
 * make_ground_truth.py) must expand, from the config.json that `save_pretrained` wrote, to exactly
 * its state_dict names and shapes, with the tensors the library ties marked `tied`.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { test } from 'node:test';
import { HF_ARCHITECTURES, hfExpectedLayout } from '../../src/layouts/spec/transformers/index.js';

interface GtModel {
  modelType: string;
  class: string;
  variant: string | null;
  config: Record<string, unknown>;
  state_dict: [string, number[], string][];
  tied: [string, string][];
  basePrefix: string;
}

const dir = join(__dirname, '..', 'fixtures', 'architectures');
const files = readdirSync(dir).filter((f) => /^ground-truth-.*\.json\.gz$/.test(f));
const models: (GtModel & { file: string })[] = files.flatMap((f) => (JSON.parse(gunzipSync(readFileSync(join(dir, f))).toString('utf8')) as { models: GtModel[] }).models.map((m) => ({ ...m, file: f })));

test('ground truth is present and covers every architecture family the issue names', () => {
  assert.ok(models.length >= 100, `only ${models.length} ground-truth classes`);
  const types = new Set(models.map((m) => m.modelType));
  for (const t of ['llama', 'mistral', 'mixtral', 'qwen2', 'qwen2_moe', 'gemma', 'gemma2', 'phi3', 'gpt2', 'gpt_neox', 'falcon', 'bert', 'roberta', 'xlm-roberta', 'distilbert', 'deberta-v2', 'vit', 'dinov2', 't5', 'bart', 'whisper', 'llava', 'llava_next', 'paligemma', 'idefics3']) {
    assert.ok(types.has(t), `no ground truth for ${t}`);
  }
});

for (const m of models) {
  test(`${m.class}${m.variant ? `/${m.variant}` : ''} (${m.file}): spec = transformers state_dict`, () => {
    let r = hfExpectedLayout(m.config, m.class);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    // A class whose layout changed between releases: the variant whose backbone prefix and head names the state_dict uses.
    for (let alt = 1; alt < r.value.variants; alt++) {
      const names = new Set(m.state_dict.map(([n]) => n));
      if (r.value.tensors.every((t) => names.has(t.name) || t.role === 'optional')) break;
      const r2 = hfExpectedLayout(m.config, m.class, alt);
      assert.ok(r2.ok);
      r = r2;
    }
    const layout = r.value;
    assert.equal(layout.className, m.class, 'class resolved from the config');
    const expected = new Map(layout.tensors.map((t) => [t.name, t]));
    const actual = new Map(m.state_dict.map(([n, s]) => [n, s]));
    const missingFromSpec = [...actual.keys()].filter((n) => !expected.has(n));
    const extraInSpec = [...expected.values()].filter((t) => !actual.has(t.name) && t.role !== 'optional').map((t) => t.name);
    assert.deepEqual(missingFromSpec, [], 'state_dict names the spec lacks');
    assert.deepEqual(extraInSpec, [], 'spec names transformers does not build');
    const shapeDiffs = [...actual].filter(([n, s]) => JSON.stringify(expected.get(n)!.shape) !== JSON.stringify(s)).map(([n, s]) => `${n}: spec ${JSON.stringify(expected.get(n)!.shape)} vs ${JSON.stringify(s)}`);
    assert.deepEqual(shapeDiffs, [], 'shapes');
    for (const [alias, target] of m.tied) {
      const a = expected.get(alias)!;
      const t = expected.get(target)!;
      assert.ok(a.role === 'tied' || t.role === 'tied', `${alias} shares storage with ${target}: one of them must be tied in the spec`);
    }
    // Nothing is tied that transformers does not tie.
    const tiedNames = new Set(m.tied.flat());
    for (const t of expected.values()) if (t.role === 'tied' && actual.has(t.name)) assert.ok(tiedNames.has(t.name), `${t.name} is tied in the spec but not in transformers`);
  });
}

test('every spec entry has a unique id and model types are not claimed twice', () => {
  const ids = new Set<string>();
  const types = new Set<string>();
  for (const a of HF_ARCHITECTURES) {
    assert.ok(!ids.has(a.id), a.id);
    ids.add(a.id);
    for (const t of a.modelTypes) {
      assert.ok(!types.has(t), t);
      types.add(t);
    }
  }
});
