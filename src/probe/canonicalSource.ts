import type { Checkpoint } from '../core/checkpoint.js';
import { stripWrapperPrefixes, toCanonical, type FamilyId } from '../layouts/canonical.js';
import type { CanonicalWeight, CanonicalWeights } from './canonicalWeights.js';

/**
 * The one place the probe asks "what are this checkpoint's tensors under canonical names": the
 * cross-layout mapping of src/layouts (OpenAI / open_clip native, transformers CLIPModel, timm
 * ViT towers). A q/k/v split with a part missing is not assembled; the probe then initialises
 * that `in_proj` randomly and reports it, as a loader would leave it uninitialised.
 */
export interface CanonicalSource extends CanonicalWeights {
  readonly familyId: FamilyId;
  /** Canonical tensors whose q/k/v parts are incomplete (reported as random-initialised). */
  readonly partial: readonly string[];
}

/** Families the graph builder handles: a ViT or ModifiedResNet image tower and/or the CLIP text transformer. */
export const PROBE_FAMILIES: readonly FamilyId[] = ['openai-clip', 'openclip-custom-text', 'hf-clip', 'timm-vit'];

/**
 * Probe-only canonical name for timm's projection bias: OpenAI CLIP has none, timm's converter
 * adds a zero one, but a fine-tuned timm head may carry a real bias; dropping it would silently
 * change image embeddings, so the graph adds it when present.
 */
export const VISUAL_PROJ_BIAS = 'visual.proj_bias';

export async function canonicalFromCheckpoint(ckpt: Checkpoint): Promise<CanonicalSource> {
  const view = toCanonical(ckpt.tensors);
  const tensors = new Map<string, CanonicalWeight>(view.tensors);
  let unmapped = view.unmapped;
  if (view.family === 'timm-vit') {
    const bias = view.unmapped.find((t) => stripWrapperPrefixes(t.name) === 'head.bias' && t.shape.length === 1);
    if (bias && tensors.has('visual.proj')) {
      tensors.set(VISUAL_PROJ_BIAS, { name: VISUAL_PROJ_BIAS, shape: bias.shape, sources: [bias], transform: 'identity' });
      unmapped = unmapped.filter((t) => t !== bias);
    }
  }
  return {
    family: view.family,
    familyId: view.family,
    tensors,
    unmapped: unmapped.map((t) => t.name),
    partial: view.partial.map((p) => p.name),
  };
}

/** The activation a family's weights were trained with when no config file says otherwise (schemas §4.4). */
export function defaultActivation(family: FamilyId): { value: 'quickgelu' | 'gelu'; source: string } {
  switch (family) {
    case 'openclip-custom-text':
      return { value: 'gelu', source: 'default for open_clip custom-text models (LAION-trained; GELU unless a -quickgelu config)' };
    case 'hf-clip':
      return { value: 'quickgelu', source: 'transformers CLIPConfig default hidden_act quick_gelu (no config.json found)' };
    case 'timm-vit':
      return { value: 'quickgelu', source: "default for timm *_clip_*.openai towers (OpenAI weights use QuickGELU; LAION towers use GELU: pass --activation gelu)" };
    default:
      return { value: 'quickgelu', source: 'default for OpenAI-layout weights (the activation is invisible in the state dict; LAION-trained open_clip models use GELU: pass --activation gelu)' };
  }
}
