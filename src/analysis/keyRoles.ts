/**
 * Role classification of tensor names from a loading log: which PART of the model a name belongs
 * to (embeddings, blocks, vision tower, task head, …) and what ROLE it plays there (a trained
 * weight, a task head created by `from_pretrained(ArchForTask)`, a tied copy, a constant buffer,
 * an adapter weight, …). The role decides how much a missing or unused tensor matters.
 *
 * Interface: `classifyKeys(names, context) → one KeyClass per name`.
 * - When an `ArchitectureRoleSource` knows the architecture (the project's generated-layout
 *   mechanism, `src/layouts/spec/`), its answer wins for the names it knows.
 * - Otherwise generic, documented name-pattern rules apply (the table `GENERIC_RULES` below and
 *   docs/explain-log.md "How names are classified"). They follow transformers' naming
 *   conventions (`classifier.*`, `score.*`, `qa_outputs.*`, `lm_head`, `pooler.*`, `embed_tokens`,
 *   `layers.N`), PyTorch/timm/open_clip conventions (`head.*`, `fc.*`, `visual.*`) and PEFT's
 *   (`lora_A`, `lora_B`, …).
 * No I/O, no `vscode`.
 */

export type KeyRole =
  /** A weight learnt in training: missing = random (error), unused = not loaded. */
  | 'trained'
  /** Created by `from_pretrained(ArchForTask)` for the task: new when fine-tuning (train before use). */
  | 'task-head'
  /** Pre-training head (MLM/NSP/ELECTRA/…): dropped when fine-tuning a base model. */
  | 'pretraining-head'
  /** Shares storage with another weight (lm_head ↔ embed_tokens, decoder.bias ↔ bias). */
  | 'tied'
  /** Tied only when the config says so (`tie_word_embeddings`): check before trusting it. */
  | 'tied-if-configured'
  /** Constant or recomputed buffer (position_ids, causal masks, rotary inv_freq, BN counters). */
  | 'buffer'
  /** Fixed (sin-cos) position table, computed, never learnt. */
  | 'fixed'
  /** Pooler: used only by the pooled output; a head fine-tuned on top trains it. */
  | 'pooler'
  /** New by design in this model class (cross-attention of a composed encoder-decoder, MAE decoder, a LLaVA projector before stage 1). */
  | 'new-by-design'
  /** A PEFT adapter weight (LoRA A/B, IA³, DoRA magnitude, …): unused = the fine-tune is lost. */
  | 'adapter'
  /** Quantization side tensor (GPTQ qweight/qzeros/scales/g_idx, bitsandbytes absmax/SCB, FP8 weight_scale, MLX scales/biases). */
  | 'quant-aux'
  /** A lone container key (`state_dict`, `model`, …): the checkpoint was a dict of dicts. */
  | 'container'
  /** Loaded by the model's own code from elsewhere (LLaVA's vision tower). */
  | 'loaded-separately';

export type PartId =
  | 'embeddings'
  | 'blocks'
  | 'final-norm'
  | 'lm-head'
  | 'task-head'
  | 'pretraining-head'
  | 'pooler'
  | 'vision-tower'
  | 'text-tower'
  | 'audio-tower'
  | 'projector'
  | 'cross-attention'
  | 'decoder'
  | 'container'
  | 'other';

export interface KeyClass {
  part: PartId;
  role: KeyRole;
  /** Which rule decided (`generic:task-head`, `spec:llama`, …): shown as evidence. */
  rule: string;
  /** `encoder` / `decoder` for seq2seq names, when the name says so. */
  stack?: 'encoder' | 'decoder';
}

export interface RoleContext {
  /** Model class the log names (`BertForSequenceClassification`). */
  modelClass?: string | null;
  /** transformers `model_type` when known (`bert`); else guessed from the class. */
  architecture?: string | null;
  /** Checkpoint path or hub id the log names. */
  checkpoint?: string | null;
  /** Is the list the model's missing names or the checkpoint's unused names? */
  list: 'missing' | 'unexpected' | 'mismatched';
}

/**
 * Architecture knowledge from the generated-layout mechanism. Returns, per name, a class it is
 * sure of, or undefined to leave that name to the generic rules; null when it does not know the
 * architecture at all.
 */
export interface ArchitectureRoleSource {
  classify(names: readonly string[], ctx: RoleContext & { architecture: string }): (KeyClass | undefined)[] | null;
}

// ---------------------------------------------------------------------------------------------
// Model classes

