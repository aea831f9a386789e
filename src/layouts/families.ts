/**
 * Rename tables between each family's on-disk names and canonical (OpenAI / open_clip native)
 * names, as data: ../shared/reference/clip-checkpoint-schemas.md §9 (HF ↔ OpenAI ↔ timm) and §1.8
 * (open_clip custom-text `text.*`). Detection, the expected-layout check, the probe and the
 * comparison all go through these tables (never a second copy).
 */

import { blockTemplate, compileScheme, type CompiledScheme, type ExtraRow, type NamingScheme, type PrefixRule, type RenameRow, type RenameSection } from './spec/naming.js';

export type FamilyId = 'openai-clip' | 'openclip-custom-text' | 'openclip-timm' | 'openclip-coca' | 'hf-clip' | 'hf-siglip' | 'timm-vit' | 'unknown';
export const FAMILY_IDS: readonly FamilyId[] = ['openai-clip', 'openclip-custom-text', 'openclip-timm', 'openclip-coca', 'hf-clip', 'hf-siglip', 'timm-vit', 'unknown'];

export type { Transform, RenameRow, RenameSection, ExtraRow } from './spec/naming.js';

/** open_clip CustomTextCLIP / CoCa: the text tower and its projection live under `text.` (§1.8). */
const CUSTOM_TEXT_PREFIXES: readonly PrefixRule[] = [
  { from: '', to: 'text.', towers: ['text'] },
  { from: 'text_projection', to: 'text.text_projection', exact: true },
];

const id = (local: string, canonical = local): RenameRow => ({ local, canonical, transform: 'identity' });
const pair = (local: string, canonical: string): RenameRow[] => [id(`${local}.weight`, `${canonical}.weight`), id(`${local}.bias`, `${canonical}.bias`)];

/** transformers CLIP encoder layer (16 tensors) → OpenAI residual block (12), real HF order. */
export const HF_BLOCK: readonly RenameRow[] = [
  { local: 'self_attn.k_proj.weight', canonical: 'attn.in_proj_weight', transform: 'concat0', part: 1, parts: 3 },
  { local: 'self_attn.k_proj.bias', canonical: 'attn.in_proj_bias', transform: 'concat0', part: 1, parts: 3 },
  { local: 'self_attn.v_proj.weight', canonical: 'attn.in_proj_weight', transform: 'concat0', part: 2, parts: 3 },
  { local: 'self_attn.v_proj.bias', canonical: 'attn.in_proj_bias', transform: 'concat0', part: 2, parts: 3 },
  { local: 'self_attn.q_proj.weight', canonical: 'attn.in_proj_weight', transform: 'concat0', part: 0, parts: 3 },
  { local: 'self_attn.q_proj.bias', canonical: 'attn.in_proj_bias', transform: 'concat0', part: 0, parts: 3 },
  ...pair('self_attn.out_proj', 'attn.out_proj'),
  ...pair('layer_norm1', 'ln_1'),
  ...pair('mlp.fc1', 'mlp.c_fc'),
  ...pair('mlp.fc2', 'mlp.c_proj'),
  ...pair('layer_norm2', 'ln_2'),
];

/** timm ViT block (12 tensors) → OpenAI residual block. */
export const TIMM_BLOCK: readonly RenameRow[] = [
  ...pair('norm1', 'ln_1'),
  id('attn.qkv.weight', 'attn.in_proj_weight'),
  id('attn.qkv.bias', 'attn.in_proj_bias'),
  ...pair('attn.proj', 'attn.out_proj'),
  ...pair('norm2', 'ln_2'),
  ...pair('mlp.fc1', 'mlp.c_fc'),
  ...pair('mlp.fc2', 'mlp.c_proj'),
];

