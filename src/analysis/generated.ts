import { plural } from '../shared/text.js';
import type { TensorInfo } from '../core/checkpoint.js';
import { isIgnorableName } from '../layouts/canonical.js';
import { clipConfig, configForTimmName } from '../layouts/configs.js';
import type { FamilyId } from '../layouts/families.js';
import { openclipEntry, openclipSkeletons, timmEntry, timmSkeletons, type CatalogEntry, type Skeleton } from '../layouts/spec/catalog.js';
import { openclipFacts, openclipFactsFromJson, openclipName, openclipNamesForFacts, timmTower } from '../layouts/spec/clipTables.js';
import { expandSpec } from '../layouts/spec/expand.js';
import { HF_CLASSES, HF_CLIP_MODEL_TYPES, HF_CLIP_SPEC, hfSpecConfig } from '../layouts/spec/hf.js';
import type { ExpectedTensor, TowerId } from '../layouts/spec/types.js';
import type { LocalSpec } from '../layouts/canonical.js';
import type { Comparison, ResolvedTarget } from './target.js';
import type { Finding, MismatchedTensor, MissingTensor, UnexpectedTensor } from './types.js';

/**
 * The CLIP family beyond the twelve OpenAI sizes, through the generated layouts (src/layouts/spec):
 * which named model a file is (config beside the file first; shapes only narrow), and the
 * comparison against that model's generated layout. A model is named only when the file's tensors
 * are exactly its tensors (or a subset: the rest is what is missing); otherwise the closest one is
 * reported as "like X, not checked", with no finding as if it were X.
 */

/** open_clip's CLIP vs CustomTextCLIP only move the text tower under `text.`; match both alike. */
const key = (name: string): string => (name.startsWith('text.') ? name.slice(5) : name);

interface Indexed {
  readonly byKey: Map<string, ExpectedTensor>;
  readonly opaque: readonly string[];
  /** Per opaque prefix: entries expected under it besides its anchors (undefined = not known). */
  readonly others: ReadonlyMap<string, number | undefined>;
  /** Per opaque prefix: the keys of its anchors (a fingerprint: without one of them, tensors under the prefix are not its). */
  readonly anchors: ReadonlyMap<string, readonly string[]>;
  readonly keyedSignature: string;
  /** Entries a file must have (role weight / task-head: buffers, tied, optional and quant-aux tensors are never missing). */
  readonly required: number;
}
const isRequired = (e: ExpectedTensor) => e.role === 'weight' || e.role === 'task-head';
const indexCache = new WeakMap<CatalogEntry | readonly ExpectedTensor[], Indexed>();

function indexOf(e: CatalogEntry | readonly ExpectedTensor[]): Indexed {
  let x = indexCache.get(e);
  if (x) return x;
  const expected = 'expected' in e ? e.expected : e;
  const byKey = new Map<string, ExpectedTensor>();
  const opaque: string[] = [];
  for (const t of expected) {
    if (t.opaque) opaque.push(key(t.name));
    else byKey.set(key(t.name), t);
  }
  const keyedSignature = 'signature' in e ? e.signature : '';
  const others = new Map<string, number | undefined>();
  const anchors = new Map<string, string[]>();
  for (const t of expected) {
    if (!t.opaque) continue;
    const p = key(t.name);
    const a: string[] = [];
    byKey.forEach((e, k) => {
      if (k.startsWith(p) && e.part === t.part) a.push(k);
    });
    anchors.set(p, a);
    others.set(p, t.opaqueCount === undefined ? undefined : t.opaqueCount - a.length);
  }
  let required = 0;
  byKey.forEach((e) => {
    if (isRequired(e)) required++;
  });
  x = { byKey, opaque, others, anchors, keyedSignature, required };
  indexCache.set(e, x);
  return x;
}

const shapeOk = (want: readonly number[], got: readonly number[]) => want.length === got.length && want.every((d, i) => d === -1 || d === got[i]);

interface Fit {
  entry: CatalogEntry;
  /** File tensors with no place in the entry. */
  extra: number;
  /** File tensors with another shape than the entry's. */
  mismatchCount: number;
  mismatched: string[];
  /** Entry tensors (or opaque parts) the file lacks. */
  missing: number;
}

/** Past this many misfits an entry is neither a subset nor a superset worth naming: stop counting. */
const MISFIT_CAP = 2000;

