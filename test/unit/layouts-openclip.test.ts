/**
 * Ground truth: the layouts our specs generate vs the state dicts of the REAL models
 * (test/fixtures/layouts/*.json.gz, recorded by make_layouts.py from open_clip_torch / timm /
 * transformers with no weights): every name and every shape, for every model.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { OPENCLIP_NAMES, openclipFacts } from '../../src/layouts/spec/clipTables.js';
import { expandSpec } from '../../src/layouts/spec/expand.js';
import { OPENCLIP_SPEC, openclipSpecConfig } from '../../src/layouts/spec/openclip.js';
import type { ExpectedTensor } from '../../src/layouts/spec/types.js';

type Layout = { class?: string; tensors: [string, number[], string?][]; error?: string };
export function loadFixture(name: string): Record<string, Layout> {
  const raw = JSON.parse(gunzipSync(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'layouts', name))).toString('utf8')) as { models: Record<string, Layout> };
  return raw.models;
}

/** Differences between a generated layout and a recorded one (opaque parts accept everything under their prefix). */
export function diffLayout(expected: readonly ExpectedTensor[], real: Layout['tensors']): string[] {
  const out: string[] = [];
  const exact = new Map(expected.filter((e) => !e.opaque).map((e) => [e.name, e]));
  const opaque = expected.filter((e) => e.opaque).map((e) => e.name);
  const seen = new Set<string>();
  const opaqueHit = new Set<string>();
  for (const [name, shape] of real) {
    const e = exact.get(name);
    if (e) {
      seen.add(name);
      if (e.shape.length !== shape.length || e.shape.some((d, i) => d !== -1 && d !== shape[i])) out.push(`shape ${name}: spec [${e.shape.join(',')}] real [${shape.join(',')}]`);
      continue;
    }
    const o = opaque.find((p) => name.startsWith(p));
    if (o) {
      opaqueHit.add(o);
      continue;
    }
    out.push(`not in spec: ${name} [${shape.join(',')}]`);
  }
  for (const e of exact.values()) if (!seen.has(e.name)) out.push(`not in model: ${e.name}`);
  for (const o of opaque) if (!opaqueHit.has(o)) out.push(`opaque part empty: ${o}`);
  return out;
}

test('every open_clip config: the spec generates exactly the real state_dict (names and shapes)', () => {
  const real = loadFixture('openclip.json.gz');
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
