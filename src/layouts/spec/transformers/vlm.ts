import type { NamingScheme } from '../naming.js';
import type { PartSpec, TensorTemplate } from '../types.js';
import type { HfArchitecture, HfSubModel } from './types.js';

/**
 * Vision-language models that embed a CLIP / SigLIP tower and a decoder LM. The tower and the LM
 * are other entries (vision.ts, decoders.ts) expanded from `vision_config` / `text_config`; these
 * entries add the projector and say where each piece sits.
 */

const w = (name: string, shape: TensorTemplate['shape'], extra: Partial<TensorTemplate> = {}): TensorTemplate => ({ name, shape, ...extra });
const proj = (id: string, tensors: TensorTemplate[], vars: Record<string, string>): PartSpec => ({ id, kind: 'projector', tower: 'projection', prefix: '', vars, tensors });

const PV = { V: 'vision_config.hidden_size', T: 'text_config.hidden_size' };

const tower = (defaultType: string, prefix: string): HfSubModel => ({ configKey: 'vision_config', defaultType, prefix, as: 'Model', tower: 'vision', label: 'the vision tower' });
const lm = (prefix: string, as = 'ForCausalLM', defaultType = 'llama'): HfSubModel => ({ configKey: 'text_config', defaultType, prefix, as, tower: 'text', label: 'the language model' });

/** transformers ≥ 4.52 saves LLaVA-style models with the base model under `model.` and the LM head at the top. */
const V452: NamingScheme = {
  id: 'transformers>=4.52',
  prefixes: [
    { from: 'language_model.model.', to: 'model.language_model.' },
    { from: 'language_model.lm_head.', to: 'lm_head.' },
    { from: 'vision_tower.', to: 'model.vision_tower.' },
    { from: 'multi_modal_projector.', to: 'model.multi_modal_projector.' },
    { from: 'image_newline', to: 'model.image_newline', exact: true },
  ],
};

const llavaProjector = proj(
  'projector',
  [
    w('multi_modal_projector.linear_1.weight', ['T', 'V']),
    w('multi_modal_projector.linear_1.bias', ['T'], { when: 'multimodal_projector_bias' }),
    w('multi_modal_projector.linear_2.weight', ['T', 'T']),
    w('multi_modal_projector.linear_2.bias', ['T'], { when: 'multimodal_projector_bias' }),
  ],
  PV,
);

const llava: HfArchitecture = {
  id: 'llava',
  modelTypes: ['llava'],
  classPrefix: 'Llava',
  category: 'vlm',
  basePrefix: 'model',
  defaults: { multimodal_projector_bias: true },
  backbone: [llavaProjector],
  heads: { ForConditionalGeneration: { backbone: '', parts: [] } },
  defaultHead: 'ForConditionalGeneration',
  subModels: [tower('clip_vision_model', 'vision_tower.'), lm('language_model.')],
  namings: [V452],
};

const llavaNext: HfArchitecture = {
  ...llava,
  id: 'llava_next',
  modelTypes: ['llava_next'],
  classPrefix: 'LlavaNext',
  backbone: [llavaProjector, { id: 'image_newline', kind: 'projector', tower: 'projection', prefix: '', vars: PV, tensors: [w('image_newline', ['T'])] }],
};

const paligemma: HfArchitecture = {
  id: 'paligemma',
  modelTypes: ['paligemma'],
  classPrefix: 'PaliGemma',
  category: 'vlm',
  basePrefix: 'model',
  defaults: { projection_dim: 2048 },
  backbone: [proj('projector', [w('multi_modal_projector.linear.weight', ['projection_dim', 'V']), w('multi_modal_projector.linear.bias', ['projection_dim'])], PV)],
  heads: { ForConditionalGeneration: { backbone: '', parts: [] } },
  defaultHead: 'ForConditionalGeneration',
  subModels: [tower('siglip_vision_model', 'vision_tower.'), lm('language_model.', 'ForCausalLM', 'gemma')],
  namings: [V452],
};

