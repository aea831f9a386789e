import type { ConvertPlan } from './plan.js';

/**
 * Config files written beside the converted weights so the target loader can build the model:
 * transformers `config.json` (for `CLIPModel.from_pretrained(dir)`) and open_clip
 * `open_clip_config.json` (only when every field is known: head counts and activation from a
 * config file or a named configuration, never guessed).
 */
export interface SideFile {
  readonly fileName: string;
  readonly json: unknown;
}

const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073];
const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711];

export function sideConfigFor(plan: ConvertPlan, dtypeName: string): SideFile | null {
  const { cfg, activation, assumed } = plan.derived;
  const hasText = plan.entries.some((e) => e.tower === 'text');
  const hasVision = plan.entries.some((e) => e.tower === 'vision');
  if (plan.kind === 'hf') {
    if (cfg.vision.kind !== 'vit') return null;
    const v = cfg.vision;
    const t = cfg.text;
    const arch = hasVision && hasText ? 'CLIPModel' : hasVision ? 'CLIPVisionModelWithProjection' : 'CLIPTextModelWithProjection';
    return {
      fileName: 'config.json',
      json: {
        architectures: [arch],
        model_type: 'clip',
        projection_dim: cfg.embedDim,
        logit_scale_init_value: 2.6592,
        initializer_factor: 1.0,
        torch_dtype: dtypeName,
        text_config: {
          model_type: 'clip_text_model',
          hidden_size: t.width,
          intermediate_size: t.mlp,
          num_hidden_layers: t.layers,
          num_attention_heads: t.heads,
          max_position_embeddings: t.context,
          vocab_size: t.vocab,
          hidden_act: activation,
          layer_norm_eps: 1e-5,
          projection_dim: cfg.embedDim,
          // eos_token_id 2 keeps transformers' argmax pooling, which is what OpenAI / open_clip do (schemas §7).
          bos_token_id: 0,
          eos_token_id: 2,
          pad_token_id: 1,
        },
        vision_config: {
          model_type: 'clip_vision_model',
          hidden_size: v.width,
          intermediate_size: v.mlp,
          num_hidden_layers: v.layers,
          num_attention_heads: v.heads,
          image_size: v.image,
          patch_size: v.patch,
          num_channels: 3,
          hidden_act: activation,
          layer_norm_eps: 1e-5,
          projection_dim: cfg.embedDim,
        },
        checkpoint_lens: { converted: true, assumed },
      },
    };
  }
  if (plan.kind === 'openclip') {
    if (assumed.length) return null;
    const v = cfg.vision;
    const t = cfg.text;
    const vision_cfg =
      v.kind === 'vit'
        ? { image_size: v.image, layers: v.layers, width: v.width, patch_size: v.patch, head_width: v.width / v.heads, mlp_ratio: v.mlp / v.width }
        : { image_size: v.image, layers: [...v.layers], width: v.width, head_width: (v.width * 32) / v.heads };
    return {
      fileName: 'open_clip_config.json',
      json: {
        model_cfg: {
          embed_dim: cfg.embedDim,
          ...(activation === 'quick_gelu' ? { quick_gelu: true } : {}),
          vision_cfg,
          text_cfg: { context_length: t.context, vocab_size: t.vocab, width: t.width, heads: t.heads, layers: t.layers, mlp_ratio: t.mlp / t.width },
        },
        preprocess_cfg: { size: v.image, mean: OPENAI_MEAN, std: OPENAI_STD, interpolation: 'bicubic', resize_mode: 'shortest' },
      },
    };
  }
  return null;
}
