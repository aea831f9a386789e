import type { TensorInfo } from '../core/checkpoint.js';
import type { TensorSpec } from './canonicalLayout.js';
import { blockTemplate, compiledTable, isNativeFamily, TIMM_VIT_EXTRAS, usesTextPrefix, type FamilyId, type Transform } from './families.js';

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
  let n = name;
  for (let changed = true; changed; ) {
    changed = false;
    for (const p of WRAPPER_PREFIXES) {
      if (n.startsWith(p) && n.length > p.length) {
        n = n.slice(p.length);
        changed = true;
      }
    }
  }
  return n;
}

export interface NormalizedTensor {
  /** The name analysis uses (wrapper / container prefixes removed). */
  readonly name: string;
  readonly tensor: TensorInfo;
}

/**
 * Names as loaders see them: `module.` / `_orig_mod.` stripped (as open_clip and timm do), and a
 * container prefix (`state_dict.`, `model.`, …) stripped when every name has it and the result is
 * a known CLIP family. Returns the tensors in file order.
 */
export function normalizeNames(tensors: readonly TensorInfo[]): NormalizedTensor[] {
  const out = tensors.map((t) => ({ name: stripWrapperPrefixes(t.name), tensor: t }));
  for (const p of CONTAINER_PREFIXES) {
    if (out.length && out.every((x) => x.name.startsWith(p) && x.name.length > p.length)) {
      const stripped = out.map((x) => ({ name: stripWrapperPrefixes(x.name.slice(p.length)), tensor: x.tensor }));
      if (detectFamilyFromNames(stripped.map((x) => x.name)) !== 'unknown') return stripped;
    }
  }
  return out;
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
  return detectFamilyFromNames(normalizeNames(tensors).map((x) => x.name));
}

export function detectFamilyFromNames(names: readonly string[]): FamilyId {
  const set = new Set(names);
  let visualTrunk = false;
  let textDecoder = false;
  let textDot = false;
  let hfVision = false;
  let hfText = false;
  let openaiText = false;
  let openaiVisual = false;
  let timmBlocks = false;
  for (const n of names) {
    if (n.startsWith('visual.trunk.')) visualTrunk = true;
    else if (n.startsWith('text_decoder.')) textDecoder = true;
    else if (n.startsWith('text.')) textDot = true;
    else if (n.startsWith('vision_model.')) hfVision = true;
    else if (n.startsWith('text_model.')) hfText = true;
    else if (n.startsWith('transformer.resblocks.')) openaiText = true;
    else if (n.startsWith('visual.')) openaiVisual = true;
    else if (n.startsWith('blocks.')) timmBlocks = true;
  }
  if (textDecoder || set.has('text.cls_emb') || set.has('visual.attn_pool.query')) return 'openclip-coca';
  if (visualTrunk) return 'openclip-timm';
  if (hfVision || hfText || set.has('visual_projection.weight')) {
    const siglip = set.has('vision_model.head.probe') || set.has('text_model.head.weight') || (set.has('logit_bias') && !set.has('visual_projection.weight') && !set.has('text_projection.weight'));
    return siglip ? 'hf-siglip' : 'hf-clip';
  }
  if (textDot) return 'openclip-custom-text';
  if (openaiVisual || openaiText || set.has('token_embedding.weight') || set.has('ln_final.weight')) return 'openai-clip';
  if (timmBlocks || set.has('patch_embed.proj.weight') || set.has('cls_token') || set.has('pos_embed')) return 'timm-vit';
  return 'unknown';
}

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
    return { canonical, transform: row.transform, ...(row.part !== undefined ? { part: row.part, parts: row.parts! } : {}), ...(row.lead !== undefined ? { lead: row.lead } : {}) };
  }
  if (usesTextPrefix(family) && localName.startsWith('text.')) {
    const rest = localName.slice(5);
    // open_clip's Linear text projection (proj_bias configs) is stored [E, width], the Parameter form [width, E] (§1.8).
    if (rest === 'text_projection.weight') return { canonical: 'text_projection', transform: 'transpose' };
    return { canonical: rest, transform: 'identity' };
  }
  return { canonical: localName, transform: 'identity' };
}