const gemma3: HfArchitecture = {
  id: 'gemma3',
  modelTypes: ['gemma3'],
  classPrefix: 'Gemma3',
  category: 'vlm',
  basePrefix: 'model',
  defaults: {},
  backbone: [proj('projector', [w('multi_modal_projector.mm_input_projection_weight', ['V', 'T']), w('multi_modal_projector.mm_soft_emb_norm.weight', ['V'])], PV)],
  heads: { ForConditionalGeneration: { backbone: '', parts: [] } },
  defaultHead: 'ForConditionalGeneration',
  subModels: [tower('siglip_vision_model', 'vision_tower.'), lm('language_model.', 'ForCausalLM', 'gemma3_text')],
  namings: [V452],
};

/** Idefics3 / SmolVLM: `model.vision_model`, pixel-shuffle connector, `model.text_model` (a base LM), `lm_head` at the top. */
const idefics3: HfArchitecture = {
  id: 'idefics3',
  modelTypes: ['idefics3'],
  classPrefix: 'Idefics3',
  category: 'vlm',
  basePrefix: 'model',
  defaults: { scale_factor: 2, tie_word_embeddings: false, 'text_config.vocab_size': 128259 },
  backbone: [proj('projector', [w('connector.modality_projection.proj.weight', ['T', 'V * scale_factor * scale_factor'])], PV)],
  heads: {
    ForConditionalGeneration: {
      backbone: 'model.',
      parts: (<PartSpec[]>[
        { id: 'lm_head', kind: 'head', tower: 'text', prefix: '', when: 'tie_word_embeddings', tensors: [w('lm_head.weight', ['text_config.vocab_size', 'T'], { role: 'tied', tiedTo: 'model.text_model.embed_tokens.weight' })] },
        { id: 'lm_head', kind: 'head', tower: 'text', prefix: '', when: '!tie_word_embeddings', tensors: [w('lm_head.weight', ['text_config.vocab_size', 'T'])] },
      ]).map((p) => ({ ...p, vars: PV })),
    },
    Model: { backbone: '', parts: [] },
  },
  defaultHead: 'ForConditionalGeneration',
  subModels: [
    { configKey: 'vision_config', defaultType: 'idefics3_vision', prefix: 'vision_model.', as: 'Model', tower: 'vision', label: 'the vision tower' },
    lm('text_model.', 'Model'),
  ],
};

const smolvlm: HfArchitecture = { ...idefics3, id: 'smolvlm', modelTypes: ['smolvlm'], classPrefix: 'SmolVLM', subModels: [{ ...idefics3.subModels![0]!, defaultType: 'smolvlm_vision' }, idefics3.subModels![1]!] };

/**
 * The original LLaVA code base (haotian-liu/LLaVA, LISA, …): a Llama config with `mm_*` fields,
 * `model.mm_projector` after the Llama base model, the CLIP tower loaded separately from
 * `mm_vision_tower` (usually not stored in the checkpoint; `model.vision_tower.*` when it is).
 */
const llavaOriginal: HfArchitecture = {
  id: 'llava-original',
  modelTypes: [],
  classPrefix: 'LlavaLlama',
  category: 'vlm',
  basePrefix: 'model',
  defaults: { mm_projector_type: 'linear', mm_hidden_size: 1024, hidden_size: 4096 },
  vars: { gelu: "mm_projector_type == 'mlp2x_gelu'" },
  backbone: [
    proj(
      'projector',
      [
        w('model.mm_projector.weight', ['hidden_size', 'mm_hidden_size'], { when: '!gelu' }),
        w('model.mm_projector.bias', ['hidden_size'], { when: '!gelu' }),
        w('model.mm_projector.0.weight', ['hidden_size', 'mm_hidden_size'], { when: 'gelu' }),
        w('model.mm_projector.0.bias', ['hidden_size'], { when: 'gelu' }),
        w('model.mm_projector.2.weight', ['hidden_size', 'hidden_size'], { when: 'gelu' }),
        w('model.mm_projector.2.bias', ['hidden_size'], { when: 'gelu' }),
      ],
      {},
    ),
  ],
  heads: { ForCausalLM: { backbone: '', parts: [] } },
  defaultHead: 'ForCausalLM',
  // The config IS the Llama config: the language model is expanded from the top level.
  subModels: [{ configKey: '', defaultType: 'llama', prefix: '', as: 'ForCausalLM', tower: 'text', label: 'the language model' }],
};

export const VLMS: readonly HfArchitecture[] = [llava, llavaNext, paligemma, gemma3, idefics3, smolvlm, llavaOriginal];
