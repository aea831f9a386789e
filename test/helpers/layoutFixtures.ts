/** Recorded real layouts (test/fixtures/layouts/*.json.gz, make_layouts.py) and a spec-vs-real differ. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { ExpectedTensor } from '../../src/layouts/spec/types.js';

export type RealLayout = { class?: string; tensors: [string, number[], string?][]; error?: string; config?: Record<string, unknown>; num_classes?: number; global_pool?: string };

export function loadLayouts(file: 'openclip.json.gz' | 'openclip-dev.json.gz' | 'timm.json.gz' | 'hf.json.gz' | 'hf-siglip2.json.gz'): Record<string, RealLayout> {
  const raw = JSON.parse(gunzipSync(readFileSync(join(__dirname, '..', 'fixtures', 'layouts', file))).toString('utf8')) as { models: Record<string, RealLayout> };
  return raw.models;
}

/** Differences between a generated layout and a recorded one (opaque parts accept everything under their prefix; -1 dims match any size). */
export function diffLayout(expected: readonly ExpectedTensor[], real: RealLayout['tensors']): string[] {
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
    if (o !== undefined) {
      opaqueHit.add(o);
      continue;
    }
    out.push(`not in spec: ${name} [${shape.join(',')}]`);
  }
  for (const e of exact.values()) if (!seen.has(e.name)) out.push(`not in model: ${e.name}`);
  for (const o of opaque) if (!opaqueHit.has(o)) out.push(`opaque part empty: ${o}`);
  return out;
}
