import type { TensorInfo } from '../core/checkpoint.js';
import type { TensorSpec } from './canonicalLayout.js';
import { blockTemplate, CLIP_SCHEMES, compiledTable, isNativeFamily, usesTextPrefix, type FamilyId, type Transform } from './families.js';
import { applyNaming } from './spec/naming.js';

export type { FamilyId, Transform } from './families.js';

/**
 * The bridge between a file's names and canonical (OpenAI / open_clip native) names.
 * See src/layouts/README.md for how the probe and the comparison use it.
 */

// ---------------------------------------------------------------------------------------------
// Name normalisation

/** Prefixes added by DDP / torch.compile wrappers; stripped from every name, repeatedly. */
const WRAPPER_PREFIXES = ['module.', '_orig_mod.'];
/** Container keys a whole state dict may be nested under (stripped only when every name has it). */
const CONTAINER_PREFIXES = ['state_dict.', 'model.', 'state_dict_ema.', 'model_ema.'];

export function stripWrapperPrefixes(name: string): string {
  const i = wrapperEnd(name, 0);
  return i === 0 ? name : name.slice(i);
}

/** Index just past the wrapper prefixes that start at `start` (the same stripping as `stripWrapperPrefixes`, without slicing). */
function wrapperEnd(name: string, start: number): number {
  let i = start;
  // Both prefixes start with `m` or `_`; anything else (most names) has none.
  for (let changed = true; changed && (name.charCodeAt(i) === 109 || name.charCodeAt(i) === 95); ) {
    changed = false;
    for (let k = 0; k < WRAPPER_PREFIXES.length; k++) {
      const p = WRAPPER_PREFIXES[k]!;
      if (name.startsWith(p, i) && name.length - i > p.length) {
        i += p.length;
        changed = true;
      }
    }
  }
  return i;
}

export interface NormalizedTensor {
  /** The name analysis uses (wrapper / container prefixes removed). */
  readonly name: string;
  readonly tensor: TensorInfo;
}

/** Normalised names aligned with the tensors they came from, and the container prefix that was removed (if any). */
export interface NormalizedNameList {
  /** `names[i]` is the name of `tensors[i]` as analysis uses it. */
  readonly names: readonly string[];
  /** The container prefix (`state_dict.`, `model.`, …) stripped from every name, or null. */
  readonly container: string | null;
}

/**
 * Names as loaders see them: `module.` / `_orig_mod.` stripped (as open_clip and timm do), and a
 * container prefix (`state_dict.`, `model.`, …) stripped when every name has it and the result is
 * a known CLIP family. Returns the tensors in file order.
 */
export function normalizeNames(tensors: readonly TensorInfo[]): NormalizedTensor[] {
  const { names } = normalizeNameList(tensors);
  return names.map((name, i) => ({ name, tensor: tensors[i]! }));
}

/**
 * `normalizeNames` as a plain name array (no per-tensor objects: 100k-tensor files), plus the
 * container prefix so `normalizeName` can redo one name without a lookup table.
 */
export function normalizeNameList(tensors: readonly TensorInfo[]): NormalizedNameList {
  if (!tensors.length) return { names: [], container: null };
  // A name starts with at most one container prefix, so only the first name's can be shared by
  // all; whether it is, is checked in the same pass that strips the wrappers.
  const first = stripWrapperPrefixes(tensors[0]!.name);
  const p = CONTAINER_PREFIXES.find((c) => first.startsWith(c) && first.length > c.length);
  let shared = p !== undefined;
  const names: string[] = [];
  for (let i = 0; i < tensors.length; i++) {
    const n = stripWrapperPrefixes(tensors[i]!.name);
    names.push(n);
    if (shared && !(n.startsWith(p!) && n.length > p!.length)) shared = false;
  }
  if (shared) {
    // Detect on offsets first: the common case (a generic `model.*` file) then allocates nothing.
    const det = new FamilyDetector();
    for (let i = 0; i < names.length; i++) det.add(names[i]!, wrapperEnd(names[i]!, p!.length));
    if (det.family() !== 'unknown') return { names: names.map((n) => stripWrapperPrefixes(n.slice(p!.length))), container: p! };
  }
  return { names, container: null };
}

