import type { TowerId } from './canonicalLayout.js';
import { canonicalKeyOf } from './canonical.js';
import type { FamilyId } from './families.js';

/**
 * Tower assignment (../shared/reference/clip-checkpoint-schemas.md §10.2), applied to canonical
 * names, with fallbacks for names that have no canonical counterpart.
 */
export function towerOfCanonical(name: string): TowerId {
  if (name === 'logit_scale' || name === 'logit_bias') return 'projection';
  if (name === 'visual.proj' || name.startsWith('visual.attnpool.c_proj.') || name.startsWith('visual.head.') || name.startsWith('visual.trunk.head.')) return 'projection';
  if (name === 'text_projection' || name.startsWith('text_projection.') || name.startsWith('proj.') || name === 'visual_projection.weight' || name.startsWith('text_model.head.')) return 'projection';
  if (name.startsWith('visual.') || name.startsWith('vision_model.')) return 'vision';
  if (name.startsWith('text_decoder.')) return 'decoder';
  if (
    name === 'positional_embedding' ||
    name === 'cls_emb' ||
    name.startsWith('token_embedding.') ||
    name.startsWith('transformer.') ||
    name.startsWith('ln_final.') ||
    name.startsWith('text_model.') ||
    name.startsWith('text.')
  )
    return 'text';
  return 'other';
}

/** Tower of a (normalised) file name in its family. */
export function towerOf(family: FamilyId, localName: string): TowerId {
  const key = canonicalKeyOf(family, localName);
  if (key) return towerOfCanonical(key.canonical);
  if (family === 'timm-vit') return localName.startsWith('head.') ? 'projection' : 'vision';
  return towerOfCanonical(localName);
}