const TASK_SUFFIX_RE =
  /For(?:Sequence|Token|Image|Audio|Video|AudioFrame|Multiple|MultiLabel)?Classification$|ForQuestionAnswering$|ForMultipleChoice$|ForCTC$|ForXVector$|ForObjectDetection$|For(?:Semantic|Instance|Universal|Panoptic)?Segmentation$|ForDepthEstimation$|ForRegression$|ForNextSentencePrediction$/;
const MLM_SUFFIX_RE = /ForMaskedLM$|ForPreTraining$|ForMaskedImageModeling$|LMHeadModel$|ForCausalLM$|ForConditionalGeneration$|WithLMHead$/;

/** Is this a class whose head is created for a downstream task? */
export function isTaskClass(modelClass: string | null | undefined): boolean {
  return !!modelClass && TASK_SUFFIX_RE.test(modelClass);
}

/**
 * transformers `model_type` guessed from a class name: `LlamaForCausalLM` → `llama`,
 * `XLMRobertaForSequenceClassification` → `xlm-roberta`, `GPT2LMHeadModel` → `gpt2`.
 * Null for names that are not transformers-style classes.
 */
export function architectureOfClass(modelClass: string | null | undefined): string | null {
  if (!modelClass) return null;
  const base = modelClass
    .replace(/^TF|^Flax/, '')
    .replace(/(?:For\w+|LMHeadModel|DoubleHeadsModel|MTModel|Model(?:WithProjection)?|PreTrainedModel|Encoder|Decoder)$/, '');
  if (!base || base === modelClass) return null;
  const special: Record<string, string> = { XLMRoberta: 'xlm-roberta', DebertaV2: 'deberta-v2', GPTNeoX: 'gpt_neox', GPTNeo: 'gpt_neo', GPTJ: 'gptj', Qwen2Moe: 'qwen2_moe', Qwen3Moe: 'qwen3_moe', DeepseekV3: 'deepseek_v3', LlavaNext: 'llava_next', VisionEncoderDecoder: 'vision-encoder-decoder', EncoderDecoder: 'encoder-decoder', SpeechEncoderDecoder: 'speech-encoder-decoder' };
  return special[base] ?? base.toLowerCase();
}

/** Families whose output head is tied to the input embeddings by default in transformers. */
const TIED_BY_DEFAULT = /^(?:gpt2|gpt_neo|bert|roberta|xlm-roberta|distilbert|albert|electra|deberta|deberta-v2|camembert|mobilebert|bart|mbart|marian|t5|mt5|pegasus|blenderbot|gemma\d*|bloom|opt|falcon|xglm|whisper|modernbert|layoutlm|funnel|ernie|nezha|megatron-bert|big_bird|longformer|squeezebert|mpnet|luke|rembert|xlm)$/;
/** Families whose head is a separate trained matrix by default (some sizes tie: the config says). */
const UNTIED_BY_DEFAULT = /^(?:llama|mistral|mixtral|qwen2|qwen2_moe|qwen3|qwen3_moe|phi3|phi|gpt_neox|gptj|deepseek_v3|deepseek_v2|olmo\d*|cohere|starcoder2|internlm2?|baichuan|yi|llava|llava_next)$/;
/** Families with a fixed sinusoidal position table (`embed_positions`). */
const SINUSOIDAL = /^(?:marian|fsmt|m2m_100|m2m100|nllb_moe|speech_to_text|speech2text|pegasus|whisper|informer|autoformer|time_series_transformer|xlm)$/;
/** Composed encoder-decoders: cross-attention and the decoder's head are new by design. */
const COMPOSED = /^(?:vision-encoder-decoder|encoder-decoder|speech-encoder-decoder)$/;
/** Original LLaVA classes (`LlavaLlamaForCausalLM`, `LlavaMistralForCausalLM`): they load the vision tower themselves. transformers' `LlavaForConditionalGeneration` does not. */
const LLAVA_CLASS = /^Llava\w+ForCausalLM$/;

// ---------------------------------------------------------------------------------------------
// Name rules

/** Wrapper prefixes that say nothing about the part (DataParallel, torch.compile, PEFT, Lightning). */
const WRAPPER_RE = /^(?:module\.|_orig_mod\.|base_model\.model\.|model\.module\.)+/;