/** The normalised form of one file tensor name, given the `container` that `normalizeNameList` reported for its checkpoint. */
export function normalizeName(fileName: string, container: string | null): string {
  const n = stripWrapperPrefixes(fileName);
  return container === null ? n : stripWrapperPrefixes(n.slice(container.length));
}

/** Buffers and metadata that are never weights and never "missing" (§10.2). */
export function isIgnorableName(name: string): boolean {
  return (
    name.endsWith('.position_ids') ||
    name === 'position_ids' ||
    name === 'attn_mask' ||
    name.endsWith('.attn_mask') ||
    name.endsWith('.rope.pos_embed') ||
    name === 'input_resolution' ||
    name === 'context_length' ||
    name === 'vocab_size'
  );
}

// ---------------------------------------------------------------------------------------------
// Family detection (signature keys, §10.1)

export function detectFamily(tensors: readonly TensorInfo[]): FamilyId {
  return detectFamilyFromNames(normalizeNameList(tensors).names);
}

export function detectFamilyFromNames(names: readonly string[]): FamilyId {
  const det = new FamilyDetector();
  for (let i = 0; i < names.length; i++) det.add(names[i]!, 0);
  return det.family();
}

/**
 * Signature-key detection (§10.1) as one streaming pass: prefix flags and the handful of exact
 * names it looks for, with no set of all names (100k-tensor files). `add(name, start)` looks at
 * `name` from `start` on, so a prefix can be skipped without slicing.
 */
export class FamilyDetector {
  private visualTrunk = false;
  private textDecoder = false;
  private textDot = false;
  private hfVision = false;
  private hfText = false;
  private openaiText = false;
  private openaiVisual = false;
  private timmBlocks = false;
  /** Exact signature names seen (bit per entry of SIGNATURE_NAMES). */
  private seen = 0;

  /** `add(name, 0)` for each name (a loop of its own: it runs over every tensor of a file). */
  addAll(names: readonly string[]): void {
    for (let i = 0; i < names.length; i++) this.add(names[i]!, 0);
  }

  add(n: string, start: number): void {
    this.addPrefix(n, start);
    const len = n.length - start;
    if (len > MAX_SIGNATURE_LENGTH) return;
    for (let i = 0; i < SIGNATURE_NAMES.length; i++) {
      const s = SIGNATURE_NAMES[i]!;
      if (s.length === len && n.startsWith(s, start)) {
        this.seen |= 1 << i;
        break;
      }
    }
  }

  /** Which family prefix (if any) `n` has from `start`. */
  private addPrefix(n: string, start: number): void {
    // Dispatch on the first letter (the prefixes are mutually exclusive apart from `visual.trunk.`
    // inside `visual.`, tested first): one or two tests per name instead of eight, and most generic
    // names (`model.…`, `layers.…`) none.
    switch (n.charCodeAt(start)) {
      case 118 /* v */:
        if (n.startsWith('visual.', start)) {
          if (n.startsWith('trunk.', start + 7)) this.visualTrunk = true;
          else this.openaiVisual = true;
        } else if (n.startsWith('vision_model.', start)) this.hfVision = true;
        return;
      case 116 /* t */:
        if (n.startsWith('text', start)) {
          if (n.startsWith('_decoder.', start + 4)) this.textDecoder = true;
          else if (n.startsWith('.', start + 4)) this.textDot = true;
          else if (n.startsWith('_model.', start + 4)) this.hfText = true;
        } else if (n.startsWith('transformer.resblocks.', start)) this.openaiText = true;
        return;
      case 98 /* b */:
        if (n.startsWith('blocks.', start)) this.timmBlocks = true;
        return;
    }
  }

