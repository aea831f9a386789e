import { HF_TEXT_TOWERS, OPENCLIP_NAMES, openclipFacts, openclipTrunk, TIMM_TOWER_NAMES, timmTower, type OpenClipFacts } from './clipTables.js';
import { OPENCLIP_TRUNKS } from './clipTables.data.js';
import { expandOrThrow } from './expand.js';
import { OPENCLIP_SPEC, openclipSpecConfig } from './openclip.js';
import { TIMM_TOWER_SPEC, timmTowerSpecConfig } from './timm.js';
import type { ExpectedTensor } from './types.js';

/**
 * The CLIP family's named models as expanded layouts (cached), grouped by identical layout
 * (`ViT-B-16` and `ViT-B-16-quickgelu` differ only in an activation the weights do not record).
 */

export interface CatalogEntry {
  /** `ViT-B-16` (open_clip) or `vit_base_patch16_siglip_224` (timm). */
  readonly name: string;
  readonly source: 'open_clip' | 'timm';
  readonly expected: readonly ExpectedTensor[];
  /** Identical layouts share a signature. */
  readonly signature: string;
}

const cache = new Map<string, CatalogEntry>();

function signatureOf(expected: readonly ExpectedTensor[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  };
  const keys = expected.map((e) => `${e.opaque ? '*' : ''}${e.name}:${e.shape.join(',')}`).sort();
  for (const k of keys) mix(k + ';');
  return `${keys.length}:${h.toString(16)}`;
}

/** The layout of an open_clip config (its text tower under `text.` when `tp` says so; default as the config builds it). */
export function openclipEntry(name: string, facts?: OpenClipFacts, tp?: '' | 'text.'): CatalogEntry {
  const key = `oc:${name}:${tp ?? 'default'}`;
  let e = cache.get(key);
  if (e && !facts) return e;
  const f = facts ?? openclipFacts(name);
  if (!f) throw new Error(`unknown open_clip config ${name}`);
  const cfg = { ...openclipSpecConfig(f), ...(tp !== undefined ? { tp } : {}) };
  const expected = expandOrThrow(OPENCLIP_SPEC, cfg);
  e = { name, source: 'open_clip', expected, signature: signatureOf(expected) };
  if (!facts) cache.set(key, e);
  return e;
}

/** A timm tower by model name; `headRows` -1 = the classifier / projection rows are not known (any). */
export function timmEntry(name: string, headRows = -1): CatalogEntry | undefined {
  const key = `timm:${name}:${headRows}`;
  let e = cache.get(key);
  if (e) return e;
  const t = timmTower(name);
  if (!t) return undefined;
  const expected = expandOrThrow(TIMM_TOWER_SPEC, timmTowerSpecConfig(t, headRows));
  e = { name, source: 'timm', expected, signature: signatureOf(expected) };
  cache.set(key, e);
  return e;
}

export function allOpenclipEntries(tp?: '' | 'text.'): CatalogEntry[] {
  return OPENCLIP_NAMES.map((n) => openclipEntry(n, undefined, tp));
}

/** A cheap first look at a model: its non-repeated tensors and the first block of each repeated part. */
export interface Skeleton {
  readonly name: string;
  readonly source: 'open_clip' | 'timm';
  readonly tensors: readonly ExpectedTensor[];
  /**
   * At most this many tensors of the full layout are not in `tensors` (the blocks past the first;
   * Infinity when a left-out block is opaque). The full layout is `tensors` plus at most this many.
   */
  readonly beyond: number;
  /** The full layout (expanded and cached on first use). */
  full(): CatalogEntry;
}

/**
 * A skeleton of `spec` under `config`: the first block of each repeated part, and a bound on the
 * rest. Models with the same config (`ViT-B-16` and `ViT-B-16-quickgelu`: the activation is not a
 * spec field) share one expansion (`same`, per catalog build).
 */
function skeletonOf(name: string, source: 'open_clip' | 'timm', spec: Parameters<typeof expandOrThrow>[0], config: Parameters<typeof expandOrThrow>[1], full: () => CatalogEntry, same: Map<string, Pick<Skeleton, 'tensors' | 'beyond'>>): Skeleton {
  const id = JSON.stringify(config);
  let x = same.get(id);
  if (!x) {
    const omitted = { tensors: 0, opaque: false };
    const tensors = expandOrThrow(spec, config, { maxBlocks: 1, omitted });
    same.set(id, (x = { tensors, beyond: omitted.opaque ? Infinity : omitted.tensors }));
  }
  return { name, source, tensors: x.tensors, beyond: x.beyond, full };
}

const skeletons = new Map<string, Skeleton[]>();

export function openclipSkeletons(): Skeleton[] {
  let s = skeletons.get('oc');
  if (s) return s;
  const same = new Map<string, Pick<Skeleton, 'tensors' | 'beyond'>>();
  s = OPENCLIP_NAMES.map((name) => skeletonOf(name, 'open_clip', OPENCLIP_SPEC, openclipSpecConfig(openclipFacts(name)!), () => openclipEntry(name), same));
  skeletons.set('oc', s);
  return s;
}

export function timmSkeletons(): Skeleton[] {
  let s = skeletons.get('timm');
  if (s) return s;
  const same = new Map<string, Pick<Skeleton, 'tensors' | 'beyond'>>();
  s = TIMM_TOWER_NAMES.map((name) => skeletonOf(name, 'timm', TIMM_TOWER_SPEC, timmTowerSpecConfig(timmTower(name)!, -1), () => timmEntry(name)!, same));
  skeletons.set('timm', s);
  return s;
}

export function allTimmEntries(): CatalogEntry[] {
  return TIMM_TOWER_NAMES.map((n) => timmEntry(n)!).filter((e) => e.expected.some((x) => !x.opaque));
}

export { HF_TEXT_TOWERS, OPENCLIP_TRUNKS, openclipTrunk };