/** How each entry explains the file (extra / mismatched / missing counts). */
function fitAll(names: readonly string[], tensors: readonly TensorInfo[], entries: readonly CatalogEntry[]): Fit[] {
  const out: Fit[] = [];
  if (!entries.length) return out;
  const idx: number[] = [];
  for (let i = 0; i < names.length; i++) if (!isIgnorableName(names[i]!)) idx.push(i);
  for (const entry of entries) {
    const { byKey, opaque, others, anchors, required } = indexOf(entry);
    let extra = 0;
    let seenRequired = 0;
    let mismatchCount = 0;
    const mismatched: string[] = [];
    const seen = new Set<string>();
    const opaqueHit = new Map<string, number>();
    for (const i of idx) {
      const k = key(names[i]!);
      const e = byKey.get(k);
      if (e) {
        if (!seen.has(k)) {
          seen.add(k);
          if (isRequired(e)) seenRequired++;
        }
        if (!shapeOk(e.shape, tensors[i]!.shape)) {
          mismatchCount++;
          if (mismatched.length < 5) mismatched.push(`${names[i]} [${tensors[i]!.shape.join(', ')}], ${entry.name} has [${e.shape.join(', ')}]`);
        }
      } else {
        const o = opaque.find((p) => k.startsWith(p));
        if (o !== undefined) opaqueHit.set(o, (opaqueHit.get(o) ?? 0) + 1);
        else extra++;
      }
      if (extra + mismatchCount > MISFIT_CAP) break;
    }
    if (extra + mismatchCount > MISFIT_CAP) continue;
    // Only what a file must have counts as missing (buffers such as a Swin block's attn_mask are ignorable names).
    let missing = required - seenRequired;
    for (const o of opaque) {
      let hits = opaqueHit.get(o) ?? 0;
      const a = anchors.get(o) ?? [];
      // Tensors under an opaque prefix are this part's only if its first two anchors (the stem) are there too.
      if (hits && a.length && !a.slice(0, 2).every((k) => seen.has(k))) {
        extra += hits;
        hits = 0;
      }
      const want = others.get(o);
      if (want === undefined) missing += hits ? 0 : 1;
      else if (hits > want) extra += hits - want;
      else missing += want - hits;
    }
    out.push({ entry, extra, mismatchCount, mismatched, missing });
  }
  return out;
}

/** Compares the file with a generated layout: the same lists the CLIP target check produces. */
export function compareExpected(names: readonly string[], tensors: readonly TensorInfo[], expected: readonly ExpectedTensor[], reasons: ReadonlyMap<string, string>): Comparison {
  // Roles (design.md "Knowledge"): tied / buffer / optional / quant-aux tensors are never missing;
  // present ones are used, never unexpected. Missing tensors carry their part and role so findings
  // can weigh them (a task head new when fine-tuning is not a broken backbone).
  const { byKey, opaque, others } = indexOf(expected);
  const opaqueTower = new Map<string, TowerId>();
  for (const e of expected) if (e.opaque) opaqueTower.set(key(e.name), e.tower);
  const missing: MissingTensor[] = [];
  const mismatched: MismatchedTensor[] = [];
  const unexpected: UnexpectedTensor[] = [];
  const used = new Set<TensorInfo>();
  const towerOfTensor = new Map<TensorInfo, TowerId>();
  const present = new Set<string>();
  const opaqueHit = new Map<string, number>();
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    const t = tensors[i]!;
    if (isIgnorableName(n)) continue;
    const k = key(n);
    const e = byKey.get(k);
    if (e) {
      present.add(k);
      used.add(t);
      towerOfTensor.set(t, e.tower);
      if (!shapeOk(e.shape, t.shape)) {
        const transposed = t.shape.length === 2 && shapeOk(e.shape, [...t.shape].reverse());
        mismatched.push({ name: e.name, files: [t.name], expected: [...e.shape], found: [...t.shape], tower: e.tower, ...(transposed ? { hint: 'stored transposed' } : {}) });
      }
      continue;
    }
    const o = opaque.find((p) => k.startsWith(p));
    if (o !== undefined) {
      opaqueHit.set(o, (opaqueHit.get(o) ?? 0) + 1);
      used.add(t);
      const ot = opaqueTower.get(o);
      if (ot) towerOfTensor.set(t, ot);
      continue;
    }
    unexpected.push({ name: t.name, dtype: t.dtype, shape: t.shape, tower: towerGuess(n) });
  }
  for (const e of expected) {
    if (e.role === 'tied' || e.role === 'buffer' || e.role === 'optional' || e.role === 'quant-aux') continue;
    const k = key(e.name);
    if (e.opaque) {
      const hits = opaqueHit.get(k) ?? 0;
      const want = others.get(k);
      if (!hits && !want) missing.push({ name: `${e.name}*`, shape: [], tower: e.tower, reason: 'no tensor under this prefix (its contents are not modelled, only its presence is checked)' });
      else if (want !== undefined && hits < want)
        missing.push({ name: `${e.name}*`, shape: [], tower: e.tower, reason: `${want - hits} of the ${e.opaqueCount ?? want} tensors under this prefix are not in the file (its contents are not modelled, so which ones is not known)` });
      continue;
    }
    if (present.has(k)) continue;
    const reason = reasons.get(e.name) ?? reasons.get(`text.${e.name}`) ?? (e.name.startsWith('text.') ? reasons.get(e.name.slice(5)) : undefined);
    missing.push({ name: e.name, shape: e.shape.map((d) => (d < 0 ? 0 : d)), tower: e.tower, ...(reason ? { reason } : {}), part: e.part, ...(e.role !== 'weight' ? { role: e.role } : {}) });
  }
  return { missing, unexpected, mismatched, usedFileTensors: used, towerOf: towerOfTensor };
}

function towerGuess(n: string): TowerId {
  if (n.startsWith('visual') || n.startsWith('vision_model.')) return 'vision';
  if (n.startsWith('audio.')) return 'audio';
  if (n.startsWith('text_decoder.')) return 'decoder';
  if (n.startsWith('text') || n.startsWith('transformer.') || n.startsWith('token_embedding')) return 'text';
  if (n.startsWith('logit_')) return 'projection';
  return 'other';
}

/** The generated layout behind a `new` decision. */
export function expectedOf(d: Extract<Decision, { kind: 'new' }>): readonly ExpectedTensor[] {
  return d.expected;
}

