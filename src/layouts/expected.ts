import { canonicalSpecs, type CanonicalParts } from './canonicalLayout.js';
import { familyLayout, type LocalSpec } from './canonical.js';
import type { ClipConfig } from './configs.js';
import type { FamilyId } from './families.js';

/**
 * The full expected key set (names, shapes, towers) of a family + configuration, in that
 * family's own naming. timm towers only hold the image side; everything else defaults to the
 * complete dual-tower model.
 */
export function expectedLayout(family: FamilyId, cfg: ClipConfig, parts?: CanonicalParts): LocalSpec[] {
  const p = parts ?? (family === 'timm-vit' ? { vision: true } : { vision: true, text: true, logitScale: true });
  return familyLayout(family, canonicalSpecs(cfg, p), cfg.embedDim);
}