  private has(name: SignatureName): boolean {
    return (this.seen & (1 << SIGNATURE_NAMES.indexOf(name))) !== 0;
  }

  family(): FamilyId {
    if (this.textDecoder || this.has('text.cls_emb') || this.has('visual.attn_pool.query')) return 'openclip-coca';
    if (this.visualTrunk) return 'openclip-timm';
    if (this.hfVision || this.hfText || this.has('visual_projection.weight')) {
      const siglip =
        this.has('vision_model.head.probe') || this.has('text_model.head.weight') || (this.has('logit_bias') && !this.has('visual_projection.weight') && !this.has('text_projection.weight'));
      return siglip ? 'hf-siglip' : 'hf-clip';
    }
    if (this.textDot) return 'openclip-custom-text';
    if (this.openaiVisual || this.openaiText || this.has('token_embedding.weight') || this.has('ln_final.weight')) return 'openai-clip';
    if (this.timmBlocks || this.has('patch_embed.proj.weight') || this.has('cls_token') || this.has('pos_embed')) return 'timm-vit';
    return 'unknown';
  }
}

const SIGNATURE_NAMES = [
  'text.cls_emb',
  'visual.attn_pool.query',
  'visual_projection.weight',
  'vision_model.head.probe',
  'text_model.head.weight',
  'logit_bias',
  'text_projection.weight',
  'token_embedding.weight',
  'ln_final.weight',
  'patch_embed.proj.weight',
  'cls_token',
  'pos_embed',
] as const;
type SignatureName = (typeof SIGNATURE_NAMES)[number];
const MAX_SIGNATURE_LENGTH = Math.max(...SIGNATURE_NAMES.map((s) => s.length));

// ---------------------------------------------------------------------------------------------
// Local name → canonical key

/** Where one file tensor goes in canonical naming. */
export interface CanonicalKey {
  readonly canonical: string;
  readonly transform: Transform;
  readonly part?: number;
  readonly parts?: number;
  readonly lead?: number;
}

/**
 * The canonical counterpart of one (normalised) local name in a family, or undefined when the
 * family renames and this name has none (e.g. timm `head.bias`, HF `classifier.weight`).
 * Native families map unknown names to themselves.
 */
export function canonicalKeyOf(family: FamilyId, localName: string): CanonicalKey | undefined {
  const table = compiledTable(family);
  if (table) {
    const { template, n } = blockTemplate(localName);
    const blockRow = n !== undefined ? table.byLocal.get(template) : undefined;
    const row = blockRow ?? table.byLocal.get(localName);
    if (!row) return undefined;
    const canonical = blockRow && n !== undefined ? row.canonicalT.replace('{N}', String(n)) : row.canonicalT;
    // Same fields, same order as before; no spread temporaries (called once per tensor).
    if (row.part !== undefined) return row.lead !== undefined ? { canonical, transform: row.transform, part: row.part, parts: row.parts!, lead: row.lead } : { canonical, transform: row.transform, part: row.part, parts: row.parts! };
    return row.lead !== undefined ? { canonical, transform: row.transform, lead: row.lead } : { canonical, transform: row.transform };
  }
  return { canonical: nativeCanonicalName(family, localName), transform: nativeTransform(family, localName) };
}

/** `canonicalKeyOf(family, localName)?.canonical` without building the key for families whose names are canonical. */
export function canonicalNameOf(family: FamilyId, localName: string): string | undefined {
  return compiledTable(family) ? canonicalKeyOf(family, localName)?.canonical : nativeCanonicalName(family, localName);
}

/** Native families: the name itself, minus open_clip's custom-text `text.` prefix. */
function nativeCanonicalName(family: FamilyId, localName: string): string {
  if (usesTextPrefix(family) && localName.startsWith('text.')) {
    const rest = localName.slice(5);
    // open_clip's Linear text projection (proj_bias configs) is stored [E, width], the Parameter form [width, E] (§1.8).
    return rest === 'text_projection.weight' ? 'text_projection' : rest;
  }
  return localName;
}

