import type { TensorInfo } from '../core/checkpoint.js';

/**
 * The probe's view of a checkpoint: tensors under canonical (OpenAI / open_clip native) names,
 * each pointing at the source tensor(s) it is made from. The graph builder and the reference
 * forward pass only ever see canonical names, so one builder serves every layout.
 *
 * This mirrors the shape of `src/layouts/canonical.ts` (the cross-layout mapping owned by the
 * model-understanding area); `canonicalFromCheckpoint` uses the OpenAI-layout adapter below
 * until that mapping is wired in.
 */
/**
 * `patch-hwc`: transformers Siglip2's patch embedding, a Linear [D, p·p·C] over patches flattened
 * as (row, column, channel), read as the Conv weight [D, C, p, p] (reshape, then channels first).
 */
export type WeightTransform = 'identity' | 'transpose' | 'reshape' | 'concat0' | 'patch-hwc';

export interface CanonicalWeight {
  readonly name: string;
  /** Shape after the transform (the canonical shape). */
  readonly shape: readonly number[];
  readonly sources: readonly TensorInfo[];
  readonly transform: WeightTransform;
}

export interface CanonicalWeights {
  /** Layout the names came from, e.g. `openai` (already canonical). */
  readonly family: string;
  readonly tensors: ReadonlyMap<string, CanonicalWeight>;
  /** Source tensors that have no canonical counterpart (ignored by the probe, listed in the report). */
  readonly unmapped: readonly string[];
}

const CANONICAL_TOP = /^(visual\.|transformer\.|token_embedding\.|positional_embedding$|ln_final\.|text_projection$|logit_scale$)/;

/**
 * OpenAI / open_clip native layout: names are already canonical. Strips the wrappers that
 * training scripts add (`module.`, `_orig_mod.`) and ignores everything that is not a CLIP weight.
 */
export function openaiLayoutWeights(tensors: readonly TensorInfo[]): CanonicalWeights {
  const out = new Map<string, CanonicalWeight>();
  const unmapped: string[] = [];
  for (const t of tensors) {
    const name = t.name.replace(/^(module\.|_orig_mod\.)+/, '');
    if (!CANONICAL_TOP.test(name) || out.has(name)) {
      unmapped.push(t.name);
      continue;
    }
    out.set(name, { name, shape: t.shape, sources: [t], transform: 'identity' });
  }
  return { family: 'openai', tensors: out, unmapped };
}
