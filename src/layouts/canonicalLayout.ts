import type { ClipConfig, ResNetVision, TextTower, VitVision } from './configs.js';

/**
 * The expected tensors of a CLIP model in canonical naming (OpenAI / open_clip native layout),
 * generated from a `ClipConfig`. This is the one place that knows "what a CLIP block looks like";
 * other layouts (transformers, timm, open_clip custom-text) are derived from it through the
 * rename tables in `families.ts`.
 */

export type TowerId = 'vision' | 'text' | 'projection' | 'decoder' | 'other';
export const TOWER_IDS: readonly TowerId[] = ['vision', 'text', 'projection', 'decoder', 'other'];

export interface TensorSpec {
  readonly name: string;
  readonly shape: readonly number[];
  readonly tower: TowerId;
  /** Only non-float tensors say so (BatchNorm `num_batches_tracked` is I64). */
  readonly dtype?: 'I64';
}

/** Suffix → shape of the residual block (§1.2), in state_dict order. D = width, M = MLP width. */
export const RESBLOCK: readonly { readonly suffix: string; readonly shape: (D: number, M: number) => number[] }[] = [
  { suffix: 'ln_1.weight', shape: (D) => [D] },
  { suffix: 'ln_1.bias', shape: (D) => [D] },
  { suffix: 'attn.in_proj_weight', shape: (D) => [3 * D, D] },
  { suffix: 'attn.in_proj_bias', shape: (D) => [3 * D] },
  { suffix: 'attn.out_proj.weight', shape: (D) => [D, D] },
  { suffix: 'attn.out_proj.bias', shape: (D) => [D] },
  { suffix: 'ln_2.weight', shape: (D) => [D] },
  { suffix: 'ln_2.bias', shape: (D) => [D] },
  { suffix: 'mlp.c_fc.weight', shape: (D, M) => [M, D] },
  { suffix: 'mlp.c_fc.bias', shape: (_D, M) => [M] },
  { suffix: 'mlp.c_proj.weight', shape: (D, M) => [D, M] },
  { suffix: 'mlp.c_proj.bias', shape: (D) => [D] },
];

export interface CanonicalParts {
  readonly vision?: boolean;
  readonly text?: boolean;
  /** `logit_scale` (and nothing else: projections belong to their tower's part). */
  readonly logitScale?: boolean;
}

const ALL: CanonicalParts = { vision: true, text: true, logitScale: true };

export function canonicalSpecs(cfg: ClipConfig, parts: CanonicalParts = ALL): TensorSpec[] {
  const out: TensorSpec[] = [];
  const E = cfg.embedDim;
  if (parts.text) {
    // CoCa's text tower is custom-text (`text.cls_emb` on disk); canonical names drop `text.`.
    if (cfg.coca) out.push({ name: 'cls_emb', shape: [cfg.text.width], tower: 'text' });
    out.push({ name: 'positional_embedding', shape: [cfg.text.context, cfg.text.width], tower: 'text' });
    out.push({ name: 'text_projection', shape: [cfg.text.width, E], tower: 'projection' });
  }
  if (parts.logitScale) out.push({ name: 'logit_scale', shape: [], tower: 'projection' });
  if (parts.vision) {
    if (cfg.vision.kind === 'vit') out.push(...vitVisionSpecs(cfg.vision, E, cfg.coca?.poolQueries));
    else out.push(...resnetVisionSpecs(cfg.vision, E));
  }
  if (parts.text) out.push(...textTowerSpecs(cfg.text));
  if (parts.text && cfg.coca) out.push(...cocaDecoderSpecs(cfg));
  return out;
}

export function resblockSpecs(prefix: string, layers: number, D: number, M: number, tower: TowerId): TensorSpec[] {
  const out: TensorSpec[] = [];
  for (let n = 0; n < layers; n++) for (const r of RESBLOCK) out.push({ name: `${prefix}${n}.${r.suffix}`, shape: r.shape(D, M), tower });
  return out;
}

function vitVisionSpecs(v: VitVision, E: number, poolQueries?: number): TensorSpec[] {
  const D = v.width;
  const grid = v.image / v.patch;
  const out: TensorSpec[] = [
    { name: 'visual.class_embedding', shape: [D], tower: 'vision' },
    { name: 'visual.positional_embedding', shape: [grid * grid + 1, D], tower: 'vision' },
    // CoCa pools to E before ln_post, so its projection is [E, E] (§1.9).
    { name: 'visual.proj', shape: [poolQueries ? E : D, E], tower: 'projection' },
    { name: 'visual.conv1.weight', shape: [D, 3, v.patch, v.patch], tower: 'vision' },
    { name: 'visual.ln_pre.weight', shape: [D], tower: 'vision' },
    { name: 'visual.ln_pre.bias', shape: [D], tower: 'vision' },
    ...resblockSpecs('visual.transformer.resblocks.', v.layers, D, v.mlp, 'vision'),
  ];
  if (poolQueries) {
    const a = 'visual.attn_pool.';
    out.push(
      { name: `${a}query`, shape: [poolQueries, E], tower: 'vision' },
      { name: `${a}attn.q_proj_weight`, shape: [E, E], tower: 'vision' },
      { name: `${a}attn.k_proj_weight`, shape: [E, D], tower: 'vision' },
      { name: `${a}attn.v_proj_weight`, shape: [E, D], tower: 'vision' },
      { name: `${a}attn.in_proj_bias`, shape: [3 * E], tower: 'vision' },
      { name: `${a}attn.out_proj.weight`, shape: [E, E], tower: 'vision' },
      { name: `${a}attn.out_proj.bias`, shape: [E], tower: 'vision' },
      { name: `${a}ln_q.weight`, shape: [E], tower: 'vision' },
      { name: `${a}ln_q.bias`, shape: [E], tower: 'vision' },
      { name: `${a}ln_k.weight`, shape: [D], tower: 'vision' },
      { name: `${a}ln_k.bias`, shape: [D], tower: 'vision' },
    );
  }
  const post = poolQueries ? E : D;
  out.push({ name: 'visual.ln_post.weight', shape: [post], tower: 'vision' }, { name: 'visual.ln_post.bias', shape: [post], tower: 'vision' });
  return out;
}