export type Decision =
  | { kind: 'old'; variant?: string; candidates?: string[] }
  | { kind: 'error'; code: string; message: string }
  | {
      kind: 'new';
      target: ResolvedTarget;
      expected: readonly ExpectedTensor[];
      variant: string;
      variantSource: 'shapes' | 'config' | null;
      candidates: string[];
      findings: Finding[];
      defaulted: boolean;
    }
  | { kind: 'none'; variant: string | null; variantSource: 'shapes-approximate' | null; candidates: string[]; findings: Finding[]; family?: FamilyId };

export interface DecideInput {
  family: FamilyId;
  names: readonly string[];
  tensors: readonly TensorInfo[];
  /** The raw side config, when one was read. */
  side: { file: string; kind: 'open_clip' | 'transformers' | 'timm'; name: string | null; json?: Record<string, unknown> } | null;
  target?: string;
  reasons: ReadonlyMap<string, string>;
}

const OPENCLIP_FAMILIES: readonly FamilyId[] = ['openai-clip', 'openclip-custom-text', 'openclip-timm', 'openclip-coca'];

/** `text.` when the file keeps its text tower there, `''` when at top level, undefined when it has none. */
function filePrefix(names: readonly string[]): '' | 'text.' | undefined {
  for (const n of names) {
    if (n.startsWith('text.')) return 'text.';
    if (n.startsWith('transformer.') || n === 'token_embedding.weight' || n === 'ln_final.weight') return '';
  }
  return undefined;
}

function toLocalSpecs(expected: readonly ExpectedTensor[]): LocalSpec[] {
  return expected
    .filter((e) => e.role !== 'tied' && e.role !== 'buffer' && e.role !== 'optional' && e.role !== 'quant-aux')
    .map((e) => ({ name: e.opaque ? `${e.name}*` : e.name, shape: e.shape, tower: e.tower, canonical: e.name, transform: 'identity' as const, partId: e.part, role: e.role }));
}

function newTarget(id: string, model: string, variant: string, family: FamilyId, expected: readonly ExpectedTensor[]): ResolvedTarget {
  return { id, family, variant, model, specs: toLocalSpecs(expected), generated: true };
}

/**
 * Decides whether the generated layouts handle this file, and if so, what they say. Files the
 * OpenAI-size tables already handle exactly (the twelve configs, including cross-layout targets)
 * stay on that path (`old`).
 */
export function decide(inp: DecideInput): Decision {
  const { family, names, tensors, side, target } = inp;
  const done = (t: ResolvedTarget, exp: readonly ExpectedTensor[], variantSource: 'shapes' | 'config' | null, candidates: string[], defaulted: boolean): Decision => ({
    kind: 'new',
    target: t,
    expected: exp,
    variant: t.variant,
    variantSource,
    candidates,
    findings: [],
    defaulted,
  });

  // 1. An explicit target.
  if (target !== undefined) {
    const colon = target.indexOf(':');
    const kind = colon > 0 ? target.slice(0, colon).toLowerCase() : '';
    const rest = colon > 0 ? target.slice(colon + 1) : '';
    if (kind === 'openclip' || kind === 'open_clip') {
      if (clipConfig(rest.replace(/-quickgelu$/i, ''))) return { kind: 'old' };
      const name = openclipName(rest);
      if (!name) return { kind: 'old' };
      const e = openclipEntry(name, undefined, filePrefix(names));
      return done(newTarget(`openclip:${name}`, modelOf(name), name, familyOfEntry(e), e.expected), e.expected, null, [], false);
    }
    if (kind === 'timm') {
      if (configForTimmName(rest)) return { kind: 'old' };
      const e = timmTower(rest) ? timmEntry(rest.toLowerCase(), headRowsFrom(side)) : undefined;
      if (!e) return { kind: 'old' };
      return done(newTarget(`timm:${e.name}`, `timm ${e.name}`, e.name, 'timm-vit', e.expected), e.expected, null, [], false);
    }
    if (kind === 'hf') {
      const [cls = ''] = rest.split('@');
      if (!cls.startsWith('Siglip') || !HF_CLASSES[cls]) return { kind: 'old' };
      const json = side?.kind === 'transformers' ? side.json : undefined;
      if (!json) return { kind: 'error', code: 'target-invalid', message: `--target ${JSON.stringify(target)}: transformers ${cls} is sized by its config.json, and there is none beside the file.` };
      const r = hfExpected(json, cls);
      if ('error' in r) return { kind: 'error', code: 'target-invalid', message: `--target ${JSON.stringify(target)}: ${r.error}.` };
      return done(newTarget(`hf:${cls}`, cls, r.variant, 'hf-siglip', r.expected), r.expected, null, [], false);
    }
    return { kind: 'old' };
  }

  // 2. A config beside the file wins.
  if (side?.json) {
    if (side.kind === 'open_clip' && !side.name) {
      const cfg = (side.json.model_cfg && typeof side.json.model_cfg === 'object' ? side.json.model_cfg : side.json) as Record<string, unknown>;
      const facts = openclipFactsFromJson(cfg);
      if (typeof facts !== 'string') {
        const named = openclipNamesForFacts(facts);
        const variant = named[0] ?? 'open_clip_config.json';
        const e = openclipEntry(variant, named.length ? undefined : facts, filePrefix(names));
        return done(newTarget(`openclip:${variant}`, modelOf(variant, facts.coca !== undefined), variant, familyOfEntry(e), e.expected), e.expected, 'config', named, true);
      }
    }
    if (side.kind === 'transformers' && !side.name) {
      const r = hfExpected(side.json);
      if (!('error' in r)) return done(newTarget(`hf:${r.cls}`, r.cls, r.variant, r.cls.startsWith('Siglip') ? 'hf-siglip' : 'hf-clip', r.expected), r.expected, 'config', [], true);
    }
    if (side.kind === 'timm' && !side.name && typeof side.json.architecture === 'string') {
      const e = timmEntry(side.json.architecture.toLowerCase(), headRowsFrom(side));
      if (e) return done(newTarget(`timm:${e.name}`, `timm ${e.name}`, e.name, 'timm-vit', e.expected), e.expected, 'config', [], true);
    }
    if (side.name) return { kind: 'old' };
  }

  // 3. Shapes narrow: open_clip names against every open_clip config, timm names against timm's towers.
  if (OPENCLIP_FAMILIES.includes(family)) return byShapes(inp, prefilter(inp, filePrefix(names) === '' ? nonClapSkeletons() : openclipSkeletons()), 'open_clip');
  if (family === 'timm-vit') return byShapes(inp, prefilter(inp, timmSkeletons()), 'timm');
  // timm towers of classes the family detector does not know (ConvNeXt, ResNet-CLIP, FastViT MCi,
  // ViTamin saved by timm): their first two entries must be there (a fingerprint), small files only.
  if (family === 'unknown' && names.length < 5000) {
    // open_clip's NaFlexGenLip / NaFlexGenLap (one fused trunk, no CLIP names): recognised by the trunk's first attention.
    const fused = fusedSkeletons();
    if (fused.length && names.some((n) => n === 'trunk.layers.0.self_attn.q_proj.weight' || n === 'visual.trunk.layers.0.self_attn.q_proj.weight')) {
      const d = byShapes(inp, prefilter(inp, fused), 'open_clip');
      if (d.kind !== 'old') return d;
    }
    const fp = prefilter(inp, timmSkeletons(), false);
    if (fp.length) {
      const d = byShapes(inp, fp, 'timm');
      if (d.kind === 'new') return { ...d, target: { ...d.target, family: 'timm-vit' } };
      // Several timm towers contain every tensor (resnet50_clip / resnet50_clip_gap without a block): what they agree is missing.
      if (d.kind === 'none' && d.variant === null && d.candidates.length) return { ...d, family: 'timm-vit' };
    }
  }
  if (family === 'hf-siglip') {
    const derived = siglipFromShapes(names, tensors);
    if (derived) {
      const r = hfExpected(derived.json, derived.cls);
      if (!('error' in r)) {
        const t = newTarget(`hf:${derived.cls}`, derived.cls, `${derived.cls} (sizes from the shapes)`, 'hf-siglip', r.expected);
        return {
          kind: 'new',
          target: t,
          expected: r.expected,
          variant: t.variant,
          variantSource: 'shapes',
          candidates: [],
          defaulted: true,
          findings: [],
        };
      }
    }
    return {
      kind: 'none',
      variant: null,
      variantSource: null,
      candidates: [],
      findings: [{ code: 'variant-unknown', severity: 'info', message: 'transformers SigLIP layout: its sizes come from config.json, and there is none beside the file, so the completeness check did not run (put config.json beside it, or use --config-dir).' }],
    };
  }
  return { kind: 'old' };
}

