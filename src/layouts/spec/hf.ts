import { pair } from './clip.js';
import type { ArchitectureSpec, PartSpec, SpecConfig, TensorTemplate } from './types.js';

/**
 * transformers CLIP*, Siglip* and Siglip2* classes as one spec over their config.json (in
 * transformers' own names). Siglip2 differs from Siglip only in its NaFlex vision embeddings: the
 * patch embedding is a Linear over flattened patches ([D, C·p·p]) and the position embedding has
 * `num_patches` rows (resized to the image's patch grid at run time). config.json is written as a diff against the config class defaults, so the defaults
 * below are the classes' (CLIPTextConfig / CLIPVisionConfig / SiglipTextConfig / SiglipVisionConfig /
 * Siglip2TextConfig / Siglip2VisionConfig).
 * Which parts a class holds is data too (HF_CLASSES).
 */


/** CLIPEncoderLayer / SiglipEncoderLayer (16 tensors, transformers' order): the one copy (the VLM towers in transformers/vision.ts use it too). */
export const HF_LAYER: readonly TensorTemplate[] = [
  ...['k', 'v', 'q', 'out'].flatMap((x) => [
    { name: `self_attn.${x}_proj.weight`, shape: ['D', 'D'] },
    { name: `self_attn.${x}_proj.bias`, shape: ['D'] },
  ]),
  ...pair('layer_norm1', ['D']),
  { name: 'mlp.fc1.weight', shape: ['M', 'D'] },
  { name: 'mlp.fc1.bias', shape: ['M'] },
  { name: 'mlp.fc2.weight', shape: ['D', 'M'] },
  { name: 'mlp.fc2.bias', shape: ['D'] },
  ...pair('layer_norm2', ['D']),
];

const text = (extra: string) => `hasText${extra}`;
const vision = (extra: string) => `hasVision${extra}`;

