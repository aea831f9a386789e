import { plural } from '../shared/text.js';
import { inferredFacts } from '../analysis/architecture.js';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { dtypeBits, isFloatDType, type DType } from '../core/dtype.js';
import type { ConfigHints } from '../probe/modelConfig.js';
import { canonicalShapes, targetLayout, TARGET_FAMILY, towerOfCanonicalName, type CanonicalTensor, type ConvertTargetKind, type LocalSpec, type SourceView, type TowerId } from './layoutAdapter.js';
import { deriveConfig, type DerivedConfig } from './modelConfig.js';
import type { ConvertError } from './types.js';

/**
 * The conversion plan: for every tensor of the target layout, which source tensor(s) hold it and
 * the byte operation that produces it (copy, row slice of a fused q/k/v, concatenation, 2-D
 * transpose, zeros for timm's `head.bias`). Built from header data only; nothing is read.
 */
export interface Source {
  /** `in`, `donor1`, `donor2`, … */
  readonly label: string;
  readonly path: string;
  readonly ckpt: Checkpoint;
  readonly sv: SourceView;
  readonly hints: ConfigHints;
}

/** A byte range [start, end) of a tensor's logical (row-major) bytes. */
export interface Slice {
  readonly src: TensorInfo;
  readonly start: number;
  readonly end: number;
}

export type Op =
  | { readonly kind: 'bytes'; readonly slices: readonly Slice[] }
  /** `src` is [rows, cols] row-major; the output is [cols, rows]. */
  | { readonly kind: 'transpose'; readonly src: TensorInfo; readonly rows: number; readonly cols: number }
  | { readonly kind: 'zeros' };

export interface PlanEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Written dtype. */
  readonly dtype: DType;
  /** Dtype of the source bytes (differs from `dtype` only with --dtype). */
  readonly srcDtype: DType;
  readonly tower: TowerId;
  readonly canonical: string | null;
  /** Index into the sources (0 = input); null for derived tensors. */
  readonly from: number | null;
  readonly op: Op;
  /** Provenance text, e.g. `in:visual.proj transposed`. */
  readonly provenance: string;
}

export type AllowTower = 'vision' | 'text' | 'projection' | 'logit_scale';
export const ALLOW_TOWERS: readonly AllowTower[] = ['vision', 'text', 'projection', 'logit_scale'];

export interface ConvertPlan {
  readonly kind: ConvertTargetKind;
  readonly derived: DerivedConfig;
  readonly entries: PlanEntry[];
  /** Target tensors no source has and --allow-missing let through (left out of the file). */
  readonly omitted: { name: string; tower: TowerId }[];
  /** Input tensors the target does not hold (e.g. the text tower for timm). */
  readonly dropped: { name: string; tower: TowerId }[];
  /** The target layout as planned (before omissions), for verification. */
  readonly specs: LocalSpec[];
  readonly notes: string[];
}

type PlanResult = { ok: true; plan: ConvertPlan } | { ok: false; error: ConvertError };
const fail = (code: string, message: string, extra: Partial<ConvertError> = {}): PlanResult => ({ ok: false, error: { code, message, ...extra } });

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);
const fmt = (s: readonly number[]) => `[${s.join(', ')}]`;

