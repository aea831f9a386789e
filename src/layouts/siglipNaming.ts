import { HF_BLOCK, TIMM_BLOCK } from './families.js';
import type { RenameRow, RenameSection } from './spec/naming.js';

/**
 * SigLIP's two spellings as rename rows (the naming-scheme mechanism of spec/naming.ts) onto one
 * set of names: open_clip's own (`visual.trunk.*` timm ViT + MAP head, `text.*` TextTransformer,
 * `logit_scale`, `logit_bias`, as OPENCLIP_SPEC generates them), except the MAP head's attention,
 * which is packed into one `in_proj` as transformers' `nn.MultiheadAttention` holds it (timm keeps
 * `q` and `kv` apart). The zero-shot probe reads SigLIP checkpoints through these rows.
 *
 * Rows only say where a tensor goes; what a block holds stays in the specs (OPENCLIP_SPEC's timm
 * block, HF_CLIP_SPEC's encoder layer), and the block rows below are derived from the CLIP
 * family's HF and timm block rows (families.ts), not written again.
 */

/** The packed attention of the MAP head under the probe's names. */
export const MAP_IN_PROJ = 'visual.trunk.attn_pool.in_proj';

const id = (local: string, canonical = local): RenameRow => ({ local, canonical, transform: 'identity' });
const pair = (local: string, canonical: string): RenameRow[] => [id(`${local}.weight`, `${canonical}.weight`), id(`${local}.bias`, `${canonical}.bias`)];

/** open_clip / timm MAP head `q` + `kv` Linear layers → the packed `in_proj` (q rows first, then k, v). */
export const OPENCLIP_SIGLIP_ROWS: readonly RenameRow[] = [
  { local: 'visual.trunk.attn_pool.q.weight', canonical: `${MAP_IN_PROJ}.weight`, transform: 'concat0', part: 0, parts: 2 },
  { local: 'visual.trunk.attn_pool.q.bias', canonical: `${MAP_IN_PROJ}.bias`, transform: 'concat0', part: 0, parts: 2 },
  { local: 'visual.trunk.attn_pool.kv.weight', canonical: `${MAP_IN_PROJ}.weight`, transform: 'concat0', part: 1, parts: 2 },
  { local: 'visual.trunk.attn_pool.kv.bias', canonical: `${MAP_IN_PROJ}.bias`, transform: 'concat0', part: 1, parts: 2 },
];

/** transformers encoder layer → timm ViT block: HF_BLOCK's rows with their OpenAI-block targets renamed through TIMM_BLOCK. */
const HF_TO_TIMM_BLOCK: readonly RenameRow[] = HF_BLOCK.map((r) => {
  const timm = TIMM_BLOCK.find((t) => t.canonical === r.canonical);
  if (!timm) throw new Error(`internal: no timm row for ${r.canonical}`);
  return { ...r, canonical: timm.local };
});

/** transformers SiglipModel (and its vision / text models) → the names above. Closed: other names are unmapped. */
export const HF_SIGLIP_SECTIONS: readonly RenameSection[] = [
  {
    rows: [
      id('logit_scale'),
      id('logit_bias'),
      id('text_model.embeddings.token_embedding.weight', 'text.token_embedding.weight'),
      id('text_model.embeddings.position_embedding.weight', 'text.positional_embedding'),
    ],
  },
  // The text encoder layer maps onto open_clip's residual block exactly as CLIP's does.
  { block: { local: 'text_model.encoder.layers.{N}.', canonical: 'text.transformer.resblocks.{N}.' }, rows: HF_BLOCK },
  {
    rows: [
      ...pair('text_model.final_layer_norm', 'text.ln_final'),
      // SigLIP's text head is open_clip's Linear text projection (proj_bias), same [out, in] layout.
      ...pair('text_model.head', 'text.text_projection'),
      ...pair('vision_model.embeddings.patch_embedding', 'visual.trunk.patch_embed.proj'),
      // [T, D] in transformers, [1, T, D] in timm: same values.
      { local: 'vision_model.embeddings.position_embedding.weight', canonical: 'visual.trunk.pos_embed', transform: 'reshape' },
    ],
  },
  { block: { local: 'vision_model.encoder.layers.{N}.', canonical: 'visual.trunk.blocks.{N}.' }, rows: HF_TO_TIMM_BLOCK },
  {
    rows: [
      ...pair('vision_model.post_layernorm', 'visual.trunk.norm'),
      id('vision_model.head.probe', 'visual.trunk.attn_pool.latent'),
      id('vision_model.head.attention.in_proj_weight', `${MAP_IN_PROJ}.weight`),
      id('vision_model.head.attention.in_proj_bias', `${MAP_IN_PROJ}.bias`),
      ...pair('vision_model.head.attention.out_proj', 'visual.trunk.attn_pool.proj'),
      ...pair('vision_model.head.layernorm', 'visual.trunk.attn_pool.norm'),
      ...pair('vision_model.head.mlp.fc1', 'visual.trunk.attn_pool.mlp.fc1'),
      ...pair('vision_model.head.mlp.fc2', 'visual.trunk.attn_pool.mlp.fc2'),
    ],
  },
];
