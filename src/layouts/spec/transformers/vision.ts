import type { PartSpec, TensorTemplate } from '../types.js';
import type { HfArchitecture } from './types.js';
import { HF_LAYER } from '../hf.js';

/** Vision encoders: ViT, DINOv2, and the CLIP / SigLIP / Idefics3 towers VLMs embed (transformers naming). */

const w = (name: string, shape: TensorTemplate['shape'], extra: Partial<TensorTemplate> = {}): TensorTemplate => ({ name, shape, ...extra });
const lin = (name: string, out: string | number, inp: string | number, bias: boolean | string = true): TensorTemplate[] => [
  w(`${name}.weight`, [out, inp]),
  ...(bias === true ? [w(`${name}.bias`, [out])] : typeof bias === 'string' ? [w(`${name}.bias`, [out], { when: bias })] : []),
];
const ln = (name: string, dim = 'D'): TensorTemplate[] => [w(`${name}.weight`, [dim]), w(`${name}.bias`, [dim])];
const task = (id: string, tensors: TensorTemplate[]): PartSpec => ({ id, kind: 'head', tower: 'other', prefix: '', tensors: tensors.map((t) => ({ ...t, role: 'task-head' as const })) });

const VIT_VARS = { D: 'hidden_size', M: 'intermediate_size', P: 'patch_size', G: '(image_size // patch_size) * (image_size // patch_size)' };

const vitLayer = (mlp: TensorTemplate[], norms: [string, string], extra: TensorTemplate[] = []): TensorTemplate[] => [
  ...ln(norms[0]),
  ...lin('attention.attention.query', 'D', 'D', 'qkv_bias'),
  ...lin('attention.attention.key', 'D', 'D', 'qkv_bias'),
  ...lin('attention.attention.value', 'D', 'D', 'qkv_bias'),
  ...lin('attention.output.dense', 'D', 'D'),
  ...ln(norms[1]),
  ...mlp,
  ...extra,
];

const vit: HfArchitecture = {
  id: 'vit',
  modelTypes: ['vit'],
  classPrefix: 'ViT',
  category: 'vision',
  basePrefix: 'vit',
  defaults: { hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072, image_size: 224, patch_size: 16, num_channels: 3, qkv_bias: true, encoder_stride: 16, num_labels: 2 },
  backbone: [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'embeddings.',
      vars: VIT_VARS,
      tensors: [w('cls_token', [1, 1, 'D']), w('mask_token', [1, 1, 'D'], { role: 'optional' }), w('position_embeddings', [1, 'G + 1', 'D']), w('patch_embeddings.projection.weight', ['D', 'num_channels', 'P', 'P']), w('patch_embeddings.projection.bias', ['D'])],
    },
    { id: 'blocks', kind: 'blocks', tower: 'vision', prefix: 'encoder.layer.{N}.', repeat: 'num_hidden_layers', vars: VIT_VARS, tensors: vitLayer([...lin('intermediate.dense', 'M', 'D'), ...lin('output.dense', 'D', 'M')], ['layernorm_before', 'layernorm_after']) },
    { id: 'norm', kind: 'norm', tower: 'vision', prefix: '', vars: VIT_VARS, tensors: ln('layernorm') },
    { id: 'pooler', kind: 'head', tower: 'other', prefix: '', vars: VIT_VARS, tensors: lin('pooler.dense', 'D', 'D').map((t) => ({ ...t, role: 'task-head' as const })) },
  ],
  heads: {
    Model: { backbone: '', parts: [] },
    ForImageClassification: { backbone: 'vit.', without: ['pooler'], task: true, parts: [task('classifier', lin('classifier', 'num_labels', 'hidden_size'))] },
    ForMaskedImageModeling: {
      backbone: 'vit.',
      without: ['pooler'],
      parts: [{ id: 'decoder', kind: 'head', tower: 'other', prefix: '', tensors: [w('decoder.0.weight', ['encoder_stride * encoder_stride * num_channels', 'hidden_size', 1, 1]), w('decoder.0.bias', ['encoder_stride * encoder_stride * num_channels'])] }],
    },
  },
  defaultHead: 'Model',
};

const DINO_VARS = { D: 'hidden_size', M: 'floor(hidden_size * mlp_ratio)', P: 'patch_size', G: '(image_size // patch_size) * (image_size // patch_size)', SW: '((floor(hidden_size * mlp_ratio) * 2 // 3) + 7) // 8 * 8' };
const dinov2: HfArchitecture = {
  id: 'dinov2',
  modelTypes: ['dinov2'],
  classPrefix: 'Dinov2',
  category: 'vision',
  basePrefix: 'dinov2',
  defaults: { hidden_size: 768, num_hidden_layers: 12, mlp_ratio: 4, image_size: 224, patch_size: 16, num_channels: 3, qkv_bias: true, use_swiglu_ffn: false, num_labels: 2 },
  backbone: [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'embeddings.',
      vars: DINO_VARS,
      tensors: [w('cls_token', [1, 1, 'D']), w('mask_token', [1, 'D']), w('position_embeddings', [1, 'G + 1', 'D']), w('patch_embeddings.projection.weight', ['D', 'num_channels', 'P', 'P']), w('patch_embeddings.projection.bias', ['D'])],
    },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'vision',
      prefix: 'encoder.layer.{N}.',
      repeat: 'num_hidden_layers',
      vars: DINO_VARS,
      tensors: vitLayer(
        [
          ...[...lin('mlp.fc1', 'M', 'D'), ...lin('mlp.fc2', 'D', 'M')].map((t) => ({ ...t, when: '!use_swiglu_ffn' })),
          ...[...lin('mlp.weights_in', '2 * SW', 'D'), ...lin('mlp.weights_out', 'D', 'SW')].map((t) => ({ ...t, when: 'use_swiglu_ffn' })),
        ],
        ['norm1', 'norm2'],
        [w('layer_scale1.lambda1', ['D']), w('layer_scale2.lambda1', ['D'])],
      ),
    },
    { id: 'norm', kind: 'norm', tower: 'vision', prefix: '', vars: DINO_VARS, tensors: ln('layernorm') },
  ],
  heads: {
    Model: { backbone: '', parts: [] },
    // The classifier reads [CLS] concatenated with the mean patch token: 2 × hidden.
    ForImageClassification: { backbone: 'dinov2.', task: true, parts: [task('classifier', lin('classifier', 'num_labels', '2 * hidden_size'))] },
  },
  defaultHead: 'Model',
};