function batchNorm(prefix: string, C: number): TensorSpec[] {
  return [
    { name: `${prefix}.weight`, shape: [C], tower: 'vision' },
    { name: `${prefix}.bias`, shape: [C], tower: 'vision' },
    { name: `${prefix}.running_mean`, shape: [C], tower: 'vision' },
    { name: `${prefix}.running_var`, shape: [C], tower: 'vision' },
    { name: `${prefix}.num_batches_tracked`, shape: [], tower: 'vision', dtype: 'I64' },
  ];
}

/** OpenAI ModifiedResNet (§1.6): 3-conv stem, Bottleneck ×4 stages (expansion 4), attention pool. */
function resnetVisionSpecs(v: ResNetVision, E: number): TensorSpec[] {
  const w = v.width;
  const conv = (name: string, shape: number[]): TensorSpec => ({ name, shape, tower: 'vision' });
  const out: TensorSpec[] = [
    conv('visual.conv1.weight', [w / 2, 3, 3, 3]),
    ...batchNorm('visual.bn1', w / 2),
    conv('visual.conv2.weight', [w / 2, w / 2, 3, 3]),
    ...batchNorm('visual.bn2', w / 2),
    conv('visual.conv3.weight', [w, w / 2, 3, 3]),
    ...batchNorm('visual.bn3', w),
  ];
  let inplanes = w;
  v.layers.forEach((blocks, k) => {
    const planes = w * 2 ** k;
    for (let i = 0; i < blocks; i++) {
      const p = `visual.layer${k + 1}.${i}.`;
      out.push(
        conv(`${p}conv1.weight`, [planes, inplanes, 1, 1]),
        ...batchNorm(`${p}bn1`, planes),
        conv(`${p}conv2.weight`, [planes, planes, 3, 3]),
        ...batchNorm(`${p}bn2`, planes),
        conv(`${p}conv3.weight`, [planes * 4, planes, 1, 1]),
        ...batchNorm(`${p}bn3`, planes * 4),
      );
      // Only the first block of a stage changes stride or width, so only it has a downsample path.
      if (i === 0) out.push(conv(`${p}downsample.0.weight`, [planes * 4, inplanes, 1, 1]), ...batchNorm(`${p}downsample.1`, planes * 4));
      inplanes = planes * 4;
    }
  });
  const C = w * 32;
  const grid = v.image / 32;
  const a = 'visual.attnpool.';
  out.push(
    conv(`${a}positional_embedding`, [grid * grid + 1, C]),
    conv(`${a}k_proj.weight`, [C, C]),
    conv(`${a}k_proj.bias`, [C]),
    conv(`${a}q_proj.weight`, [C, C]),
    conv(`${a}q_proj.bias`, [C]),
    conv(`${a}v_proj.weight`, [C, C]),
    conv(`${a}v_proj.bias`, [C]),
    { name: `${a}c_proj.weight`, shape: [E, C], tower: 'projection' },
    { name: `${a}c_proj.bias`, shape: [E], tower: 'projection' },
  );
  return out;
}

function textTowerSpecs(t: TextTower): TensorSpec[] {
  return [
    ...resblockSpecs('transformer.resblocks.', t.layers, t.width, t.mlp, 'text'),
    { name: 'token_embedding.weight', shape: [t.vocab, t.width], tower: 'text' },
    { name: 'ln_final.weight', shape: [t.width], tower: 'text' },
    { name: 'ln_final.bias', shape: [t.width], tower: 'text' },
  ];
}

/** CoCa multimodal decoder (§1.9): self-attn blocks, cross-attn blocks (+ ln_1_kv), vocab head. */
function cocaDecoderSpecs(cfg: ClipConfig): TensorSpec[] {
  const c = cfg.coca!;
  const D = c.decoderWidth;
  const out = resblockSpecs('text_decoder.resblocks.', c.decoderLayers, D, 4 * D, 'decoder');
  for (let n = 0; n < c.decoderLayers; n++) {
    const p = `text_decoder.cross_attn.${n}.`;
    for (const r of RESBLOCK) {
      out.push({ name: `${p}${r.suffix}`, shape: r.shape(D, 4 * D), tower: 'decoder' });
      if (r.suffix === 'attn.out_proj.bias') out.push({ name: `${p}ln_1_kv.weight`, shape: [D], tower: 'decoder' }, { name: `${p}ln_1_kv.bias`, shape: [D], tower: 'decoder' });
    }
  }
  out.push(
    { name: 'text_decoder.ln_final.weight', shape: [D], tower: 'decoder' },
    { name: 'text_decoder.ln_final.bias', shape: [D], tower: 'decoder' },
    { name: 'text_decoder.text_projection', shape: [D, cfg.text.vocab], tower: 'decoder' },
  );
  return out;
}