let nonClap: Skeleton[] | undefined;
/** open_clip skeletons without CLAP's: a CLAP model always keeps its text tower under `text.`, so a file with a top-level text tower is not one. */
function nonClapSkeletons(): Skeleton[] {
  return (nonClap ??= openclipSkeletons().filter((s) => openclipFacts(s.name)?.audio === undefined));
}
let fusedOnly: Skeleton[] | undefined;
/** The NaFlexGenLip / NaFlexGenLap skeletons (their names are none of CLIP's: the family detector says `unknown`, or `openclip-timm` for GenLip's shared `visual.trunk.` copy). */
function fusedSkeletons(): Skeleton[] {
  return (fusedOnly ??= openclipSkeletons().filter((s) => openclipFacts(s.name)?.fused !== undefined));
}

/** Per skeleton list: every name (as `key` gives it) some skeleton holds, the only names `prefilter` looks up. */
const skeletonKeys = new WeakMap<readonly Skeleton[], ReadonlySet<string>>();

/** The skeletons' names, or undefined when the file has fewer tensors than the skeletons (then mapping all of them is cheaper). */
function keysOf(skeletons: readonly Skeleton[], fileTensors: number): ReadonlySet<string> | undefined {
  let keys = skeletonKeys.get(skeletons);
  if (keys) return keys;
  let total = 0;
  for (const s of skeletons) total += s.tensors.length;
  if (fileTensors <= total) return undefined;
  const k = new Set<string>();
  for (const s of skeletons) for (const t of s.tensors) if (!t.opaque) k.add(key(t.name));
  skeletonKeys.set(skeletons, (keys = k));
  return keys;
}

/**
 * Skeletons first (non-repeated tensors + the first block): models whose skeleton contradicts a
 * file tensor's shape, or shares no name with the file, are dropped before their full layout is
 * generated; with no survivor, the three least contradicted are kept (for "like X"). Models that
 * `fitAll` is sure to drop (see `pastCap`) are not generated either.
 */