const parts: readonly PartSpec[] = [
  {
    // logit_scale is [] in CLIPModel and [1] in SiglipModel (with logit_bias [1]).
    id: 'logit_scale',
    kind: 'scalar',
    tower: 'projection',
    prefix: '',
    when: 'scalars',
    tensors: [
      { name: 'logit_scale', shape: [], when: '!siglip' },
      { name: 'logit_scale', shape: [1], when: 'siglip' },
    ],
  },
  { id: 'logit_bias', kind: 'scalar', tower: 'projection', prefix: '', when: 'scalars && siglip', tensors: [{ name: 'logit_bias', shape: [1] }] },
  { id: 'text.embeddings', kind: 'embeddings', tower: 'text', prefix: 'text_model.embeddings.', when: text(''), vars: { D: 't.hidden_size' }, tensors: [{ name: 'token_embedding.weight', shape: ['t.vocab_size', 'D'] }, { name: 'position_embedding.weight', shape: ['t.max_position_embeddings', 'D'] }] },
  { id: 'text.blocks', kind: 'blocks', tower: 'text', prefix: 'text_model.encoder.layers.{N}.', when: text(''), repeat: 't.num_hidden_layers', vars: { D: 't.hidden_size', M: 't.intermediate_size' }, tensors: 'layer' },
  { id: 'text.norm', kind: 'norm', tower: 'text', prefix: 'text_model.', when: text(''), tensors: pair('final_layer_norm', ['t.hidden_size']) },
  // SigLIP's text projection lives in the text model (`text_model.head`).
  { id: 'text.proj', kind: 'projector', tower: 'projection', prefix: 'text_model.', when: text(' && siglip'), vars: { P: 'def(t.projection_size, t.hidden_size)' }, tensors: [{ name: 'head.weight', shape: ['P', 't.hidden_size'] }, { name: 'head.bias', shape: ['P'] }] },
  {
    id: 'vision.embeddings',
    kind: 'embeddings',
    tower: 'vision',
    prefix: 'vision_model.',
    when: vision(''),
    vars: { D: 'v.hidden_size', p: 'v.patch_size', g: 'siglip2 ? 0 : v.image_size // v.patch_size' },
    tensors: [
      { name: 'embeddings.class_embedding', shape: ['D'], when: '!siglip' },
      { name: 'embeddings.patch_embedding.weight', shape: ['D', 'v.num_channels', 'p', 'p'], when: '!siglip2' },
      { name: 'embeddings.patch_embedding.weight', shape: ['D', 'v.num_channels * p * p'], when: 'siglip2' },
      { name: 'embeddings.patch_embedding.bias', shape: ['D'], when: 'siglip' },
      { name: 'embeddings.position_embedding.weight', shape: ['g * g + (siglip ? 0 : 1)', 'D'], when: '!siglip2' },
      { name: 'embeddings.position_embedding.weight', shape: ['v.num_patches', 'D'], when: 'siglip2' },
      ...pair('pre_layrnorm', ['D'], '!siglip'),
    ],
  },
  { id: 'vision.blocks', kind: 'blocks', tower: 'vision', prefix: 'vision_model.encoder.layers.{N}.', when: vision(''), repeat: 'v.num_hidden_layers', vars: { D: 'v.hidden_size', M: 'v.intermediate_size' }, tensors: 'layer' },
  { id: 'vision.norm', kind: 'norm', tower: 'vision', prefix: 'vision_model.', when: vision(''), tensors: pair('post_layernorm', ['v.hidden_size']) },
  {
    // SigLIP's MAP head (multihead attention pooling with a learned probe).
    id: 'vision.attn_pool',
    kind: 'head',
    tower: 'vision',
    prefix: 'vision_model.head.',
    when: vision(' && siglip && v.vision_use_head'),
    vars: { D: 'v.hidden_size', M: 'v.intermediate_size' },
    tensors: [
      { name: 'probe', shape: [1, 1, 'D'] },
      { name: 'attention.in_proj_weight', shape: ['3*D', 'D'] },
      { name: 'attention.in_proj_bias', shape: ['3*D'] },
      { name: 'attention.out_proj.weight', shape: ['D', 'D'] },
      { name: 'attention.out_proj.bias', shape: ['D'] },
      ...pair('layernorm', ['D']),
      { name: 'mlp.fc1.weight', shape: ['M', 'D'] },
      { name: 'mlp.fc1.bias', shape: ['M'] },
      { name: 'mlp.fc2.weight', shape: ['D', 'M'] },
      { name: 'mlp.fc2.bias', shape: ['D'] },
    ],
  },
  { id: 'vision.proj', kind: 'projector', tower: 'projection', prefix: '', when: 'visionProj', tensors: [{ name: 'visual_projection.weight', shape: ['projection_dim', 'v.hidden_size'] }] },
  { id: 'text.proj', kind: 'projector', tower: 'projection', prefix: '', when: 'textProj', tensors: [{ name: 'text_projection.weight', shape: ['projection_dim', 't.hidden_size'] }] },
  { id: 'classifier', kind: 'head', tower: 'other', prefix: 'classifier.', when: 'classifier', tensors: [{ name: 'weight', shape: ['num_labels', 'v.hidden_size'], role: 'task-head' }, { name: 'bias', shape: ['num_labels'], role: 'task-head' }] },
];
export const HF_CLIP_SPEC: ArchitectureSpec = {
  id: 'transformers-clip-siglip',
  description: 'transformers CLIP* / Siglip* classes from config.json',
  templates: { layer: HF_LAYER },
  parts,
};

/** Which parts each class holds. */
export const HF_CLASSES: Readonly<Record<string, { siglip: boolean; siglip2?: boolean; text: boolean; vision: boolean; textProj?: boolean; visionProj?: boolean; scalars?: boolean; classifier?: boolean }>> = {
  CLIPModel: { siglip: false, text: true, vision: true, textProj: true, visionProj: true, scalars: true },
  CLIPVisionModel: { siglip: false, text: false, vision: true },
  CLIPVisionModelWithProjection: { siglip: false, text: false, vision: true, visionProj: true },
  CLIPTextModel: { siglip: false, text: true, vision: false },
  CLIPTextModelWithProjection: { siglip: false, text: true, vision: false, textProj: true },
  CLIPForImageClassification: { siglip: false, text: false, vision: true, classifier: true },
  SiglipModel: { siglip: true, text: true, vision: true, scalars: true },
  SiglipVisionModel: { siglip: true, text: false, vision: true },
  SiglipTextModel: { siglip: true, text: true, vision: false },
  SiglipForImageClassification: { siglip: true, text: false, vision: true, classifier: true },
  Siglip2Model: { siglip: true, siglip2: true, text: true, vision: true, scalars: true },
  Siglip2VisionModel: { siglip: true, siglip2: true, text: false, vision: true },
  Siglip2TextModel: { siglip: true, siglip2: true, text: true, vision: false },
  Siglip2ForImageClassification: { siglip: true, siglip2: true, text: false, vision: true, classifier: true },
};

