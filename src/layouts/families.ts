/**
 * Rename tables between each family's on-disk names and canonical (OpenAI / open_clip native)
 * names, as data: ../shared/reference/clip-checkpoint-schemas.md §9 (HF ↔ OpenAI ↔ timm) and §1.8
 * (open_clip custom-text `text.*`). Detection, the expected-layout check, the probe and the
 * comparison all go through these tables (never a second copy).
 */

export type FamilyId = 'openai-clip' | 'openclip-custom-text' | 'openclip-timm' | 'openclip-coca' | 'hf-clip' | 'hf-siglip' | 'timm-vit' | 'unknown';
export const FAMILY_IDS: readonly FamilyId[] = ['openai-clip', 'openclip-custom-text', 'openclip-timm', 'openclip-coca', 'hf-clip', 'hf-siglip', 'timm-vit', 'unknown'];

export type Transform = 'identity' | 'transpose' | 'reshape' | 'concat0';

/** One file tensor ↔ (part of) one canonical tensor. Names may hold `{N}` (block index). */
export interface RenameRow {
  readonly local: string;
  readonly canonical: string;
  readonly transform: Transform;
  /** concat0: index of this source along dim 0 (q = 0, k = 1, v = 2) out of `parts`. */
  readonly part?: number;
  readonly parts?: number;
  /** reshape: number of leading size-1 dims the local tensor has and the canonical one lacks. */
  readonly lead?: number;
}

/** A group of rows; with `block`, rows are suffixes repeated for every block index N. */
export interface RenameSection {
  readonly block?: { readonly local: string; readonly canonical: string };
  readonly rows: readonly RenameRow[];
}

/** Local-only tensors a layout has with no canonical counterpart (shape from E / widths). */
export interface ExtraRow {
  readonly local: string;
  readonly shape: 'embed' /* [E] */;
  readonly note: string;
}

const id = (local: string, canonical = local): RenameRow => ({ local, canonical, transform: 'identity' });
const pair = (local: string, canonical: string): RenameRow[] => [id(`${local}.weight`, `${canonical}.weight`), id(`${local}.bias`, `${canonical}.bias`)];

/** transformers CLIP encoder layer (16 tensors) → OpenAI residual block (12), real HF order. */
const HF_BLOCK: readonly RenameRow[] = [
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
const TIMM_BLOCK: readonly RenameRow[] = [
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
export const TIMM_VIT_EXTRAS: readonly ExtraRow[] = [{ local: 'head.bias', shape: 'embed', note: 'all zeros in converted CLIP weights; OpenAI has no projection bias' }];

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

interface CompiledRow extends RenameRow {
  /** Full local / canonical templates (block prefix included). */
  readonly localT: string;
  readonly canonicalT: string;
}

interface Compiled {
  readonly byLocal: Map<string, CompiledRow>;
  readonly byCanonical: Map<string, CompiledRow[]>;
  readonly ordered: readonly { section: RenameSection; rows: CompiledRow[] }[];
}

const compiled = new Map<FamilyId, Compiled>();

export function compiledTable(f: FamilyId): Compiled | undefined {
  const sections = sectionsFor(f);
  if (!sections) return undefined;
  let c = compiled.get(f);
  if (c) return c;
  const byLocal = new Map<string, CompiledRow>();
  const byCanonical = new Map<string, CompiledRow[]>();
  const ordered: { section: RenameSection; rows: CompiledRow[] }[] = [];
  for (const s of sections) {
    const rows = s.rows.map((r) => ({ ...r, localT: (s.block?.local ?? '') + r.local, canonicalT: (s.block?.canonical ?? '') + r.canonical }));
    for (const r of rows) {
      byLocal.set(r.localT, r);
      const list = byCanonical.get(r.canonicalT) ?? [];
      list.push(r);
      byCanonical.set(r.canonicalT, list);
    }
    ordered.push({ section: s, rows });
  }
  c = { byLocal, byCanonical, ordered };
  compiled.set(f, c);
  return c;
}

/** `a.b.12.c` → { template: `a.b.{N}.c`, n: 12 } (first all-digit segment); no digits → n undefined. */
export function blockTemplate(name: string): { template: string; n?: number } {
  const m = /(^|\.)(\d+)(\.|$)/.exec(name);
  if (!m) return { template: name };
  const start = m.index + m[1]!.length;
  return { template: name.slice(0, start) + '{N}' + name.slice(start + m[2]!.length), n: Number(m[2]) };
}
