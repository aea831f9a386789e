import type { TimmTrunkFacts } from './clipTables.js';
import { TIMM_BLOCK, timmTrunkParts, trunkFields } from './openclip.js';
import type { ArchitectureSpec, SpecConfig } from './types.js';

/**
 * timm's CLIP-family image towers saved by timm itself (`vit_*_clip_*`, `vit_*_siglip_*`,
 * `eva02_*_clip_*`, `vit_pe_*`, ConvNeXt CLIP tags, ResNet-CLIP, FastViT MCi, ViTamin, …): the same
 * trunk templates open_clip's timm towers use (openclip.ts, timmTrunks.ts), with no prefix.
 */
export const TIMM_TOWER_SPEC: ArchitectureSpec = {
  id: 'timm-tower',
  description: 'timm CLIP-family image tower by model name',
  defaults: { trunk: '' },
  templates: { timmBlock: TIMM_BLOCK },
  parts: timmTrunkParts('true'),
};

/** The tower facts as fields; `headRows` overrides the classifier rows (a pretrained tag's num_classes), -1 = not known. */
export function timmTowerSpecConfig(t: TimmTrunkFacts, headRows?: number): SpecConfig {
  const f = trunkFields(t);
  // Unknown rows (-1) keep the head only where the model built by name has one.
  if (headRows !== undefined && t.template !== 'opaque' && (headRows !== -1 || (t.head ?? 0) > 0)) f['trunk.head'] = headRows;
  return { ...f, trunk: '' };
}