const CONTAINER_KEYS = new Set(['state_dict', 'model', 'module', 'model_state_dict', 'model_state', 'net', 'network', 'params', 'ema', 'model_ema', 'state_dict_ema', 'optimizer', 'optimizer_state_dict', 'epoch', 'global_step', 'lr_scheduler', 'scheduler', 'hyper_parameters', 'config', 'args', 'weights', 'checkpoint']);

const ADAPTER_RE = /(?:^|\.)(?:lora_[AB]|lora_embedding_[AB]|lora_magnitude_vector|ia3_l|hada_w\d_[ab]|lokr_w\d(?:_[ab])?|oft_r|boft_R|boft_s|vera_lambda_[bd]|prompt_encoder|prompt_embeddings|adaption_prompt|adaption_gate|modules_to_save)(?:\.|$)/;
const QUANT_RE = /(?:^|\.)(?:qweight|qzeros|scales|g_idx|weight_scale(?:_inv|_2)?|input_scale|weight_zero_point|weight_global_scale|weight_packed|weight_shape|SCB|weight_format|absmax|quant_map|nested_absmax|nested_quant_map|quant_state\.[\w]+|biases)$/;
const BUFFER_RE = /(?:^|\.)(?:position_ids|token_type_ids|masked_bias|inv_freq|_float_tensor|relative_position_index|attn_mask|causal_mask|num_batches_tracked|cos_cached|sin_cached|freqs_cis|final_logits_bias|bias_mask|coords_h|coords_w|relative_coords_table)$|(?:^|\.)(?:attn|attention|self_attn|crossattention)\.(?:bias|masked_bias)$/;
const TIED_ALWAYS_RE = /^(?:cls\.predictions\.decoder\.(?:weight|bias)|lm_head\.decoder\.(?:weight|bias)|predictions\.decoder\.(?:weight|bias)|generator_lm_head\.(?:weight|bias))$/;
/** Seq2seq families whose encoder/decoder `embed_tokens` are the shared embedding. */
const SEQ2SEQ_SHARED = /^(?:t5|mt5|umt5|longt5|switch_transformers|bart|mbart|marian|pegasus|pegasus_x|blenderbot|blenderbot-small|m2m_100|nllb_moe|led|plbart|bigbird_pegasus|fsmt)$/;
const LM_HEAD_RE = /^(?:lm_head|embed_out|output)\.weight$/;
const TASK_HEAD_RE = /^(?:classifier|pre_classifier|qa_outputs|score|classification_head|head|heads|fc|cls_head|sequence_summary|multiple_choice_head|class_embed|bbox_embed|decode_head|auxiliary_head|seq_classif|logits_proj|projector_head)(?:\.|$)/;
const PRETRAIN_HEAD_RE = /^(?:cls\.|lm_head\.|vocab_(?:projector|transform|layer_norm)\.|generator_predictions\.|generator_lm_head\.|discriminator_predictions\.|mask_predictions\.|predictions\.|sop_classifier\.|lm_loss\.|mlm_head\.|nsp_head\.)/;
/** A base-model prefix in front of the backbone (`bert.`, `roberta.`, `model.`, `transformer.`): names after it are the backbone. */
const BASE_PREFIX_RE = /^(?:model|transformer|bert|roberta|xlm_roberta|distilbert|albert|electra|deberta|camembert|vit|dinov2|swin|convnext|beit|deit|wav2vec2|hubert|whisper|t5|bart|gpt_neox|language_model|llm|backbone)\./;
const VISION_RE = /(?:^|\.)(?:vision_tower|vision_model|visual|vision_encoder|image_encoder|vision_backbone|img_encoder|vision_embed_tokens)(?:\.|$)/;
const TEXT_TOWER_RE = /(?:^|\.)(?:text_model|text_encoder|text_tower)(?:\.|$)|^transformer\.resblocks\./;
const AUDIO_RE = /(?:^|\.)(?:audio_tower|audio_encoder|audio_model)(?:\.|$)/;
const PROJECTOR_RE = /(?:^|\.)(?:mm_projector|multi_modal_projector|mm_proj|visual_projection|text_projection|vision_proj|text_proj|connector|aligner|resampler|enc_to_dec_proj)(?:\.|$)|^(?:logit_scale|logit_bias|text_projection|proj)$/;
const CROSS_RE = /(?:^|\.)(?:crossattention|cross_attn|encoder_attn|cross_attention|encoder_attn_layer_norm)(?:\.|$)/;
const POOLER_RE = /(?:^|\.)pooler(?:\.|$)/;
const EMBED_RE = /(?:^|\.)(?:embed_tokens|word_embeddings|wte|wpe|tok_embeddings|token_embedding|embeddings|embed_positions|position_embedding|position_embeddings|patch_embed|patch_embedding|pos_embed|cls_token|shared|word_embedding|embed_in|positional_embedding|class_embedding|embed_layer_norm|emb_ln)(?:\.|$)/;
const BLOCK_RE = /(?:^|\.)(?:layers?|h|blocks?|resblocks|block|stages?|encoder\.layer|decoder\.layer)\.\d+(?:\.|$)/;
const FINAL_NORM_RE = /(?:^|\.)(?:norm|ln_f|final_layer_norm|final_layernorm|ln_final|ln_post|post_layernorm|layer_norm|layernorm|norm_f|final_norm|fc_norm|ln_out)\.(?:weight|bias)$/;