function prefilter(inp: DecideInput, skeletons: readonly Skeleton[], closest = true): CatalogEntry[] {
  // The file's shapes by name; for big files only the names some skeleton holds (not a map of 100k names).
  const wanted = keysOf(skeletons, inp.names.length);
  const file = new Map<string, readonly number[]>();
  for (let i = 0; i < inp.names.length; i++) {
    const k = key(inp.names[i]!);
    if (!wanted || wanted.has(k)) file.set(k, inp.tensors[i]!.shape);
  }
  const scored = skeletons.map((s) => {
    let overlap = 0;
    let contra = 0;
    for (const t of s.tensors) {
      if (t.opaque) continue;
      const shape = file.get(key(t.name));
      if (!shape) continue;
      overlap++;
      if (!shapeOk(t.shape, shape)) contra++;
    }
    return { s, overlap, contra };
  });
  const ok = scored.filter((x) => x.overlap > 0 && x.contra === 0);
  const head = new FileHead(inp);
  const full = (picked: { s: Skeleton }[]) => picked.filter((x) => !pastCap(head, x.s)).map((x) => x.s.full());
  if (!closest) return full(ok.filter((x) => x.s.tensors.filter((t) => !t.opaque).slice(0, 2).every((t) => file.has(key(t.name)))));
  const keep = ok.length ? ok : scored.filter((x) => x.overlap > 0).sort((a, b) => a.contra - b.contra || b.overlap - a.overlap).slice(0, 3);
  // Entries the file tensors fit best are also needed for "like X" when the full check finds no subset: add the closest contradicting ones.
  const extra = ok.length ? scored.filter((x) => x.overlap > 0 && x.contra > 0).sort((a, b) => a.contra - b.contra || b.overlap - a.overlap).slice(0, 3) : [];
  return full([...keep, ...extra]);
}

/**
 * The file's non-ignorable tensors from the start, as `key` names and shapes, read as far as some
 * `pastCap` call needs (shared by the candidates; each reads a few thousand at most).
 */
class FileHead {
  readonly keys: string[] = [];
  readonly shapes: (readonly number[])[] = [];
  /** Whether two of `keys` are equal (then misfits are counted by distinct name). */
  repeated = false;
  private next = 0;
  private readonly seen = new Set<string>();
  constructor(readonly inp: DecideInput) {}

  /** True when entry `j` exists (reading on to it). */
  has(j: number): boolean {
    const { names, tensors } = this.inp;
    while (this.keys.length <= j && this.next < names.length) {
      const i = this.next++;
      if (isIgnorableName(names[i]!)) continue;
      const k = key(names[i]!);
      if (this.seen.has(k)) this.repeated = true;
      else this.seen.add(k);
      this.keys.push(k);
      this.shapes.push(tensors[i]!.shape);
    }
    return j < this.keys.length;
  }
}

/**
 * True when `fitAll` is sure to drop the model of skeleton `s` (more than MISFIT_CAP file tensors
 * it has no place for or another shape than), so its full layout need not be generated. The full
 * layout is the skeleton plus at most `s.beyond` tensors (later blocks; no opaque part among them),
 * and each of those can take the file tensors of one name: a file tensor that misfits the skeleton
 * misfits the full layout unless its name is one of those. So when the file tensors misfitting the
 * skeleton have more than MISFIT_CAP + beyond distinct names, more than MISFIT_CAP misfit the model.
 * (A 100k-tensor CLIP-looking file against a 12-block model; small files never get here.)
 */
function pastCap(head: FileHead, s: Skeleton): boolean {
  const limit = MISFIT_CAP + s.beyond;
  if (!(limit < head.inp.names.length) || !head.has(limit)) return false;
  const { byKey, opaque } = indexOf(s.tensors);
  let misfits = 0;
  let distinct: Set<string> | undefined;
  for (let j = 0; head.has(j); j++) {
    const k = head.keys[j]!;
    const e = byKey.get(k);
    if (e ? shapeOk(e.shape, head.shapes[j]!) : opaque.some((p) => k.startsWith(p))) continue;
    // Names repeat only in odd files (`x` beside `text.x`): then count each once.
    if (head.repeated) {
      distinct ??= new Set(head.keys.slice(0, j).filter((x, i) => !fits(byKey, opaque, x, head.shapes[i]!)));
      distinct.add(k);
      misfits = distinct.size;
    } else misfits++;
    if (misfits > limit) return true;
  }
  return false;
}

function fits(byKey: ReadonlyMap<string, ExpectedTensor>, opaque: readonly string[], k: string, shape: readonly number[]): boolean {
  const e = byKey.get(k);
  return e ? shapeOk(e.shape, shape) : opaque.some((p) => k.startsWith(p));
}

/**
 * transformers SigLIP without config.json: the sizes of the towers the file has, read from their
 * own tensors (widths, vocabulary, positions, the highest block index, the MLP width of any block).
 * The class follows the towers present (both → SiglipModel), so a whole missing tower cannot be
 * told from a one-tower class and is not reported; what is missing inside a present tower (a block,
 * the MAP head's parts, a projection) and `logit_bias` next to `logit_scale` are.
 */
