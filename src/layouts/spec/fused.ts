import type { PartSpec, TensorTemplate } from './types.js';

/**
 * open_clip's NaFlexGenLip / NaFlexGenLap (development configs with `genlip_cfg` / `genlap_cfg`): ONE
 * transformer (`trunk.layers.N`, mRoPE, gated attention, SwiGLU, LayerScale) over
 * `[patch tokens ; text tokens]` with an LM head — a generative image- (audio-) to-text model, not two
 * towers with projections, and no `logit_scale`. How its pieces map to towers (docs/clip-family.md):
 * - the modality's patch embedding: `vision` (GenLip `patch_embed`) / `audio` (GenLap `audio_embed`):
 *   without it the trunk sees noise for every image / sound;
 * - token embedding, `in_proj` / `out_proj` (when the token width differs from the trunk's) and `lm_head`: `text`;
 * - the fused trunk itself (blocks + `ln_post`): `other` (it belongs to both modalities, so neither tower);
 * - GenLip's `visual.*` (an adapter that SHARES `patch_embed` and `trunk`: the same storage, listed
 *   twice in `state_dict()`): role `tied`, never missing; its own `visual.proj` / GenLap's `audio_proj`
 *   (only when the embedding width differs from the trunk's) are the `projection`.
 * Fields `fused.*` (clipTables.ts OpenClipFused), `embed`.
 */

const normOf = (name: string, dim: string, when?: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [dim], ...(when ? { when } : {}) },
  { name: `${name}.bias`, shape: [dim], when: when ? `(${when}) && fused.norm == 'layernorm'` : "fused.norm == 'layernorm'" },
];
const lin = (name: string, out: string, inp: string, bias: string, when?: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape: [out, inp], ...(when ? { when } : {}) },
  { name: `${name}.bias`, shape: [out], when: when ? `(${when}) && ${bias}` : bias },
];

const BLOCK: readonly TensorTemplate[] = [
  ...normOf('layer_norm1', 'W'),
  ...lin('self_attn.k_proj', 'W', 'W', 'fused.attnBias'),
  ...lin('self_attn.v_proj', 'W', 'W', 'fused.attnBias'),
  // the gated attention's gate rides in q_proj (2·W rows)
  ...lin('self_attn.q_proj', 'fused.gated ? 2 * W : W', 'W', 'fused.attnBias'),
  ...lin('self_attn.out_proj', 'W', 'W', 'fused.attnBias'),
  // qk-norm is an RMSNorm over the head width (weight only) unless the trunk norm is LayerNorm
  ...normOf('self_attn.q_norm', 'W / fused.heads', 'fused.qkNorm'),
  ...normOf('self_attn.k_norm', 'W / fused.heads', 'fused.qkNorm'),
  ...normOf('layer_norm2', 'W'),
  ...lin('mlp.fc1', 'H', 'W', 'fused.mlpBias'),
  ...lin('mlp.gate_fc', 'H', 'W', 'fused.mlpBias', 'fused.swiglu'),
  ...lin('mlp.fc2', 'W', 'H', 'fused.mlpBias'),
  { name: 'layer_scale1.lambda1', shape: ['W'], when: 'fused.ls' },
  { name: 'layer_scale2.lambda1', shape: ['W'], when: 'fused.ls' },
];

/** The fused trunk's parts under `prefix` (`''`, or GenLip's shared `visual.` copy with role `tied`). */
function trunkParts(on: string, prefix: string, tied: boolean): PartSpec[] {
  const tie = (ts: readonly TensorTemplate[]): TensorTemplate[] => (tied ? ts.map((t) => ({ ...t, role: 'tied' as const, tiedTo: `trunk.${t.name}` })) : [...ts]);
  const vars = { W: 'fused.width', H: 'fused.hidden' };
  const tower = tied ? ('vision' as const) : ('other' as const);
  return [
    {
      id: tied ? 'vision.shared_blocks' : 'fused.blocks',
      kind: 'blocks',
      tower,
      prefix: `${prefix}trunk.layers.{N}.`,
      when: on,
      repeat: 'fused.depth',
      vars,
      tensors: tied ? BLOCK.map((t) => ({ ...t, role: 'tied' as const, tiedTo: `trunk.layers.{N}.${t.name}` })) : BLOCK,
    },
    { id: tied ? 'vision.shared_norm' : 'fused.norm', kind: 'norm', tower, prefix: `${prefix}trunk.`, when: on, tensors: tie(normOf('ln_post', 'fused.width')) },
  ];
}

function embedTensors(): TensorTemplate[] {
  return [
    ...normOf('norm_input', 'fused.patchIn', 'fused.inputNorm').map((t) => ({ ...t, when: 'fused.inputNorm' })),
    { name: 'proj.weight', shape: ['fused.width', 'fused.patchIn'] },
    { name: 'proj.bias', shape: ['fused.width'], when: 'fused.patchBias' },
    ...normOf('norm_pre', 'fused.width', 'fused.preNorm'),
  ];
}

export function fusedParts(): PartSpec[] {
  const on = "fused.kind != 'none'";
  const lip = "fused.kind == 'genlip'";
  const lap = "fused.kind == 'genlap'";
  const narrow = 'fused.textEmbed != fused.width';
  return [
    { id: 'vision.embeddings', kind: 'embeddings', tower: 'vision', prefix: 'patch_embed.', when: lip, tensors: embedTensors() },
    { id: 'audio.embeddings', kind: 'embeddings', tower: 'audio', prefix: 'audio_embed.', when: lap, tensors: embedTensors() },
    {
      id: 'text.embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: '',
      when: on,
      tensors: [
        { name: 'text_embed.weight', shape: ['fused.vocab', 'fused.textEmbed'] },
        ...lin('in_proj', 'fused.width', 'fused.textEmbed', 'true', narrow),
        ...normOf('text_norm_pre', 'fused.width', 'fused.textPreNorm'),
      ],
    },
    { id: 'text.head', kind: 'head', tower: 'text', prefix: '', when: on, tensors: [...lin('out_proj', 'fused.textEmbed', 'fused.width', 'true', narrow), { name: 'lm_head.weight', shape: ['fused.vocab', 'fused.textEmbed'] }] },
    ...trunkParts(on, '', false),
    // NaFlexGenLipVisualAdapter: the SAME patch_embed and trunk modules again under `visual.` (tied), and its own projection
    {
      id: 'vision.shared_embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'visual.patch_embed.',
      when: lip,
      tensors: embedTensors().map((t) => ({ ...t, role: 'tied' as const, tiedTo: `patch_embed.${t.name}` })),
    },
    ...trunkParts(lip, 'visual.', true),
    { id: 'vision.proj', kind: 'projector', tower: 'projection', prefix: 'visual.', when: `${lip} && embed != fused.width`, tensors: lin('proj', 'embed', 'fused.width', 'true') },
    { id: 'audio.proj', kind: 'projector', tower: 'projection', prefix: '', when: `${lap} && embed != fused.width`, tensors: lin('audio_proj', 'embed', 'fused.width', 'true') },
  ];
}