export const HF_CLIP_SECTIONS: readonly RenameSection[] = [
  {
    rows: [
      id('text_model.embeddings.token_embedding.weight', 'token_embedding.weight'),
      id('text_model.embeddings.position_embedding.weight', 'positional_embedding'),
    ],
  },
  { block: { local: 'text_model.encoder.layers.{N}.', canonical: 'transformer.resblocks.{N}.' }, rows: HF_BLOCK },
  {
    rows: [
      ...pair('text_model.final_layer_norm', 'ln_final'),
      id('vision_model.embeddings.class_embedding', 'visual.class_embedding'),
      id('vision_model.embeddings.patch_embedding.weight', 'visual.conv1.weight'),
      id('vision_model.embeddings.position_embedding.weight', 'visual.positional_embedding'),
      ...pair('vision_model.pre_layrnorm', 'visual.ln_pre'),
    ],
  },
  { block: { local: 'vision_model.encoder.layers.{N}.', canonical: 'visual.transformer.resblocks.{N}.' }, rows: HF_BLOCK },
  {
    rows: [
      ...pair('vision_model.post_layernorm', 'visual.ln_post'),
      { local: 'visual_projection.weight', canonical: 'visual.proj', transform: 'transpose' },
      { local: 'text_projection.weight', canonical: 'text_projection', transform: 'transpose' },
      id('logit_scale'),
    ],
  },
];

export const TIMM_VIT_SECTIONS: readonly RenameSection[] = [
  {
    rows: [
      { local: 'cls_token', canonical: 'visual.class_embedding', transform: 'reshape', lead: 2 },
      { local: 'pos_embed', canonical: 'visual.positional_embedding', transform: 'reshape', lead: 1 },
      id('patch_embed.proj.weight', 'visual.conv1.weight'),
      ...pair('norm_pre', 'visual.ln_pre'),
    ],
  },
  { block: { local: 'blocks.{N}.', canonical: 'visual.transformer.resblocks.{N}.' }, rows: TIMM_BLOCK },
  { rows: [...pair('norm', 'visual.ln_post'), { local: 'head.weight', canonical: 'visual.proj', transform: 'transpose' }] },
];

/** timm's converter adds a zero `head.bias` that OpenAI weights never had (§4.2). */
export const TIMM_VIT_EXTRAS: readonly ExtraRow[] = [{ local: 'head.bias', shape: 'embed', note: 'all zeros in converted CLIP weights; OpenAI has no projection bias', after: 'visual.proj', tower: 'projection' }];

/** The CLIP family's naming schemes (spec/naming.ts) over the canonical CLIP spec (spec/clip.ts). */
export const CLIP_SCHEMES: Readonly<Record<FamilyId, NamingScheme>> = {
  'openai-clip': { id: 'openai-clip' },
  'openclip-custom-text': { id: 'openclip-custom-text', prefixes: CUSTOM_TEXT_PREFIXES },
  'openclip-timm': { id: 'openclip-timm', prefixes: CUSTOM_TEXT_PREFIXES },
  'openclip-coca': { id: 'openclip-coca', prefixes: CUSTOM_TEXT_PREFIXES },
  'hf-clip': { id: 'hf-clip', sections: HF_CLIP_SECTIONS },
  'hf-siglip': { id: 'hf-siglip' },
  'timm-vit': { id: 'timm-vit', sections: TIMM_VIT_SECTIONS, extras: TIMM_VIT_EXTRAS },
  unknown: { id: 'unknown' },
};

/** Families whose on-disk names ARE canonical names (after the custom-text `text.` prefix). */
export function isNativeFamily(f: FamilyId): boolean {
  return f !== 'hf-clip' && f !== 'timm-vit';
}

export function sectionsFor(f: FamilyId): readonly RenameSection[] | undefined {
  if (f === 'hf-clip') return HF_CLIP_SECTIONS;
  if (f === 'timm-vit') return TIMM_VIT_SECTIONS;
  return undefined;
}

/** Families whose text tower lives under `text.` (open_clip CustomTextCLIP and CoCa, and open_clip timm-trunk models that use it). */
export function usesTextPrefix(f: FamilyId): boolean {
  return f === 'openclip-custom-text' || f === 'openclip-coca' || f === 'openclip-timm';
}

export function compiledTable(f: FamilyId): CompiledScheme | undefined {
  return compileScheme(CLIP_SCHEMES[f]);
}

export { blockTemplate };
