import type { ArchitectureSpec, PartSpec, TensorTemplate } from './types.js';

/**
 * The OpenAI / open_clip native CLIP layout as a spec (canonical naming): ViT or ModifiedResNet
 * image tower, causal text transformer, projections, `logit_scale`, and CoCa's attentional pooler
 * and multimodal decoder. ../shared/reference/clip-checkpoint-schemas.md §1.1–§1.9.
 *
 * Config fields (see `clipSpecConfig` in ../canonicalLayout.ts): `embed`; `vision.kind`
 * ('vit' | 'resnet'), `vision.width`, `vision.layers` (a number, or 4 stage depths for ResNet),
 * `vision.mlp`, `vision.patch`, `vision.image`; `text.width`, `text.layers`, `text.mlp`,
 * `text.context`, `text.vocab`; `coca` with `coca.poolQueries`, `coca.decoderWidth`,
 * `coca.decoderLayers`; `parts.vision`, `parts.text`, `parts.logitScale` select the pieces.
 */

/** `name.weight` + `name.bias` of one shape (LayerNorm, a bias-carrying vector), optionally conditional. */
export const pair = (name: string, shape: TensorTemplate['shape'], when?: string): TensorTemplate[] => [
  { name: `${name}.weight`, shape, ...(when ? { when } : {}) },
  { name: `${name}.bias`, shape, ...(when ? { when } : {}) },
];

/** The residual block (§1.2) in state_dict order: D = width, M = MLP width. The one copy of "what a CLIP block looks like". */
export const RESBLOCK_TEMPLATE: readonly TensorTemplate[] = [
  ...pair('ln_1', ['D']),
  { name: 'attn.in_proj_weight', shape: ['3*D', 'D'] },
  { name: 'attn.in_proj_bias', shape: ['3*D'] },
  { name: 'attn.out_proj.weight', shape: ['D', 'D'] },
  { name: 'attn.out_proj.bias', shape: ['D'] },
  ...pair('ln_2', ['D']),
  { name: 'mlp.c_fc.weight', shape: ['M', 'D'] },
  { name: 'mlp.c_fc.bias', shape: ['M'] },
  { name: 'mlp.c_proj.weight', shape: ['D', 'M'] },
  { name: 'mlp.c_proj.bias', shape: ['D'] },
];

/** CoCa cross-attention block: a residual block plus `ln_1_kv` after the attention output (§1.9). */
export const crossBlockOf = (block: readonly TensorTemplate[]): TensorTemplate[] => [...block.slice(0, 6), ...pair('ln_1_kv', ['D']), ...block.slice(6)];
const CROSS_BLOCK: readonly TensorTemplate[] = crossBlockOf(RESBLOCK_TEMPLATE);

/** BatchNorm: weight, bias, running stats and the int64 step counter. */
export const batchNorm = (name: string, C: string, when?: string): TensorTemplate[] =>
  [
    { name: `${name}.weight`, shape: [C] },
    { name: `${name}.bias`, shape: [C] },
    { name: `${name}.running_mean`, shape: [C] },
    { name: `${name}.running_var`, shape: [C] },
    { name: `${name}.num_batches_tracked`, shape: [], dtype: 'I64' as const },
  ].map((t) => (when ? { ...t, when } : t));

const vit = "parts.vision && vision.kind == 'vit'";
const resnet = "parts.vision && vision.kind == 'resnet'";