function siglipFromShapes(names: readonly string[], tensors: readonly TensorInfo[]): { json: Record<string, unknown>; cls: string } | undefined {
  const shape = new Map<string, readonly number[]>();
  let tLayers = -1;
  let vLayers = -1;
  let tMlp: number | undefined;
  let vMlp: number | undefined;
  let vHead = false;
  for (let i = 0; i < names.length; i++) {
    const n = names[i]!;
    shape.set(n, tensors[i]!.shape);
    for (const [p, set] of [
      ['text_model.encoder.layers.', (x: number, s: readonly number[] | undefined) => ((tLayers = Math.max(tLayers, x)), s && (tMlp = s[0]))],
      ['vision_model.encoder.layers.', (x: number, s: readonly number[] | undefined) => ((vLayers = Math.max(vLayers, x)), s && (vMlp = s[0]))],
    ] as const) {
      if (!n.startsWith(p)) continue;
      const rest = n.slice(p.length);
      const dot = rest.indexOf('.');
      const idx = Number(rest.slice(0, dot));
      if (Number.isInteger(idx)) set(idx, rest.slice(dot + 1) === 'mlp.fc1.weight' ? tensors[i]!.shape : undefined);
    }
    if (n.startsWith('vision_model.head.')) vHead = true;
  }
  const tok = shape.get('text_model.embeddings.token_embedding.weight');
  const tpos = shape.get('text_model.embeddings.position_embedding.weight');
  const patch = shape.get('vision_model.embeddings.patch_embedding.weight');
  const vpos = shape.get('vision_model.embeddings.position_embedding.weight');
  const hasText = tLayers >= 0 || tok !== undefined;
  const hasVision = vLayers >= 0 || patch !== undefined;
  // Siglip2 (NaFlex): the patch embedding is a Linear over flattened 3·p·p patches.
  const v2 = patch?.length === 2;
  if ((hasText && (!tok || !tpos || tMlp === undefined)) || (hasVision && (!patch || patch.length !== (v2 ? 2 : 4) || !vpos || vMlp === undefined))) return undefined;
  const mt = v2 ? 'siglip2' : 'siglip';
  const json: Record<string, unknown> = { model_type: mt };
  if (hasText) {
    const head = shape.get('text_model.head.weight');
    json.text_config = { vocab_size: tok![0], hidden_size: tok![1], max_position_embeddings: tpos![0], num_hidden_layers: tLayers + 1, intermediate_size: tMlp, ...(head ? { projection_size: head[0] } : {}) };
  }
  if (hasVision) {
    const g = Math.round(Math.sqrt(vpos![0]!));
    const p2 = v2 ? Math.round(Math.sqrt(patch![1]! / 3)) : 0;
    json.vision_config = v2
      ? { hidden_size: patch![0], num_channels: 3, patch_size: p2, num_patches: vpos![0], num_hidden_layers: vLayers + 1, intermediate_size: vMlp, vision_use_head: vHead }
      : { hidden_size: patch![0], num_channels: patch![1], patch_size: patch![2], image_size: g * patch![2]!, num_hidden_layers: vLayers + 1, intermediate_size: vMlp, vision_use_head: vHead };
  }
  if (!hasText && !hasVision) return undefined;
  // A text-only file cannot tell Siglip from Siglip2 (same text tower): it is checked as SiglipTextModel (same layout).
  const base = v2 ? 'Siglip2' : 'Siglip';
  const cls = hasText && hasVision ? `${base}Model` : hasText ? `${base}TextModel` : `${base}VisionModel`;
  if (cls !== `${base}Model`) json.model_type = hasText ? `${mt}_text_model` : `${mt}_vision_model`;
  if (cls !== `${base}Model`) Object.assign(json, (hasText ? json.text_config : json.vision_config) as object);
  return { json, cls };
}

function headRowsFrom(side: DecideInput['side']): number {
  const n = side?.kind === 'timm' ? side.json?.num_classes : undefined;
  return typeof n === 'number' ? n : -1;
}

function hfExpected(json: Record<string, unknown>, cls?: string): { expected: ExpectedTensor[]; cls: string; variant: string } | { error: string } {
  const mt = json.model_type;
  if (typeof mt !== 'string' || !(HF_CLIP_MODEL_TYPES as readonly string[]).includes(mt)) return { error: `config.json model_type ${JSON.stringify(mt)} is not a CLIP / SigLIP configuration` };
  const c = hfSpecConfig(json, cls);
  if ('error' in c) return c;
  const r = expandSpec(HF_CLIP_SPEC, c.config);
  if (!r.ok) return { error: r.error.message };
  return { expected: r.value, cls: c.cls, variant: `config.json (${mt})` };
}

function modelOf(name: string, coca = false): string {
  return coca || name.startsWith('coca') ? 'open_clip CoCa' : 'open_clip model';
}

function familyOfEntry(e: CatalogEntry): FamilyId {
  // NaFlexGenLip / NaFlexGenLap: none of the CLIP layouts (the family the detector saw stays)
  if (e.expected.some((x) => x.part === 'fused.blocks')) return 'unknown';
  if (e.expected.some((x) => x.part.startsWith('decoder.'))) return 'openclip-coca';
  if (e.expected.some((x) => x.name.startsWith('visual.trunk.'))) return 'openclip-timm';
  if (e.expected.some((x) => x.name.startsWith('text.'))) return 'openclip-custom-text';
  return 'openai-clip';
}

