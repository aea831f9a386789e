/**
 * Ground truth: the layouts our specs generate vs the state dicts of the REAL models
 * (test/fixtures/layouts/*.json.gz, recorded by make_layouts.py from open_clip_torch / timm /
 * transformers with no weights): every name and every shape, for every model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENCLIP_NAMES, openclipFacts, openclipFactsFromJson, openclipNamesForFacts, type OpenClipFacts } from '../../src/layouts/spec/clipTables.js';
import { expandSpec } from '../../src/layouts/spec/expand.js';
import { OPENCLIP_SPEC, openclipSpecConfig } from '../../src/layouts/spec/openclip.js';
import { diffLayout, loadLayouts } from '../helpers/layoutFixtures.js';
import { HF_CLIP_SPEC, hfSpecConfig } from '../../src/layouts/spec/hf.js';
import { TIMM_TOWER_NAMES, timmTower } from '../../src/layouts/spec/clipTables.js';
import { TIMM_TOWER_SPEC, timmTowerSpecConfig } from '../../src/layouts/spec/timm.js';

test('every open_clip config: the spec generates exactly the real state_dict (names and shapes)', () => {
  const real = loadLayouts('openclip.json.gz');
  const names = Object.keys(real);
  assert.equal(names.length, OPENCLIP_NAMES.length, 'the table covers the same configs as the recorded package');
  const bad: string[] = [];
  let opaque = 0;
  for (const name of names) {
    const facts = openclipFacts(name);
    assert.ok(facts, `config ${name} is in the table`);
    const r = expandSpec(OPENCLIP_SPEC, openclipSpecConfig(facts));
    if (!r.ok) {
      bad.push(`${name}: ${r.error.message}`);
      continue;
    }
    if (r.value.some((e) => e.opaque)) opaque++;
    const d = diffLayout(r.value, real[name]!.tensors);
    if (d.length) bad.push(`${name} (${d.length}): ${d.slice(0, 4).join('; ')}`);
  }
  console.log(`open_clip: ${names.length - bad.length}/${names.length} configs generate their real layout; ${opaque} with an opaque (unmodelled) trunk or text encoder`);
  assert.deepEqual(bad, []);
});

test('timm CLIP-family towers by model name: the spec generates the real state_dict', () => {
  const real = loadLayouts('timm.json.gz');
  const names = TIMM_TOWER_NAMES;
  const bad: string[] = [];
  let opaque = 0;
  for (const name of names) {
    const r = expandSpec(TIMM_TOWER_SPEC, timmTowerSpecConfig(timmTower(name)!));
    assert.ok(r.ok, name);
    if (r.value.some((e) => e.opaque)) opaque++;
    const d = diffLayout(r.value, real[name]!.tensors);
    if (d.length) bad.push(`${name} (${d.length}): ${d.slice(0, 4).join('; ')}`);
  }
  console.log(`timm: ${names.length - bad.length}/${names.length} towers generate their real layout; ${opaque} opaque (class without a template)`);
  assert.deepEqual(bad, []);
});

test('transformers CLIP* / Siglip* / Siglip2* classes from their config: the spec generates the real state_dict', () => {
  // hf-siglip2.json.gz: recorded with transformers 4.51.3 / torch 2.6 (Siglip2 needs torch >= 2).
  const real = { ...loadLayouts('hf.json.gz'), ...loadLayouts('hf-siglip2.json.gz') };
  const bad: string[] = [];
  for (const [key, m] of Object.entries(real)) {
    const cls = key.split('@')[0]!;
    const c = hfSpecConfig(m.config!, cls);
    assert.ok('config' in c, `${key}: ${'error' in c ? c.error : ''}`);
    const r = expandSpec(HF_CLIP_SPEC, c.config);
    assert.ok(r.ok, key);
    const d = diffLayout(r.value, m.tensors);
    if (d.length) bad.push(`${key} (${d.length}): ${d.slice(0, 4).join('; ')}`);
  }
  console.log(`transformers: ${Object.keys(real).length - bad.length}/${Object.keys(real).length} class × size layouts generated exactly`);
  assert.deepEqual(bad, []);
});

test('open_clip config JSON → facts: the same facts as the table for every shipped config (skips without the package)', (t) => {
  const dir = process.env.OPENCLIP_CONFIG_DIR ?? '/opt/venv-layouts/lib/python3.11/site-packages/open_clip/model_configs';
  if (!existsSync(dir)) return t.skip(`no open_clip model_configs at ${dir}`);
  const bad: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
    const name = f.slice(0, -5);
    const facts = openclipFactsFromJson(JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>);
    assert.notEqual(typeof facts, 'string', name);
    const named = openclipNamesForFacts(facts as OpenClipFacts);
    if (!named.includes(name)) bad.push(`${name} → ${named.join(',') || 'none'}`);
  }
  assert.deepEqual(bad, []);
});