export const CLIP_SPEC: ArchitectureSpec = {
  id: 'clip',
  description: 'OpenAI CLIP / open_clip CLIP, CustomTextCLIP and CoCa (canonical = OpenAI names)',
  defaults: { coca: false, 'coca.poolQueries': 0, 'parts.vision': true, 'parts.text': true, 'parts.logitScale': true },
  templates: { resblock: RESBLOCK_TEMPLATE, crossblock: CROSS_BLOCK },
  parts: [
    {
      id: 'text.head',
      kind: 'embeddings',
      tower: 'text',
      prefix: '',
      when: 'parts.text',
      tensors: [
        // CoCa's text tower is custom-text (`text.cls_emb` on disk); canonical names drop `text.`.
        { name: 'cls_emb', shape: ['text.width'], when: 'coca' },
        { name: 'positional_embedding', shape: ['text.context', 'text.width'] },
        { name: 'text_projection', shape: ['text.width', 'embed'], tower: 'projection' },
      ],
    },
    { id: 'logit_scale', kind: 'scalar', tower: 'projection', prefix: '', when: 'parts.logitScale', tensors: [{ name: 'logit_scale', shape: [] }] },
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'visual.',
      when: vit,
      vars: { D: 'vision.width', grid: 'vision.image / vision.patch' },
      tensors: [
        { name: 'class_embedding', shape: ['D'] },
        { name: 'positional_embedding', shape: ['grid * grid + 1', 'D'] },
        // CoCa pools to E before ln_post, so its projection is [E, E] (§1.9).
        { name: 'proj', shape: ['coca.poolQueries > 0 ? embed : D', 'embed'], tower: 'projection' },
        { name: 'conv1.weight', shape: ['D', 3, 'vision.patch', 'vision.patch'] },
        ...pair('ln_pre', ['D']),
      ],
    },
    { id: 'vision.blocks', kind: 'blocks', tower: 'vision', prefix: 'visual.transformer.resblocks.{N}.', when: vit, repeat: 'vision.layers', vars: { D: 'vision.width', M: 'vision.mlp' }, tensors: 'resblock' },
    cocaAttnPoolPart(`${vit} && coca.poolQueries > 0`, 'coca.poolQueries'),
    { id: 'vision.norm', kind: 'norm', tower: 'vision', prefix: 'visual.', when: vit, vars: { P: 'coca.poolQueries > 0 ? embed : vision.width' }, tensors: pair('ln_post', ['P']) },
    ...modifiedResNetParts(resnet),
    { id: 'text.blocks', kind: 'blocks', tower: 'text', prefix: 'transformer.resblocks.{N}.', when: 'parts.text', repeat: 'text.layers', vars: { D: 'text.width', M: 'text.mlp' }, tensors: 'resblock' },
    {
      id: 'text.tail',
      kind: 'embeddings',
      tower: 'text',
      prefix: '',
      when: 'parts.text',
      tensors: [{ name: 'token_embedding.weight', shape: ['text.vocab', 'text.width'] }, ...pair('ln_final', ['text.width'])],
    },
    { id: 'decoder.blocks', kind: 'blocks', tower: 'decoder', prefix: 'text_decoder.resblocks.{N}.', when: 'parts.text && coca', repeat: 'coca.decoderLayers', vars: { D: 'coca.decoderWidth', M: '4 * D' }, tensors: 'resblock' },
    { id: 'decoder.cross', kind: 'blocks', tower: 'decoder', prefix: 'text_decoder.cross_attn.{N}.', when: 'parts.text && coca', repeat: 'coca.decoderLayers', vars: { D: 'coca.decoderWidth', M: '4 * D' }, tensors: 'crossblock' },
    {
      id: 'decoder.head',
      kind: 'head',
      tower: 'decoder',
      prefix: 'text_decoder.',
      when: 'parts.text && coca',
      tensors: [...pair('ln_final', ['coca.decoderWidth']), { name: 'text_projection', shape: ['coca.decoderWidth', 'text.vocab'] }],
    },
  ],
};

/**
 * CoCa's / SigLIP-style attentional pooler on a ViT (§1.9): `queries` learned queries attend over
 * the width-D tokens and come out at the embed width E. Shared by the canonical CLIP spec and the
 * open_clip spec (one copy of the pooler).
 */