function stackOf(name: string): 'encoder' | 'decoder' | undefined {
  const m = /^(?:model\.)?(encoder|decoder)\./.exec(name);
  return m ? (m[1] as 'encoder' | 'decoder') : undefined;
}

/** Part of the model a (wrapper-stripped) name belongs to, from structure alone. */
export function partOf(name: string): PartId {
  if (!name.includes('.') && CONTAINER_KEYS.has(name)) return 'container';
  if (VISION_RE.test(name)) return 'vision-tower';
  if (AUDIO_RE.test(name)) return 'audio-tower';
  if (PROJECTOR_RE.test(name)) return 'projector';
  if (TEXT_TOWER_RE.test(name)) return 'text-tower';
  if (LM_HEAD_RE.test(name) || /^(?:model\.)?lm_head\.(?:weight|bias)$/.test(name)) return 'lm-head';
  if (TIED_ALWAYS_RE.test(name)) return 'pretraining-head';
  if (PRETRAIN_HEAD_RE.test(name)) return 'pretraining-head';
  if (TASK_HEAD_RE.test(name)) return 'task-head';
  if (POOLER_RE.test(name)) return 'pooler';
  if (CROSS_RE.test(name)) return 'cross-attention';
  if (EMBED_RE.test(name)) return 'embeddings';
  if (BLOCK_RE.test(name)) return 'blocks';
  if (FINAL_NORM_RE.test(name)) return 'final-norm';
  return 'other';
}

