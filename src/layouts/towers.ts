import type { TowerId } from './canonicalLayout.js';
import { canonicalNameOf } from './canonical.js';
import type { FamilyId } from './families.js';

/**
 * Tower assignment (../shared/reference/clip-checkpoint-schemas.md §10.2), applied to canonical
 * names, with fallbacks for names that have no canonical counterpart.
 */
export function towerOfCanonical(name: string): TowerId {
  // Rules grouped by first letter (one switch instead of ~20 prefix tests per name: this runs for
  // every tensor of 100k-tensor files); within a letter they keep their precedence:
  // projection before vision / decoder / text.
  switch (name.charCodeAt(0)) {
    case 108 /* l */:
      if (name === 'logit_scale' || name === 'logit_bias') return 'projection';
      return name.startsWith('ln_final.') ? 'text' : 'other';
    case 118 /* v */:
      if (name.startsWith('visual.')) {
        // The projection rules under `visual.`, told apart by the letter after it.
        const c = name.charCodeAt(7);
        if (name === 'visual.proj' || (c === 97 && name.startsWith('visual.attnpool.c_proj.')) || (c === 104 && name.startsWith('visual.head.')) || (c === 116 && name.startsWith('visual.trunk.head.'))) return 'projection';
        return 'vision';
      }
      if (name === 'visual_projection.weight') return 'projection';
      return name.startsWith('vision_model.') ? 'vision' : 'other';
    case 116 /* t */:
      switch (name.charCodeAt(1)) {
        case 114 /* tr */:
          return name.startsWith('transformer.') ? 'text' : 'other';
        case 111 /* to */:
          return name.startsWith('token_embedding.') ? 'text' : 'other';
        case 101 /* te */:
          if (name === 'text_projection' || name.startsWith('text_projection.') || name.startsWith('text_model.head.')) return 'projection';
          if (name.startsWith('text_decoder.')) return 'decoder';
          return name.startsWith('text_model.') || name.startsWith('text.') ? 'text' : 'other';
        default:
          return 'other';
      }
    case 112 /* p */:
      if (name.startsWith('proj.')) return 'projection';
      return name === 'positional_embedding' ? 'text' : 'other';
    case 99 /* c */:
      return name === 'cls_emb' ? 'text' : 'other';
    default:
      return 'other';
  }
}

/** Tower of a (normalised) file name in its family. */
export function towerOf(family: FamilyId, localName: string): TowerId {
  const canonical = canonicalNameOf(family, localName);
  if (canonical !== undefined) return towerOfCanonical(canonical);
  if (family === 'timm-vit') return localName.startsWith('head.') ? 'projection' : 'vision';
  return towerOfCanonical(localName);
}
