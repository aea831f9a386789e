/**
 * Ground truth: the layouts our specs generate vs the state dicts of the REAL models
 * (test/fixtures/layouts/*.json.gz, recorded by make_layouts.py from open_clip_torch / timm /
 * transformers with no weights): every name and every shape, for every model.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPENCLIP_DEV_NAMES, OPENCLIP_DEV_SKIPPED, OPENCLIP_RELEASED_NAMES, openclipFacts, openclipFactsFromJson, openclipNamesForFacts, type OpenClipFacts } from '../../src/layouts/spec/clipTables.js';
import { expandSpec } from '../../src/layouts/spec/expand.js';
import { OPENCLIP_SPEC, openclipSpecConfig } from '../../src/layouts/spec/openclip.js';
import { diffLayout, loadLayouts } from '../helpers/layoutFixtures.js';
import { HF_CLIP_SPEC, hfSpecConfig } from '../../src/layouts/spec/hf.js';
import { TIMM_TOWER_NAMES, timmTower } from '../../src/layouts/spec/clipTables.js';
import { TIMM_TOWER_SPEC, timmTowerSpecConfig } from '../../src/layouts/spec/timm.js';

test('every open_clip config: the spec generates exactly the real state_dict (names and shapes)', () => {
  const real = loadLayouts('openclip.json.gz');
  const names = Object.keys(real);
  assert.equal(names.length, OPENCLIP_RELEASED_NAMES.length, 'the table covers the same configs as the recorded package');
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

test("open_clip's development configs (source tree, not released): the expressible ones generate exactly their real state_dict; the others are listed with a reason", () => {
  // openclip-dev.json.gz: recorded from open_clip's source tree (make_layouts.py openclip-dev).
  const real = loadLayouts('openclip-dev.json.gz');
  const all = Object.keys(real);
  const bad: string[] = [];
  for (const name of OPENCLIP_DEV_NAMES) {
    const m = real[name];
    if (!m || m.error) {
      bad.push(`${name}: not recorded (${m?.error ?? 'absent'})`);
      continue;
    }
    const r = expandSpec(OPENCLIP_SPEC, openclipSpecConfig(openclipFacts(name)!));
    if (!r.ok) {
      bad.push(`${name}: ${r.error.message}`);
      continue;
    }
    if (r.value.some((e) => e.opaque)) bad.push(`${name}: opaque part`);
    const d = diffLayout(r.value, m.tensors);
    if (d.length) bad.push(`${name} (${d.length}): ${d.slice(0, 4).join('; ')}`);
  }
  // Every development config is either expressed or skipped with a reason.
  assert.deepEqual(all.filter((n) => !OPENCLIP_DEV_NAMES.includes(n) && !OPENCLIP_DEV_SKIPPED[n]), []);
  // Since the CLAP audio towers and the GenLip / GenLap fused trunk have templates, every one is expressed.
  assert.deepEqual(Object.keys(OPENCLIP_DEV_SKIPPED), []);
  assert.equal(OPENCLIP_DEV_NAMES.length, all.length);
  console.log(`open_clip development configs: ${OPENCLIP_DEV_NAMES.length - bad.length}/${OPENCLIP_DEV_NAMES.length} expressible configs generate their real layout; ${Object.keys(OPENCLIP_DEV_SKIPPED).length} of ${all.length} not expressed (reasons in OPENCLIP_DEV_SKIPPED / docs/clip-family.md)`);
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

test('open_clip development config JSON → facts: the same facts as the table (skips without OPENCLIP_DEV_CONFIG_DIR = a source checkout\'s model_configs)', (t) => {
  const dir = process.env.OPENCLIP_DEV_CONFIG_DIR;
  if (!dir || !existsSync(dir)) return t.skip('set OPENCLIP_DEV_CONFIG_DIR to open_clip/src/open_clip/model_configs of a source checkout');
  const bad: string[] = [];
  for (const name of OPENCLIP_DEV_NAMES) {
    const facts = openclipFactsFromJson(JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Record<string, unknown>);
    assert.notEqual(typeof facts, 'string', name);
    const named = openclipNamesForFacts(facts as OpenClipFacts);
    if (!named.includes(name)) bad.push(`${name} → ${named.join(',') || 'none'}: ${JSON.stringify(facts)}`);
  }
  assert.deepEqual(bad, []);
});