const CLIP_TEXT = { vocab_size: 49408, hidden_size: 512, intermediate_size: 2048, num_hidden_layers: 12, max_position_embeddings: 77 };
const CLIP_VISION = { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, image_size: 224, patch_size: 32, num_channels: 3 };
const SIGLIP_TEXT = { vocab_size: 32000, hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, max_position_embeddings: 64 };
const SIGLIP_VISION = { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, image_size: 224, patch_size: 16, num_channels: 3, vision_use_head: true };
const SIGLIP2_VISION = { hidden_size: 768, intermediate_size: 3072, num_hidden_layers: 12, patch_size: 16, num_channels: 3, num_patches: 256, vision_use_head: true };

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The model types this spec reads. */
export const HF_CLIP_MODEL_TYPES = ['clip', 'clip_vision_model', 'clip_text_model', 'siglip', 'siglip_vision_model', 'siglip_text_model', 'siglip2', 'siglip2_vision_model', 'siglip2_text_model'] as const;

/**
 * config.json (+ the class to build; default `architectures[0]`, else the model type's base class)
 * → flat fields for HF_CLIP_SPEC, or a reason it cannot.
 */
export function hfSpecConfig(cfg: Json, cls?: string): { config: SpecConfig; cls: string } | { error: string } {
  const mt = typeof cfg.model_type === 'string' ? cfg.model_type : '';
  if (!(HF_CLIP_MODEL_TYPES as readonly string[]).includes(mt)) return { error: `model_type ${JSON.stringify(mt)} is not a CLIP / SigLIP config` };
  const siglip = mt.startsWith('siglip');
  const siglip2 = mt.startsWith('siglip2');
  const arch = Array.isArray(cfg.architectures) && typeof cfg.architectures[0] === 'string' ? (cfg.architectures[0] as string) : undefined;
  const base = mt.endsWith('_vision_model') ? 'VisionModel' : mt.endsWith('_text_model') ? 'TextModel' : 'Model';
  const name = cls ?? arch ?? `${siglip2 ? 'Siglip2' : siglip ? 'Siglip' : 'CLIP'}${base}`;
  const c = HF_CLASSES[name];
  if (!c) return { error: `transformers class ${JSON.stringify(name)} is not one of ${Object.keys(HF_CLASSES).join(', ')}` };
  if (c.siglip !== siglip || Boolean(c.siglip2) !== siglip2) return { error: `class ${name} does not build a ${mt} config` };
  const sub = (key: string, own: boolean) => (own ? cfg : isObj(cfg[key]) ? (cfg[key] as Json) : isObj(cfg[`${key}_dict`]) ? (cfg[`${key}_dict`] as Json) : {});
  const t = { ...(siglip ? SIGLIP_TEXT : CLIP_TEXT), ...sub('text_config', mt.endsWith('_text_model')) };
  const v = { ...(siglip2 ? SIGLIP2_VISION : siglip ? SIGLIP_VISION : CLIP_VISION), ...sub('vision_config', mt.endsWith('_vision_model')) };
  const f: Record<string, SpecConfig[string]> = {
    siglip,
    siglip2,
    hasText: c.text,
    hasVision: c.vision,
    textProj: Boolean(c.textProj),
    visionProj: Boolean(c.visionProj),
    scalars: Boolean(c.scalars),
    classifier: Boolean(c.classifier),
    projection_dim: typeof cfg.projection_dim === 'number' ? cfg.projection_dim : 512,
    num_labels: isObj(cfg.id2label) ? Object.keys(cfg.id2label).length : typeof cfg.num_labels === 'number' ? cfg.num_labels : 2,
  };
  for (const [k, val] of Object.entries(t)) if (typeof val === 'number' || typeof val === 'boolean') f[`t.${k}`] = val;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'number' || typeof val === 'boolean') f[`v.${k}`] = val;
  return { config: f, cls: name };
}