export function buildPlan(kind: ConvertTargetKind, sources: readonly Source[], opts: { dtype?: 'F32' | 'F16' | 'BF16'; allowMissing: ReadonlySet<AllowTower> }): PlanResult {
  const input = sources[0]!;
  const fam = input.sv.view.family;
  if (fam === 'unknown') return fail('convert-not-clip', `${input.path} is not a CLIP checkpoint in a known layout (open_clip / OpenAI, transformers, timm); nothing to convert`);
  if (fam === 'hf-siglip' || fam === 'openclip-coca') return fail('convert-unsupported-model', `${fam} checkpoints cannot be converted yet (CLIP ViT / ResNet only)`);
  for (const d of sources.slice(1)) {
    const df = d.sv.view.family;
    if (df === 'unknown') return fail('convert-donor-not-clip', `donor ${d.path} is not a CLIP checkpoint in a known layout`);
    if (df === 'hf-siglip' || df === 'openclip-coca') return fail('convert-donor-incompatible', `donor ${d.path} is ${df}, another model family than the input (${fam})`);
  }
  const derived = deriveConfig(sources.map((s) => ({ label: s.label, inferred: s.sv.inferred, hints: s.hints })));
  if ('error' in derived) return fail('convert-not-clip', derived.error);
  const cfg = derived.cfg;
  if (kind !== 'openclip' && cfg.vision.kind === 'resnet') return fail('convert-unsupported-model', `${kind === 'hf' ? 'transformers CLIP' : 'timm'} has no ModifiedResNet image tower; a ResNet CLIP converts to --to openclip only`);

  // Donors: same architecture where both show it.
  const inFacts = inferredFacts(input.sv.inferred);
  for (const d of sources.slice(1)) {
    const dFacts = inferredFacts(d.sv.inferred);
    const diff = Object.keys(dFacts).filter((k) => inFacts[k] !== undefined && inFacts[k] !== dFacts[k]);
    const shapeDiff: string[] = [];
    input.sv.view.tensors.forEach((t, n) => {
      const o = d.sv.view.tensors.get(n);
      if (o && !sameShape(o.shape, t.shape)) shapeDiff.push(`${n}: input ${fmt(t.shape)}, donor ${fmt(o.shape)}`);
    });
    if (diff.length || shapeDiff.length) {
      const why = [...diff.map((k) => `${k}: input ${String(inFacts[k])}, donor ${String(dFacts[k])}`), ...shapeDiff].slice(0, 8);
      return fail('convert-donor-incompatible', `donor ${d.path} is not the same architecture as the input: ${why.join('; ')}${diff.length + shapeDiff.length > 8 ? '; …' : ''}`);
    }
  }

  const hasVision = derived.visionFrom !== null;
  const hasText = derived.textFrom !== null;
  const parts = { vision: hasVision || !opts.allowMissing.has('vision'), text: kind !== 'timm' && (hasText || !opts.allowMissing.has('text')), logitScale: kind !== 'timm' };
  const specs = targetLayout(kind, cfg, parts);
  const canonShape = canonicalShapes(kind, cfg, parts);
  const entries: PlanEntry[] = [];
  const missing: { name: string; tower: TowerId; shape: readonly number[] }[] = [];
  const omitted: { name: string; tower: TowerId }[] = [];
  const used = new Set<TensorInfo>();
  const notes: string[] = [];
  const allowed = (s: LocalSpec): boolean => {
    if (s.canonical === 'logit_scale') return opts.allowMissing.has('logit_scale');
    return opts.allowMissing.has(s.tower as AllowTower);
  };
  const outDtype = (d: DType): DType => (opts.dtype && isFloatDType(d) ? opts.dtype : d);

  for (const s of specs) {
    if (s.canonical === null) {
      // timm's `head.bias`: the input's own (timm input), else zeros as timm's CLIP converter writes.
      const own = fam === TARGET_FAMILY[kind] ? input.sv.view.unmapped.find((t) => input.sv.localName(t) === s.name && sameShape(t.shape, s.shape)) : undefined;
      if (own) {
        used.add(own);
        entries.push({ name: s.name, shape: s.shape, dtype: outDtype(own.dtype), srcDtype: own.dtype, tower: s.tower, canonical: null, from: 0, op: { kind: 'bytes', slices: [{ src: own, start: 0, end: own.byteLength }] }, provenance: `in:${input.sv.localName(own)}` });
        continue;
      }
      const proj = entries.find((e) => e.canonical === 'visual.proj');
      if (!proj) {
        if (allowed(s)) omitted.push({ name: s.name, tower: s.tower });
        else missing.push({ name: s.name, tower: s.tower, shape: s.shape });
        continue;
      }
      entries.push({ name: s.name, shape: s.shape, dtype: proj.dtype, srcDtype: proj.dtype, tower: s.tower, canonical: null, from: null, op: { kind: 'zeros' }, provenance: 'zeros (CLIP has no projection bias; timm expects one)' });
      continue;
    }
    let found: { c: CanonicalTensor; i: number } | undefined;
    for (let i = 0; i < sources.length && !found; i++) {
      const c = sources[i]!.sv.view.tensors.get(s.canonical);
      if (c) found = { c, i };
    }
    if (!found) {
      if (allowed(s)) omitted.push({ name: s.name, tower: s.tower });
      else missing.push({ name: s.name, tower: s.tower, shape: s.shape });
      continue;
    }
    const { c, i } = found;
    const src = sources[i]!;
    const want = canonShape.get(s.canonical)!;
    if (!sameShape(c.shape, want)) {
      const names = c.sources.map((t) => src.sv.localName(t)).join(', ');
      if (i === 0) return fail('convert-shape-mismatch', `${names} has shape ${fmt(c.shape)} in canonical layout, but this model's ${s.canonical} is ${fmt(want)}: the input is not consistent with itself`);
      return fail('convert-donor-incompatible', `donor ${src.path}: ${names} is ${fmt(c.shape)} in canonical layout, the model needs ${s.canonical} ${fmt(want)}`);
    }
    const op = compose(c, s);
    if ('error' in op) return fail('convert-unsupported-transform', `${s.name}: ${op.error}`);
    const dtypes = new Set(c.sources.map((t) => t.dtype));
    if (dtypes.size > 1 && !opts.dtype) return fail('convert-mixed-dtypes', `${s.name} would be assembled from ${[...dtypes].join(' and ')} parts; pass --dtype to cast them to one dtype`);
    const srcDtype = c.sources[0]!.dtype;
    if (op.op.kind === 'transpose' && dtypeBits(srcDtype) % 8 !== 0) return fail('convert-unsupported-transform', `${s.name}: cannot transpose sub-byte dtype ${srcDtype}`);
    c.sources.forEach((t) => used.add(t));
    entries.push({ name: s.name, shape: s.shape, dtype: outDtype(srcDtype), srcDtype, tower: s.tower, canonical: s.canonical, from: i, op: op.op, provenance: `${src.label}:${op.text(src.sv.localName)}` });
  }
  if (missing.length) {
    const byTower = new Map<string, number>();
    for (const m of missing) byTower.set(m.tower, (byTower.get(m.tower) ?? 0) + 1);
    const summary = [...byTower].map(([t, n]) => `${t} ${n}`).join(', ');
    const absent = [...(hasVision ? [] : ['image']), ...(hasText || kind === 'timm' ? [] : ['text'])];
    const guess = absent.length ? ` No source holds the ${absent.join(' or ')} tower at all, so its shapes below are the usual pairing, not read from a file.` : '';
    const allowNames = [...new Set(missing.map((m) => (m.name === 'logit_scale' ? 'logit_scale' : m.tower)))];
    return fail('convert-incomplete', `the ${kind} layout needs ${plural(missing.length, 'tensor')} that neither the input nor a donor has (${summary}).${guess} Add --fill-from DONOR, or --allow-missing ${allowNames.join(',')} to write an incomplete file`, { missing: missing.map((m) => ({ name: m.name, tower: m.tower, shape: [...m.shape] })) });
  }
  const dropped: { name: string; tower: TowerId }[] = [];
  const canonicalOf = new Map<TensorInfo, string>();
  input.sv.view.tensors.forEach((c) => c.sources.forEach((t) => canonicalOf.set(t, c.name)));
  const dropTower = (t: TensorInfo) => towerOfCanonicalName(canonicalOf.get(t) ?? input.sv.localName(t));
  for (const t of input.ckpt.tensors) if (!used.has(t)) dropped.push({ name: t.name, tower: dropTower(t) });
  if (derived.named === null) {
    const sizes = [...(hasVision ? [cfg.vision.kind === 'vit' ? `image ${cfg.vision.width} wide × ${cfg.vision.layers} blocks` : 'ResNet image tower'] : []), ...(hasText && kind !== 'timm' ? [`text ${cfg.text.width} wide × ${cfg.text.layers} blocks`] : []), `embed ${cfg.embedDim}`];
    notes.push(`no named configuration has exactly these shapes; sizes are read from the tensors (${sizes.join(', ')})`);
  }
  return { ok: true, plan: { kind, derived, entries, omitted, dropped, specs, notes } };
}

