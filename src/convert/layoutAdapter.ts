/**
 * The converter's only door into the layout knowledge (src/layouts) and the analysis' target
 * check. Everything the converter knows about names, transforms (q/k/v split ↔ fused in_proj,
 * `head.weight` = `visual.proj` transposed, `cls_token` reshape, …) and expected shapes comes
 * through these few functions, so re-pointing the converter at another layout mechanism means
 * changing this file only. No second copy of any mapping lives in src/convert.
 */
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { inferArchitecture } from '../analysis/architecture.js';
import { compareToTarget, type Comparison } from '../analysis/target.js';
import type { InferredArchitecture } from '../analysis/types.js';
import { familyLayout, normalizeName, normalizeNameList, canonicalViewOf, type CanonicalTensor, type CanonicalView, type FamilyId, type LocalSpec } from '../layouts/canonical.js';
import { canonicalSpecs, type CanonicalParts, type TowerId } from '../layouts/canonicalLayout.js';
import { CLIP_CONFIGS, type ClipConfig } from '../layouts/configs.js';
import { towerOfCanonical } from '../layouts/towers.js';

export type { CanonicalTensor, CanonicalView, ClipConfig, FamilyId, InferredArchitecture, LocalSpec, TowerId, CanonicalParts };
export { CLIP_CONFIGS };

/** What `--to` names, and the family (naming scheme) each writes. */
export type ConvertTargetKind = 'openclip' | 'hf' | 'timm';
export const TARGET_FAMILY: Record<ConvertTargetKind, FamilyId> = { openclip: 'openai-clip', hf: 'hf-clip', timm: 'timm-vit' };

/** A checkpoint seen in canonical (OpenAI / open_clip native) naming. */
export interface SourceView {
  readonly view: CanonicalView;
  readonly inferred: InferredArchitecture;
  /** Normalised name of a file tensor (wrapper / container prefixes removed). */
  readonly localName: (t: TensorInfo) => string;
}

export function sourceView(ckpt: Checkpoint): SourceView {
  const { names, container } = normalizeNameList(ckpt.tensors);
  const view = canonicalViewOf(names, ckpt.tensors);
  return { view, inferred: inferArchitecture(view), localName: (t) => normalizeName(t.name, container) };
}

/** The on-disk tensors `kind` expects for a model of configuration `cfg` holding `parts`. */
export function targetLayout(kind: ConvertTargetKind, cfg: ClipConfig, parts: CanonicalParts): LocalSpec[] {
  return familyLayout(TARGET_FAMILY[kind], canonicalSpecs(cfg, kind === 'timm' ? { vision: parts.vision ?? false } : parts), cfg.embedDim);
}

/** Canonical name → canonical shape for the same model (what each target tensor is, before its naming scheme's transform). */
export function canonicalShapes(kind: ConvertTargetKind, cfg: ClipConfig, parts: CanonicalParts): Map<string, readonly number[]> {
  return new Map(canonicalSpecs(cfg, kind === 'timm' ? { vision: parts.vision ?? false } : parts).map((s) => [s.name, s.shape]));
}

export function towerOfCanonicalName(name: string): TowerId {
  return towerOfCanonical(name);
}

/** The analysis' expected-layout check (missing / unexpected / mismatched) of a written file against what convert meant to write. */
export function checkAgainstTarget(kind: ConvertTargetKind, cfg: ClipConfig, specs: LocalSpec[], written: SourceView): Comparison {
  const family = TARGET_FAMILY[kind];
  return compareToTarget(written.view, { id: `${kind}:${cfg.name}`, family, variant: cfg.name, config: cfg, model: kind, specs }, written.view.family, new Map(), written.localName);
}