function byShapes(inp: DecideInput, entries: CatalogEntry[], source: 'open_clip' | 'timm'): Decision {
  const fits = fitAll(inp.names, inp.tensors, entries);
  // 1. Every file tensor is the model's (a subset: what is left is missing); fewest missing first.
  // 2. Else every model tensor is in the file (a superset: the rest is unexpected); fewest extra first.
  const subset = fits.filter((f) => f.extra === 0 && f.mismatchCount === 0).sort((a, b) => a.missing - b.missing);
  const superset = fits.filter((f) => f.missing === 0 && f.mismatchCount === 0).sort((a, b) => a.extra - b.extra);
  const pool = subset.length ? subset : superset;
  const groups = new Map<string, CatalogEntry[]>();
  for (const f of pool) {
    const g = groups.get(f.entry.signature);
    if (g) g.push(f.entry);
    else groups.set(f.entry.signature, [f.entry]);
  }
  // Within a layout group, the plain name first (`ViT-B-16` before `ViT-B-16-quickgelu`: the activation is not in the weights).
  for (const g of groups.values()) g.sort((a, b) => Number(/quickgelu/i.test(a.name)) - Number(/quickgelu/i.test(b.name)));
  const groupNames = [...groups.values()].map((g) => g.map((e) => e.name));
  const isOld = (n: string) => (source === 'open_clip' ? Boolean(clipConfig(n)) : Boolean(configForTimmName(n)));
  const best = pool[0];
  const bestScore = (f: Fit) => (subset.length ? f.missing : f.extra);
  const tied = best ? new Set(pool.filter((f) => bestScore(f) === bestScore(best)).map((f) => f.entry.signature)) : new Set<string>();
  // Named when one layout explains the file best: exactly (0 missing, 0 extra) or as the only subset / superset.
  if (best && tied.size === 1 && (groups.size === 1 || bestScore(best) === 0)) {
    const g = groups.get(best.entry.signature)!;
    const names = g.map((e) => e.name);
    const old = names.find(isOld);
    if (old) {
      const v = source === 'open_clip' ? old : configForTimmName(old)!.name;
      return { kind: 'old', variant: v, candidates: [v, ...names.filter((x) => x !== v)] };
    }
    const e = source === 'open_clip' ? openclipEntry(g[0]!.name, undefined, filePrefix(inp.names)) : g[0]!;
    const id = source === 'open_clip' ? `openclip:${e.name}` : `timm:${e.name}`;
    const t = newTarget(id, source === 'open_clip' ? modelOf(e.name) : `timm ${e.name}`, e.name, source === 'open_clip' ? familyOfEntry(e) : 'timm-vit', e.expected);
    return { kind: 'new', target: t, expected: e.expected, variant: e.name, variantSource: 'shapes', candidates: names, findings: [], defaulted: true };
  }
  if (subset.length) {
    // Several models contain every tensor of the file: name none, but say what they all agree is missing.
    const all = groupNames.flat();
    const findings = agreedMissing(inp, [...groups.values()].map((g) => g[0]!), all);
    findings.push({
      code: 'variant-unknown',
      severity: 'info',
      message: `The tensors fit ${groups.size} different models (${listNames(groupNames)}); the full completeness check needs --target to pick one${findings.length ? ', but what they all agree on is reported' : ''}.`,
    });
    return { kind: 'none', variant: null, variantSource: null, candidates: all, findings };
  }
  if (superset.length) {
    const all = groupNames.flat();
    return {
      kind: 'none',
      variant: null,
      variantSource: null,
      candidates: all,
      findings: [{ code: 'variant-unknown', severity: 'info', message: `The file holds every tensor of ${groups.size} different models (${listNames(groupNames)}) and more; the completeness check needs --target to pick one.` }],
    };
  }
  // 3. No model explains the file: the closest (fewest misfits), preferring a name the user knows.
  const score = (f: Fit) => f.extra + f.mismatchCount;
  const closest = [...fits].sort((a, b) => score(a) - score(b) || Number(isOld(b.entry.name)) - Number(isOld(a.entry.name)) || a.missing - b.missing)[0];
  if (!closest) return { kind: 'old' };
  const evidence = [...closest.mismatched];
  if (closest.extra) evidence.push(`${plural(closest.extra, 'tensor')} of the file ${closest.extra === 1 ? 'has' : 'have'} no place in ${closest.entry.name}`);
  if (closest.missing) evidence.push(`${plural(closest.missing, 'tensor')} of ${closest.entry.name} ${closest.missing === 1 ? 'is' : 'are'} not in the file`);
  return {
    kind: 'none',
    variant: closest.entry.name,
    variantSource: 'shapes-approximate',
    candidates: [closest.entry.name],
    findings: [
      {
        code: 'variant-like',
        severity: 'info',
        message: `Like ${closest.entry.name}, not checked: no known ${source === 'open_clip' ? 'open_clip config' : 'timm model'} has exactly these tensors, so nothing is reported as missing or wrong against it. Use --target (or put its config file beside the checkpoint) to check it against one.`,
        evidence,
      },
    ],
  };
}

function listNames(groups: string[][]): string {
  const s = groups.slice(0, 6).map((g) => (g.length > 1 ? `${g[0]} (= ${g.slice(1, 3).join(', ')}${g.length > 3 ? ', …' : ''})` : g[0]));
  return s.join(', ') + (groups.length > 6 ? `, … ${groups.length - 6} more` : '');
}