/** CLIP / SigLIP encoder layer (transformers naming), the same in both: the CLIP family's spec (../hf.ts) holds it. */
export const CLIP_LAYER: readonly TensorTemplate[] = HF_LAYER;

const TOWER_VARS = { D: 'hidden_size', M: 'intermediate_size', P: 'patch_size', G: '(image_size // patch_size) * (image_size // patch_size)' };

/** `CLIPVisionModel` (names relative to `vision_model.`): what LLaVA embeds as `vision_tower`. */
const clipVision: HfArchitecture = {
  id: 'clip_vision_model',
  modelTypes: ['clip_vision_model'],
  classPrefix: 'CLIPVision',
  category: 'vision-tower',
  basePrefix: 'vision_model',
  defaults: { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, num_channels: 3, image_size: 224, patch_size: 32 },
  backbone: [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'embeddings.',
      vars: TOWER_VARS,
      tensors: [w('class_embedding', ['D']), w('patch_embedding.weight', ['D', 'num_channels', 'P', 'P']), w('position_embedding.weight', ['G + 1', 'D'])],
    },
    { id: 'pre_norm', kind: 'norm', tower: 'vision', prefix: '', vars: TOWER_VARS, tensors: ln('pre_layrnorm') },
    { id: 'blocks', kind: 'blocks', tower: 'vision', prefix: 'encoder.layers.{N}.', repeat: 'num_hidden_layers', vars: TOWER_VARS, tensors: CLIP_LAYER },
    // LLaVA takes the features of layer -2; the post-norm is built but unused there.
    { id: 'norm', kind: 'norm', tower: 'vision', prefix: '', vars: TOWER_VARS, tensors: ln('post_layernorm') },
  ],
  heads: { Model: { backbone: 'vision_model.', parts: [] } },
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
};

/** `SiglipVisionModel` (relative to `vision_model.`); the attention-pooling head is built by default but VLMs do not use it. */
const siglipVision: HfArchitecture = {
  id: 'siglip_vision_model',
  modelTypes: ['siglip_vision_model'],
  classPrefix: 'SiglipVision',
  category: 'vision-tower',
  basePrefix: 'vision_model',
  defaults: { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, num_channels: 3, image_size: 224, patch_size: 16, vision_use_head: true },
  backbone: [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'embeddings.',
      vars: TOWER_VARS,
      tensors: [w('patch_embedding.weight', ['D', 'num_channels', 'P', 'P']), w('patch_embedding.bias', ['D']), w('position_embedding.weight', ['G', 'D'])],
    },
    { id: 'blocks', kind: 'blocks', tower: 'vision', prefix: 'encoder.layers.{N}.', repeat: 'num_hidden_layers', vars: TOWER_VARS, tensors: CLIP_LAYER },
    { id: 'norm', kind: 'norm', tower: 'vision', prefix: '', vars: TOWER_VARS, tensors: ln('post_layernorm') },
    {
      id: 'pool_head',
      kind: 'head',
      tower: 'vision',
      prefix: 'head.',
      when: 'vision_use_head',
      vars: TOWER_VARS,
      tensors: [w('probe', [1, 1, 'D']), w('attention.in_proj_weight', ['3 * D', 'D']), w('attention.in_proj_bias', ['3 * D']), ...lin('attention.out_proj', 'D', 'D'), ...ln('layernorm'), ...lin('mlp.fc1', 'M', 'D'), ...lin('mlp.fc2', 'D', 'M')].map((t) => ({ ...t, role: 'optional' as const })),
    },
  ],
  heads: { Model: { backbone: 'vision_model.', parts: [] } },
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
};

/** Idefics3 / SmolVLM vision transformer (SigLIP-like, no pooling head), relative to its own prefix. */
const idefics3Vision: HfArchitecture = {
  ...siglipVision,
  id: 'idefics3_vision',
  modelTypes: ['idefics3_vision', 'smolvlm_vision'],
  classPrefix: 'Idefics3Vision',
  defaults: { hidden_size: 1152, intermediate_size: 3072, num_hidden_layers: 12, num_channels: 3, image_size: 224, patch_size: 32 },
  backbone: siglipVision.backbone.filter((p) => p.id !== 'pool_head'),
  heads: { Model: { backbone: '', parts: [] } },
};

export const VISION: readonly HfArchitecture[] = [vit, dinov2, clipVision, siglipVision, idefics3Vision];
