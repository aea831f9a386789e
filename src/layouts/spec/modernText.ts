import type { PartSpec, TensorTemplate } from './types.js';

/**
 * open_clip's ModernTextTransformer (`text_arch: "modern"`, development configs): token embedding,
 * RoPE (no learned positions), pre-norm (or sandwich-norm) blocks with fused qkv, optional q/k
 * norms and sigmoid gate, SwiGLU (`w12` packed value + gate, `w3`) or GELU / ReLU² MLP, final
 * norm, a MAP / EOS / mean pool and a Linear projection. RMSNorm has no bias, LayerNorm does.
 * Fields `text.*` from the config facts (clipTables.ts OpenClipText kind 'modern').
 */

/** A norm of the configured flavour: RMSNorm = weight only; LayerNorm = weight + bias. */
const norm = (name: string, dim: string, when?: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [dim], ...(when ? { when } : {}) },
  { name: `${name}.bias`, shape: [dim], when: when ? `(${when}) && text.norm == 'layernorm'` : "text.norm == 'layernorm'" },
];

const lin = (name: string, out: string, inp: string, bias: string, when?: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [out, inp], ...(when ? { when } : {}) },
  { name: `${name}.bias`, shape: [out], when: when ? `(${when}) && ${bias}` : bias },
];

const MODERN_BLOCK: readonly TensorTemplate[] = [
  ...norm('norm1', 'W'),
  ...lin('attn.qkv', '3 * W', 'W', 'text.attnBias'),
  ...norm('attn.q_norm', 'hd', 'text.qkNorm'),
  ...norm('attn.k_norm', 'hd', 'text.qkNorm'),
  ...lin('attn.gate', 'W', 'W', 'text.gateBias', 'text.gated'),
  { name: 'attn.vr_lambda', shape: [1], when: 'text.valueResidual && N > 0' },
  ...lin('attn.proj', 'W', 'W', 'text.attnBias'),
  ...norm('norm1_post', 'W', 'text.sandwich'),
  { name: 'ls1.gamma', shape: ['W'], when: 'text.lsInit' },
  ...norm('norm2', 'W'),
  ...lin('mlp.w12', '2 * H', 'W', 'text.mlpBias', "text.mlpType == 'swiglu'"),
  ...lin('mlp.w3', 'W', 'H', 'text.mlpBias', "text.mlpType == 'swiglu'"),
  ...lin('mlp.c_fc', 'H', 'W', 'text.mlpBias', "text.mlpType != 'swiglu'"),
  ...lin('mlp.c_proj', 'W', 'H', 'text.mlpBias', "text.mlpType != 'swiglu'"),
  ...norm('norm2_post', 'W', 'text.sandwich'),
  { name: 'ls2.gamma', shape: ['W'], when: 'text.lsInit' },
];

export function modernTextParts(on: string): PartSpec[] {
  const vars = { W: 'text.width', H: 'text.hidden', hd: 'text.width / text.heads' };
  return [
    {
      id: 'text.embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: 'text.',
      when: on,
      tensors: [
        { name: 'token_embedding.weight', shape: ['text.vocab', 'text.width'] },
        { name: 'reg_tokens', shape: [1, 'text.reg', 'text.width'], when: 'text.reg > 0' },
        ...norm('norm_pre', 'text.width', 'text.preNorm'),
      ],
    },
    { id: 'text.blocks', kind: 'blocks', tower: 'text', prefix: 'text.blocks.{N}.', when: on, repeat: 'text.layers', vars, tensors: MODERN_BLOCK },
    { id: 'text.norm', kind: 'norm', tower: 'text', prefix: 'text.', when: on, tensors: norm('ln_final', 'text.width') },
    {
      id: 'text.pool',
      kind: 'head',
      tower: 'text',
      prefix: 'text.pool.',
      when: `${on} && text.pool == 'map'`,
      vars,
      tensors: [
        { name: 'query', shape: [1, 1, 'W'] },
        ...lin('q', 'W', 'W', 'text.attnBias'),
        ...lin('kv', '2 * W', 'W', 'text.attnBias'),
        ...norm('q_norm', 'hd', 'text.qkNorm'),
        ...norm('k_norm', 'hd', 'text.qkNorm'),
      ],
    },
    { id: 'text.proj', kind: 'projector', tower: 'projection', prefix: 'text.', when: `${on} && !text.projNone`, tensors: lin('text_projection', 'embed', 'text.width', 'text.projBias') },
  ];
}