/** Findings every candidate agrees on: a whole tower, a projection, logit_scale / logit_bias missing. */
function agreedMissing(inp: DecideInput, reps: CatalogEntry[], all: string[]): Finding[] {
  const per = reps.map((e) => {
    const cmp = compareExpected(inp.names, inp.tensors, e.expected, inp.reasons);
    const missingNames = new Set(cmp.missing.map((m) => m.name.replace(/\*$/, '')));
    const keyed = new Set(cmp.missing.map((m) => key(m.name)));
    const towers = new Set<string>();
    for (const t of ['vision', 'text', 'decoder', 'audio'] as const) {
      const exp = e.expected.filter((x) => x.tower === t && isRequired(x));
      if (exp.length && exp.every((x) => missingNames.has(x.name))) towers.add(t);
    }
    const parts = new Set<string>();
    for (const p of ['vision.proj', 'text.proj', 'audio.proj', 'logit_scale', 'logit_bias']) {
      const exp = e.expected.filter((x) => x.part === p && isRequired(x));
      if (exp.length && exp.every((x) => missingNames.has(x.name))) parts.add(p);
    }
    return { towers, parts, keyed, missing: cmp.missing };
  });
  const agree = <T>(sets: Set<T>[]) => [...(sets[0] ?? new Set<T>())].filter((x) => sets.every((s) => s.has(x)));
  const towers = agree(per.map((p) => p.towers));
  const parts = agree(per.map((p) => p.parts));
  const who = `every model these tensors fit (${all.slice(0, 4).join(', ')}${all.length > 4 ? ', …' : ''})`;
  const out: Finding[] = [];
  if (towers.includes('vision'))
    out.push({ code: 'vision-tower-missing', severity: 'error', tower: 'vision', message: `Image features would be noise: ${who} has an image encoder${parts.includes('vision.proj') ? ' and an image projection' : ''}, and the file has none of it; loading it would leave them randomly initialised, so zero-shot and retrieval would be at chance.` });
  if (towers.includes('text')) out.push({ code: 'text-tower-missing', severity: 'error', tower: 'text', message: `Zero-shot will be at chance: ${who} has a text encoder${parts.includes('text.proj') ? ' and a text projection' : ''}, and the file has none of it.` });
  // Candidates that differ in their input modality (NaFlexGenLip vs GenLap share trunk and text side): each lacks its whole image or audio input.
  const inputGone = per.map((p) => p.towers.has('vision') || p.towers.has('audio'));
  if (!towers.includes('vision') && !towers.includes('audio') && per.length > 1 && inputGone.every(Boolean))
    out.push({ code: 'input-tower-missing', severity: 'error', message: `Inputs would be noise: ${who} takes images or sound through an encoder or patch embedding the file does not have (the candidates differ in which); loading it would leave that part randomly initialised.` });
  if (towers.includes('audio')) out.push({ code: 'audio-tower-missing', severity: 'error', tower: 'audio', message: `Audio embeddings would be noise: ${who} has an audio encoder${parts.includes('audio.proj') ? ' and an audio projection' : ''}, and the file has none of it; loading it would leave them randomly initialised, so zero-shot audio classification and retrieval would be at chance.` });
  if (towers.includes('decoder')) out.push({ code: 'decoder-missing', severity: 'error', tower: 'decoder', message: `Captioning would produce noise: ${who} has a multimodal text decoder, and the file has none of it.` });
  if (parts.includes('vision.proj') && !towers.includes('vision')) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The image projection is missing in ${who}: image embeddings would go through a randomly initialised matrix.` });
  if (parts.includes('text.proj') && !towers.includes('text')) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The text projection is missing in ${who}: text embeddings would go through a randomly initialised matrix.` });
  if (parts.includes('audio.proj') && !towers.includes('audio')) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The audio projection is missing in ${who}: audio embeddings would go through a randomly initialised MLP.` });
  if (parts.includes('logit_scale')) out.push({ code: 'logit-scale-missing', severity: 'warning', tower: 'projection', message: `logit_scale is missing (${who} has one): the loader would start it at its initial value, so probabilities come out far too flat.` });
  // Single tensors every candidate needs and the file lacks (a dropped block, a projection some candidates keep elsewhere).
  const covered = (m: MissingTensor, e: ExpectedTensor | undefined) => (e && (towers.includes(e.tower) || parts.includes(e.part))) || false;
  const first = per[0];
  if (first) {
    const byName = new Map(reps[0]!.expected.map((x) => [x.name, x]));
    const common = first.missing.filter((m) => per.every((p) => p.keyed.has(key(m.name))) && !covered(m, byName.get(m.name.replace(/\*$/, ''))));
    const of = (part: string) => common.filter((m) => byName.get(m.name)?.part === part);
    const img = of('vision.proj');
    const txt = of('text.proj');
    const aud = of('audio.proj');
    const rest = common.filter((m) => !img.includes(m) && !txt.includes(m) && !aud.includes(m) && !['logit_scale', 'logit_bias'].includes(byName.get(m.name)?.part ?? ''));
    const list = (l: MissingTensor[]) => ({ tensors: l.slice(0, 100).map((m) => m.name), tensorCount: l.length });
    if (img.length) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The image projection is missing (${who} needs it): image embeddings would go through a randomly initialised matrix.`, ...list(img) });
    if (txt.length) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The text projection is missing (${who} needs it): text embeddings would go through a randomly initialised matrix.`, ...list(txt) });
    if (aud.length) out.push({ code: 'projection-missing', severity: 'error', tower: 'projection', message: `The audio projection is missing (${who} needs it): audio embeddings would go through a randomly initialised MLP.`, ...list(aud) });
    if (rest.length) out.push({ code: 'tensors-missing', severity: 'error', message: `${plural(rest.length, 'tensor')} that ${who} needs ${rest.length === 1 ? 'is' : 'are'} not in the file: they would be randomly initialised, and the layers using them output noise.`, ...list(rest) });
  }
  if (parts.includes('logit_bias')) out.push({ code: 'logit-bias-missing', severity: 'error', tower: 'projection', message: `logit_bias is missing (${who} has one): SigLIP's sigmoid scores would start from the initial bias (-10), so every image–text probability would be near 0 until it is trained again.` });
  return out;
}