function nativeTransform(family: FamilyId, localName: string): Transform {
  return localName === 'text.text_projection.weight' && usesTextPrefix(family) ? 'transpose' : 'identity';
}

/** Canonical shape of one source given its key (before concatenation). Identity shares the file's (read-only) shape array. */
function canonicalShapeOf(shape: readonly number[], transform: Transform, lead: number | undefined): readonly number[] {
  switch (transform) {
    case 'transpose':
      return [...shape].reverse();
    case 'reshape': {
      const l = lead ?? 0;
      // Only drop dims that really are 1; otherwise keep the shape so the mismatch stays visible.
      for (let i = 0; i < l && i < shape.length; i++) if (shape[i] !== 1) return shape;
      return shape.slice(l);
    }
    default:
      return shape;
  }
}

// ---------------------------------------------------------------------------------------------
// toCanonical

/** A tensor in canonical (OpenAI / open_clip native) naming, assembled from file tensors. */
export interface CanonicalTensor {
  /** OpenAI-layout name, e.g. 'visual.transformer.resblocks.3.attn.in_proj_weight'. */
  readonly name: string;
  /** Shape in the canonical layout. */
  readonly shape: readonly number[];
  /** File tensors, in the order the transform consumes them. */
  readonly sources: readonly TensorInfo[];
  /** concat0 = concatenate sources along dim 0 (q, k, v → in_proj). */
  readonly transform: Transform;
  /** Human text, e.g. "concat(q_proj, k_proj, v_proj) on dim 0". */
  readonly description: string;
}

/** A concat0 target with some parts absent (e.g. HF k_proj missing in one block). */
export interface PartialCanonical {
  readonly name: string;
  readonly present: readonly TensorInfo[];
  /** Indexes (0 = q, 1 = k, 2 = v) of the parts the file lacks. */
  readonly missingParts: readonly number[];
}

export interface CanonicalView {
  readonly family: FamilyId;
  readonly tensors: Map<string, CanonicalTensor>;
  /** File tensors with no canonical counterpart, or a second tensor for an already-filled name. */
  readonly unmapped: TensorInfo[];
  /** Buffers / metadata that are never weights (`*.position_ids`, JIT scalars, `attn_mask`). */
  readonly ignored: TensorInfo[];
  /** Concatenations that could not be assembled; their sources are in neither list above. */
  readonly partial: PartialCanonical[];
}

const QKV = ['q', 'k', 'v'];

function lastSegments(name: string, n: number): string {
  return name.split('.').slice(-n).join('.');
}

export function toCanonical(tensors: readonly TensorInfo[], family?: FamilyId): CanonicalView {
  return canonicalViewOf(normalizeNameList(tensors).names, tensors, family);
}

/** `toCanonical` for callers that already ran `normalizeNames` (saves a pass on 100k-tensor files). */
export function toCanonicalNormalized(norm: readonly NormalizedTensor[], family?: FamilyId): CanonicalView {
  return canonicalViewOf(
    norm.map((x) => x.name),
    norm.map((x) => x.tensor),
    family,
  );
}

/**
 * `toCanonical` on parallel arrays (`names[i]` = normalised name of `tensors[i]`, e.g. from
 * `normalizeNameList`): one pass, and for families whose names are canonical no per-tensor key
 * objects or shape copies, since 100k-tensor files go through here. With `include`, a partial
 * view: tensors it rejects are in none of the lists (for callers that only look up some towers).
 */
