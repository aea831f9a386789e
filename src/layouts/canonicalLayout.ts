import type { ClipConfig } from './configs.js';
import { CLIP_SPEC } from './spec/clip.js';
import { expandOrThrow } from './spec/expand.js';
import type { Role, SpecConfig, TowerId } from './spec/types.js';

/**
 * The expected tensors of a CLIP model in canonical naming (OpenAI / open_clip native layout),
 * generated from a `ClipConfig` by the architecture-spec expander (src/layouts/spec): the CLIP
 * spec in spec/clip.ts is the one place that knows "what a CLIP block looks like"; other layouts
 * (transformers, timm, open_clip custom-text) are derived from it through the naming schemes in
 * `families.ts`.
 */

export type { TowerId } from './spec/types.js';
export { TOWER_IDS } from './spec/types.js';

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly tower: TowerId;
  /** Only non-float tensors say so (BatchNorm `num_batches_tracked` is I64). */
  readonly dtype?: 'I64';
  /** The spec part the tensor belongs to (`vision.blocks`, `logit_scale`, …). */
  readonly partId?: string;
  readonly role?: Role;
}

export interface CanonicalParts {
  readonly vision?: boolean;
  readonly text?: boolean;
  /** `logit_scale` (and nothing else: projections belong to their tower's part). */
  readonly logitScale?: boolean;
}

const ALL: CanonicalParts = { vision: true, text: true, logitScale: true };

/** A ClipConfig as the flat fields the CLIP spec reads. */
export function clipSpecConfig(cfg: ClipConfig, parts: CanonicalParts = ALL): SpecConfig {
  const v = cfg.vision;
  return {
    embed: cfg.embedDim,
    'vision.kind': v.kind,
    'vision.width': v.width,
    'vision.layers': v.layers,
    'vision.image': v.image,
    ...(v.kind === 'vit' ? { 'vision.mlp': v.mlp, 'vision.patch': v.patch } : {}),
    'text.width': cfg.text.width,
    'text.layers': cfg.text.layers,
    'text.mlp': cfg.text.mlp,
    'text.context': cfg.text.context,
    'text.vocab': cfg.text.vocab,
    coca: Boolean(cfg.coca),
    ...(cfg.coca ? { 'coca.poolQueries': cfg.coca.poolQueries, 'coca.decoderWidth': cfg.coca.decoderWidth, 'coca.decoderLayers': cfg.coca.decoderLayers } : {}),
    'parts.vision': Boolean(parts.vision),
    'parts.text': Boolean(parts.text),
    'parts.logitScale': Boolean(parts.logitScale),
  };
}

export function canonicalSpecs(cfg: ClipConfig, parts: CanonicalParts = ALL): TensorSpec[] {
  return expandOrThrow(CLIP_SPEC, clipSpecConfig(cfg, parts)).map((e) => ({ name: e.name, shape: e.shape, tower: e.tower, ...(e.dtype ? { dtype: e.dtype } : {}), partId: e.part, role: e.role }));
}