export function cocaAttnPoolPart(when: string, queries: string): PartSpec {
  return {
    id: 'vision.attn_pool',
    kind: 'head',
    tower: 'vision',
    prefix: 'visual.attn_pool.',
    when,
    vars: { D: 'vision.width', E: 'embed' },
    tensors: [
      { name: 'query', shape: [queries, 'E'] },
      { name: 'attn.q_proj_weight', shape: ['E', 'E'] },
      { name: 'attn.k_proj_weight', shape: ['E', 'D'] },
      { name: 'attn.v_proj_weight', shape: ['E', 'D'] },
      { name: 'attn.in_proj_bias', shape: ['3*E'] },
      { name: 'attn.out_proj.weight', shape: ['E', 'E'] },
      { name: 'attn.out_proj.bias', shape: ['E'] },
      ...pair('ln_q', ['E']),
      ...pair('ln_k', ['D']),
    ],
  };
}

/**
 * OpenAI's ModifiedResNet image tower (§1.5): a 3-conv stem, four stages of bottleneck blocks
 * (`vision.layers` = 4 stage depths), and the attention pool whose `c_proj` is the image
 * projection (ResNet CLIPs have no `visual.proj`). Shared by the canonical CLIP spec and the
 * open_clip spec (one copy of "what a ResNet CLIP tower looks like").
 */
export function modifiedResNetParts(when: string): PartSpec[] {
  return [
    {
      id: 'vision.stem',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'visual.',
      when,
      vars: { w: 'vision.width', h: 'vision.width / 2' },
      tensors: [
        { name: 'conv1.weight', shape: ['h', 3, 3, 3] },
        ...batchNorm('bn1', 'h'),
        { name: 'conv2.weight', shape: ['h', 'h', 3, 3] },
        ...batchNorm('bn2', 'h'),
        { name: 'conv3.weight', shape: ['w', 'h', 3, 3] },
        ...batchNorm('bn3', 'w'),
      ],
    },
    {
      // Bottleneck blocks, expansion 4; only the first block of a stage changes stride or width, so only it has a downsample path.
      id: 'vision.stages',
      kind: 'blocks',
      tower: 'vision',
      prefix: 'visual.layer{S+1}.{N}.',
      when,
      each: 4,
      repeat: 'at(vision.layers, S)',
      vars: { planes: 'vision.width * 2 ** S', inplanes: 'N > 0 ? planes * 4 : S == 0 ? vision.width : vision.width * 2 ** (S - 1) * 4', out: 'planes * 4' },
      tensors: [
        { name: 'conv1.weight', shape: ['planes', 'inplanes', 1, 1] },
        ...batchNorm('bn1', 'planes'),
        { name: 'conv2.weight', shape: ['planes', 'planes', 3, 3] },
        ...batchNorm('bn2', 'planes'),
        { name: 'conv3.weight', shape: ['out', 'planes', 1, 1] },
        ...batchNorm('bn3', 'out'),
        { name: 'downsample.0.weight', shape: ['out', 'inplanes', 1, 1], when: 'N == 0' },
        ...batchNorm('downsample.1', 'out', 'N == 0'),
      ],
    },
    {
      id: 'vision.attnpool',
      kind: 'head',
      tower: 'vision',
      prefix: 'visual.attnpool.',
      when,
      vars: { C: 'vision.width * 32', grid: 'vision.image / 32' },
      tensors: [
        { name: 'positional_embedding', shape: ['grid * grid + 1', 'C'] },
        { name: 'k_proj.weight', shape: ['C', 'C'] },
        { name: 'k_proj.bias', shape: ['C'] },
        { name: 'q_proj.weight', shape: ['C', 'C'] },
        { name: 'q_proj.bias', shape: ['C'] },
        { name: 'v_proj.weight', shape: ['C', 'C'] },
        { name: 'v_proj.bias', shape: ['C'] },
      ],
    },
    // `attnpool.c_proj` is the image projection of ResNet CLIPs.
    { id: 'vision.proj', kind: 'projector', tower: 'projection', prefix: 'visual.attnpool.', when, vars: { C: 'vision.width * 32' }, tensors: [{ name: 'c_proj.weight', shape: ['embed', 'C'] }, { name: 'c_proj.bias', shape: ['embed'] }] },
  ];
}