function genericClass(raw: string, ctx: RoleContext): KeyClass {
  const name = raw.replace(WRAPPER_RE, '');
  const arch = ctx.architecture ?? architectureOfClass(ctx.modelClass);
  const stack = stackOf(name);
  const k = (part: PartId, role: KeyRole, rule: string): KeyClass => ({ part, role, rule: `generic:${rule}`, ...(stack ? { stack } : {}) });
  let part = partOf(name);
  // A task head after a base prefix is still a task head only at the top level: `bert.pooler` is not.
  if (part === 'container') return k(part, 'container', 'container-key');
  if (ADAPTER_RE.test(name)) return k(part, 'adapter', 'peft-adapter');
  if (QUANT_RE.test(name)) return k(part, 'quant-aux', 'quantization-aux');
  if (BUFFER_RE.test(name)) return k(part, 'buffer', 'buffer');
  if (/(?:^|\.)(?:sinusoid\w*|sin_pos\w*)(?:\.|$)/.test(name)) return k(part, 'fixed', 'sinusoidal');
  if (arch && SINUSOIDAL.test(arch) && /(?:^|\.)embed_positions\.weights?$/.test(name) && !(arch === 'whisper' && stack === 'decoder')) return k('embeddings', 'fixed', 'sinusoidal-positions');
  if (arch === 'vit_mae' || (ctx.modelClass && /MAE/.test(ctx.modelClass))) {
    if (/(?:^|\.)(?:position_embeddings|pos_embed|decoder_pos_embed)$/.test(name)) return k('embeddings', 'fixed', 'mae-sincos');
    if (/^decoder\./.test(name) && ctx.list === 'missing') return k('decoder', 'new-by-design', 'mae-decoder');
  }
  if (TIED_ALWAYS_RE.test(name)) return k(part, 'tied', 'tied-by-convention');
  if (arch && SEQ2SEQ_SHARED.test(arch) && /^(?:model\.)?(?:encoder|decoder)\.embed_tokens\.weight$/.test(name)) return k('embeddings', 'tied', 'seq2seq-shared-embedding');
  if (part === 'lm-head') {
    if (ctx.modelClass && /ForCTC$/.test(ctx.modelClass)) return k('task-head', 'task-head', 'ctc-head');
    if (arch && TIED_BY_DEFAULT.test(arch)) return k(part, 'tied', 'lm-head-tied-by-default');
    if (arch && UNTIED_BY_DEFAULT.test(arch)) return k(part, 'trained', 'lm-head-untied-by-default');
    return k(part, 'tied-if-configured', 'lm-head-tie-unknown');
  }
  if (part === 'pretraining-head') {
    if (ctx.modelClass && MLM_SUFFIX_RE.test(ctx.modelClass) && !isTaskClass(ctx.modelClass)) return k(part, 'trained', 'pretraining-head-used');
    return k(part, 'pretraining-head', 'pretraining-head');
  }
  if (part === 'task-head') return k(part, 'task-head', 'task-head-name');
  if (part === 'pooler') return k(part, 'pooler', 'pooler');
  if (part === 'cross-attention' && ctx.list === 'missing' && arch && (COMPOSED.test(arch) || !(SEQ2SEQ_SHARED.test(arch) || arch === 'whisper'))) {
    // an encoder-only / decoder-only checkpoint never has cross-attention: a decoder built from it gets new ones
    return k(part, 'new-by-design', 'cross-attention-new');
  }
  if (part === 'projector' && arch && COMPOSED.test(arch)) return k(part, 'new-by-design', 'composed-projection');
  if (part === 'vision-tower' && ctx.list === 'unexpected' && ctx.modelClass && LLAVA_CLASS.test(ctx.modelClass) && /vision_tower/.test(name)) return k(part, 'loaded-separately', 'llava-vision-tower');
  if (part === 'projector' && ctx.list === 'missing' && ctx.modelClass && LLAVA_CLASS.test(ctx.modelClass) && /mm_projector/.test(name) && ctx.checkpoint && !/llava|vl\b|vision|[-_]mm/i.test(ctx.checkpoint)) {
    return k(part, 'new-by-design', 'llava-stage1-projector');
  }
  // A head after a base prefix (`bert.classifier` never exists; `model.score` is Llama's task head)
  if (part === 'other' || part === 'embeddings' || part === 'blocks' || part === 'final-norm') {
    const inner = name.replace(BASE_PREFIX_RE, '');
    if (inner !== name && TASK_HEAD_RE.test(inner) && !/^head\./.test(inner)) return k('task-head', 'task-head', 'task-head-name');
  }
  return k(part, 'trained', 'trained-default');
}

/** No architecture knowledge yet: the generic rules decide everything. */
export const NO_ARCHITECTURE_ROLES: ArchitectureRoleSource = { classify: () => null };

/**
 * One class per name. `source` (the generated-layout mechanism) is consulted first when the
 * architecture is known; names it leaves undefined fall back to the generic rules.
 */
export function classifyKeys(names: readonly string[], ctx: RoleContext, source: ArchitectureRoleSource = NO_ARCHITECTURE_ROLES): KeyClass[] {
  const architecture = ctx.architecture ?? architectureOfClass(ctx.modelClass);
  const full = { ...ctx, architecture };
  const fromSpec = architecture || ctx.modelClass ? source.classify(names, { ...full, architecture: architecture ?? '' }) : null;
  // Every generic rule treats a run of digits alike (`layers.\d+`), so names that differ only in
  // their indices share one answer: 100k-tensor MoE logs classify a few hundred patterns.
  const memo = new Map<string, KeyClass>();
  return names.map((n, i) => {
    const key = n.replace(/\d+/g, '0');
    let g = memo.get(key);
    if (!g) memo.set(key, (g = genericClass(n, full)));
    const s = fromSpec?.[i];
    if (!s) return g;
    // The spec knows parts, ties, task heads and buffers of its architecture; what a plain trained
    // weight means in a log (an adapter, a pooler, a sin-cos table, cross-attention new by design,
    // a tower LLaVA loads itself, a pre-training head being dropped) the generic rules add.
    if (s.role === 'trained' && SPEC_REFINED_BY_RULES.has(g.role)) return { ...g, part: s.part, rule: `${s.rule}+${g.rule}` };
    return s;
  });
}

/** Generic roles that refine a spec's plain `weight` role. */
const SPEC_REFINED_BY_RULES = new Set<KeyRole>(['adapter', 'quant-aux', 'buffer', 'fixed', 'pooler', 'new-by-design', 'loaded-separately', 'pretraining-head', 'container']);