type Composed = { op: Op; text: (name: (t: TensorInfo) => string) => string } | { error: string };

/**
 * One target tensor from one canonical tensor: the source's transform (how the canonical tensor is
 * stored) composed with the target's (how the target stores it). Both come from the layout tables.
 */
function compose(c: CanonicalTensor, s: LocalSpec): Composed {
  const whole = (t: TensorInfo): Slice => ({ src: t, start: 0, end: t.byteLength });
  const src0 = c.sources[0]!;
  const QKV = ['q', 'k', 'v'];
  if (s.transform === 'concat0') {
    const p = s.part!;
    if (c.transform === 'concat0') {
      const t = c.sources[p];
      if (!t || !sameShape(t.shape, s.shape)) return { error: `its q/k/v part ${p} has another shape than ${fmt(s.shape)}` };
      return { op: { kind: 'bytes', slices: [whole(t)] }, text: (n) => n(t) };
    }
    if (c.transform !== 'identity' && c.transform !== 'reshape') return { error: `cannot split a ${c.transform} source into q/k/v` };
    const partBytes = src0.byteLength / 3;
    if (!Number.isInteger(partBytes) || c.shape[0]! % 3 !== 0) return { error: `${fmt(c.shape)} does not split into three equal parts` };
    return { op: { kind: 'bytes', slices: [{ src: src0, start: p * partBytes, end: (p + 1) * partBytes }] }, text: (n) => `${n(src0)} rows ${(p * c.shape[0]!) / 3}..${((p + 1) * c.shape[0]!) / 3} (${QKV[p]})` };
  }
  if (s.transform === 'identity' || s.transform === 'reshape') {
    if (c.transform === 'identity' || c.transform === 'reshape') return { op: { kind: 'bytes', slices: [whole(src0)] }, text: (n) => (c.transform === 'reshape' || s.transform === 'reshape' ? `${n(src0)} reshaped` : n(src0)) };
    if (c.transform === 'concat0') return { op: { kind: 'bytes', slices: c.sources.map(whole) }, text: (n) => `concat(${c.sources.map(n).join(', ')})` };
    // Stored transposed in the source, plainly in the target.
    return { op: { kind: 'transpose', src: src0, rows: src0.shape[0]!, cols: src0.shape[1]! }, text: (n) => `${n(src0)} transposed` };
  }
  // s.transform === 'transpose'
  if (c.transform === 'transpose') return { op: { kind: 'bytes', slices: [whole(src0)] }, text: (n) => n(src0) };
  if (c.transform === 'concat0' || c.shape.length !== 2) return { error: `cannot transpose a ${c.transform} source of shape ${fmt(c.shape)}` };
  return { op: { kind: 'transpose', src: src0, rows: c.shape[0]!, cols: c.shape[1]! }, text: (n) => `${n(src0)} transposed` };
}