/** Canonical shape of one source given its key (before concatenation). */
function canonicalShapeOf(shape: readonly number[], key: CanonicalKey): number[] {
  switch (key.transform) {
    case 'transpose':
      return [...shape].reverse();
    case 'reshape': {
      const lead = key.lead ?? 0;
      // Only drop dims that really are 1; otherwise keep the shape so the mismatch stays visible.
      return shape.slice(0, lead).every((d) => d === 1) ? shape.slice(lead) : [...shape];
    }
    default:
      return [...shape];
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
  return toCanonicalNormalized(normalizeNames(tensors), family);
}

/** `toCanonical` for callers that already ran `normalizeNames` (saves a pass on 100k-tensor files). */
export function toCanonicalNormalized(norm: readonly NormalizedTensor[], family?: FamilyId): CanonicalView {
  const fam = family ?? detectFamilyFromNames(norm.map((x) => x.name));
  const out = new Map<string, CanonicalTensor>();
  const unmapped: TensorInfo[] = [];
  const ignored: TensorInfo[] = [];
  const parts = new Map<string, { key: CanonicalKey; t: TensorInfo }[]>();
  for (const { name, tensor } of norm) {
    if (isIgnorableName(name)) {
      ignored.push(tensor);
      continue;
    }
    const key = canonicalKeyOf(fam, name);
    if (!key) {
      unmapped.push(tensor);
      continue;
    }
    if (key.transform === 'concat0') {
      const list = parts.get(key.canonical) ?? [];
      list.push({ key, t: tensor });
      parts.set(key.canonical, list);
      continue;
    }
    if (out.has(key.canonical)) {
      unmapped.push(tensor);
      continue;
    }
    const shape = canonicalShapeOf(tensor.shape, key);
    const description =
      key.transform === 'identity'
        ? name === key.canonical
          ? 'same tensor'
          : `renamed from ${name}`
        : key.transform === 'transpose'
          ? `transpose of ${name} [${tensor.shape.join(', ')}]`
          : `reshape of ${name} [${tensor.shape.join(', ')}] → [${shape.join(', ')}]`;
    out.set(key.canonical, { name: key.canonical, shape, sources: [tensor], transform: key.transform, description });
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
  const table = compiledTable(family);
  if (!table) {
    return specs.map((s) => {
      const prefixed = usesTextPrefix(family) && (s.tower === 'text' || s.name === 'text_projection');
      return { ...s, name: prefixed ? `text.${s.name}` : s.name, canonical: s.name, transform: 'identity' as const };
    });
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: LocalSpec[] = [];
  const emit = (row: { localT: string; canonicalT: string; transform: Transform; part?: number; parts?: number; lead?: number }, n?: number) => {
    const canonical = n === undefined ? row.canonicalT : row.canonicalT.replace('{N}', String(n));
    const spec = byName.get(canonical);
    if (!spec) return false;
    const local = n === undefined ? row.localT : row.localT.replace('{N}', String(n));
    let shape: number[] = [...spec.shape];
    if (row.transform === 'transpose') shape = shape.reverse();
    else if (row.transform === 'reshape') shape = [...new Array<number>(row.lead ?? 0).fill(1), ...shape];
    else if (row.transform === 'concat0') shape = [(shape[0] ?? 0) / (row.parts ?? 3), ...shape.slice(1)];
    out.push({ name: local, shape, tower: spec.tower, canonical, transform: row.transform, ...(row.part !== undefined ? { part: row.part } : {}) });
    return true;
  };
  for (const { section, rows } of table.ordered) {
    if (!section.block) {
      for (const r of rows) emit(r);
      continue;
    }
    for (let n = 0; ; n++) {
      let any = false;
      for (const r of rows) any = emit(r, n) || any;
      if (!any) break;
    }
  }
  if (family === 'timm-vit' && out.some((s) => s.canonical === 'visual.proj')) {
    for (const x of TIMM_VIT_EXTRAS) out.push({ name: x.local, shape: [embedDim], tower: 'projection', canonical: null, transform: 'identity' });
  }
  return out;
}

export { isNativeFamily };