export function canonicalViewOf(names: readonly string[], tensors: readonly TensorInfo[], family?: FamilyId, include?: (index: number) => boolean): CanonicalView {
  const fam = family ?? detectFamilyFromNames(names);
  const table = compiledTable(fam);
  const out = new Map<string, CanonicalTensor>();
  const unmapped: TensorInfo[] = [];
  const ignored: TensorInfo[] = [];
  const parts = new Map<string, { key: CanonicalKey; t: TensorInfo }[]>();
  for (let i = 0; i < tensors.length; i++) {
    if (include && !include(i)) continue;
    const name = names[i]!;
    const tensor = tensors[i]!;
    if (isIgnorableName(name)) {
      ignored.push(tensor);
      continue;
    }
    let canonical: string;
    let transform: Transform;
    let lead: number | undefined;
    if (table) {
      const key = canonicalKeyOf(fam, name);
      if (!key) {
        unmapped.push(tensor);
        continue;
      }
      if (key.transform === 'concat0') {
        const list = parts.get(key.canonical);
        if (list) list.push({ key, t: tensor });
        else parts.set(key.canonical, [{ key, t: tensor }]);
        continue;
      }
      canonical = key.canonical;
      transform = key.transform;
      lead = key.lead;
    } else {
      canonical = nativeCanonicalName(fam, name);
      transform = nativeTransform(fam, name);
    }
    if (out.has(canonical)) {
      unmapped.push(tensor);
      continue;
    }
    const shape = canonicalShapeOf(tensor.shape, transform, lead);
    const description =
      transform === 'identity'
        ? name === canonical
          ? 'same tensor'
          : `renamed from ${name}`
        : transform === 'transpose'
          ? `transpose of ${name} [${tensor.shape.join(', ')}]`
          : `reshape of ${name} [${tensor.shape.join(', ')}] → [${shape.join(', ')}]`;
    out.set(canonical, { name: canonical, shape, sources: [tensor], transform, description });
  }
  const partial: PartialCanonical[] = [];
  for (const [canonical, list] of parts) {
    const n = list[0]!.key.parts ?? 3;
    const byPart: (TensorInfo | undefined)[] = new Array(n).fill(undefined);
    const extra: TensorInfo[] = [];
    for (const { key, t } of list) {
      if (byPart[key.part!] === undefined) byPart[key.part!] = t;
      else extra.push(t);
    }
    unmapped.push(...extra);
    const missing = byPart.flatMap((t, i) => (t ? [] : [i]));
    const present = byPart.filter((t): t is TensorInfo => t !== undefined);
    const rest = present[0]!.shape.slice(1);
    const compatible = present.every((t) => t.shape.length === rest.length + 1 && t.shape.slice(1).every((d, i) => d === rest[i]));
    if (missing.length || !compatible) {
      partial.push({ name: canonical, present, missingParts: missing });
      continue;
    }
    const rows = present.reduce((a, t) => a + (t.shape[0] ?? 0), 0);
    const names = present.map((t, i) => lastSegments(stripWrapperPrefixes(t.name), 2).replace(/^self_attn\./, '') || QKV[i]!);
    out.set(canonical, { name: canonical, shape: [rows, ...rest], sources: present, transform: 'concat0', description: `concat(${names.join(', ')}) on dim 0` });
  }
  return { family: fam, tensors: out, unmapped, ignored, partial };
}

// ---------------------------------------------------------------------------------------------
// Canonical specs → a family's own layout (expected key sets for targets)

export interface LocalSpec extends TensorSpec {
  /** The canonical tensor this local tensor is (part of); null for local-only extras. */
  readonly canonical: string | null;
  readonly transform: Transform;
  readonly part?: number;
}

/**
 * The expected on-disk tensors of `family` for a model whose canonical tensors are `specs`,
 * in that family's natural order. Canonical tensors the family cannot hold (e.g. the text tower
 * for timm) are left out. `embedDim` sizes local-only extras (timm `head.bias`).
 */
export function familyLayout(family: FamilyId, specs: readonly TensorSpec[], embedDim: number): LocalSpec[] {
  return applyNaming(specs, CLIP_SCHEMES[family], { embed: embedDim });
}

export { isNativeFamily };
