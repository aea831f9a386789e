import type { PartSpec, TensorTemplate } from '../types.js';
import type { HfArchitecture, HfHead } from './types.js';

/**
 * Decoder-only language models (transformers naming). Shared pieces: the Llama-style block
 * (`self_attn.{q,k,v,o}_proj`, gated MLP, RMSNorms) with per-architecture switches, the LM head
 * (tied to the input embeddings per `tie_word_embeddings`) and the task heads every
 * `XFor{SequenceClassification,TokenClassification,QuestionAnswering}` adds.
 * Vars every block reads: D hidden, Q = heads × head_dim, KV = kv_heads × head_dim, M = MLP width.
 */

const w = (name: string, shape: TensorTemplate['shape'], extra: Partial<TensorTemplate> = {}): TensorTemplate => ({ name, shape, ...extra });
const lin = (name: string, out: string, inp: string, bias?: string): TensorTemplate[] => [w(`${name}.weight`, [out, inp]), ...(bias ? [w(`${name}.bias`, [out], bias === 'always' ? {} : { when: bias })] : [])];
const norm = (name: string, dim = 'D', bias = false): TensorTemplate[] => [w(`${name}.weight`, [dim]), ...(bias ? [w(`${name}.bias`, [dim])] : [])];

/** Llama-family attention (q/k/v/o) with optional biases and per-head q/k norms. */
export function attention(opts: { qkvBias?: string; oBias?: string; qkNorm?: boolean } = {}): TensorTemplate[] {
  return [
    ...lin('self_attn.q_proj', 'Q', 'D', opts.qkvBias),
    ...lin('self_attn.k_proj', 'KV', 'D', opts.qkvBias),
    ...lin('self_attn.v_proj', 'KV', 'D', opts.qkvBias),
    ...lin('self_attn.o_proj', 'D', 'Q', opts.oBias),
    ...(opts.qkNorm ? [w('self_attn.q_norm.weight', ['HD']), w('self_attn.k_norm.weight', ['HD'])] : []),
  ];
}

/** Gated MLP (`gate_proj`, `up_proj`, `down_proj`) of width M under `prefix`. */
export function gatedMlp(prefix = 'mlp.', M = 'M', bias?: string): TensorTemplate[] {
  return [...lin(`${prefix}gate_proj`, M, 'D', bias), ...lin(`${prefix}up_proj`, M, 'D', bias), ...lin(`${prefix}down_proj`, 'D', M, bias)];
}

const LLAMA_VARS = {
  D: 'hidden_size',
  HD: 'def(head_dim, hidden_size / num_attention_heads)',
  Q: 'num_attention_heads * HD',
  KV: 'def(num_key_value_heads, num_attention_heads) * HD',
  M: 'intermediate_size',
  V: 'vocab_size',
} as const;

/** embed_tokens + blocks + final norm of a Llama-style base model; `block` is the per-layer template. */
function llamaBackbone(block: readonly TensorTemplate[], extraParts: readonly PartSpec[] = []): PartSpec[] {
  return [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: '', vars: LLAMA_VARS, tensors: [w('embed_tokens.weight', ['V', 'D'])] },
    { id: 'blocks', kind: 'blocks', tower: 'text', prefix: 'layers.{N}.', repeat: 'num_hidden_layers', vars: LLAMA_VARS, tensors: block },
    ...extraParts,
    { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: LLAMA_VARS, tensors: norm('norm') },
  ];
}

/** The LM head: tied to `tiedTo` (full name in the class) when `tie_word_embeddings`, else a trained weight. */
export function lmHead(name: string, tiedTo: string, V = 'vocab_size', D = 'hidden_size', tie = 'tie_word_embeddings'): PartSpec[] {
  return [
    { id: 'lm_head', kind: 'head', tower: 'text', prefix: '', when: tie, tensors: [w(name, [V, D], { role: 'tied', tiedTo })] },
    { id: 'lm_head', kind: 'head', tower: 'text', prefix: '', when: `!(${tie})`, tensors: [w(name, [V, D])] },
  ];
}

const taskHead = (id: string, tensors: TensorTemplate[]): PartSpec => ({ id, kind: 'head', tower: 'other', prefix: '', tensors: tensors.map((t) => ({ ...t, role: 'task-head' as const })) });

/** Task heads of a decoder LM: `score` (no bias) for sequence classification, token classification, QA. */
export function decoderHeads(opts: { embed: string; base?: string; tokenHead?: string; qaBase?: string; D?: string; V?: string }): Record<string, HfHead> {
  const base = opts.base ?? 'model.';
  const D = opts.D ?? 'hidden_size';
  const tok = opts.tokenHead ?? 'score';
  return {
    ForCausalLM: { backbone: base, parts: lmHead('lm_head.weight', `${base}${opts.embed}`, opts.V ?? 'vocab_size', D) },
    Model: { backbone: '', parts: [] },
    ForSequenceClassification: { backbone: base, task: true, parts: [taskHead('score', [w('score.weight', ['num_labels', D])])] },
    ForTokenClassification: {
      backbone: base,
      task: true,
      parts: [taskHead(tok, lin(tok, 'num_labels', D, 'always'))],
      ...(tok !== 'score' ? { alt: [{ backbone: base, task: true, parts: [taskHead('score', lin('score', 'num_labels', D, 'always'))] }] } : {}),
    },
    ForQuestionAnswering: {
      backbone: opts.qaBase ?? base,
      task: true,
      parts: [taskHead('qa_outputs', lin('qa_outputs', '2', D, 'always'))],
      alt: [{ backbone: (opts.qaBase ?? base) === 'transformer.' ? base : 'transformer.', task: true, parts: [taskHead('qa_outputs', lin('qa_outputs', '2', D, 'always'))] }],
    },
  };
}

const LM_DEFAULTS = { num_labels: 2, head_dim: null, num_key_value_heads: null, attention_bias: false, mlp_bias: false } as const;

const llamaBlock = [...attention({ qkvBias: 'attention_bias', oBias: 'attention_bias' }), ...gatedMlp('mlp.', 'M', 'mlp_bias'), ...norm('input_layernorm'), ...norm('post_attention_layernorm')];

function llamaLike(id: string, classPrefix: string, defaults: HfArchitecture['defaults'], block: readonly TensorTemplate[], heads?: Record<string, HfHead>, extra: Partial<HfArchitecture> = {}): HfArchitecture {
  return {
    id,
    modelTypes: [id],
    classPrefix,
    category: 'decoder',
    basePrefix: 'model',
    defaults: { ...LM_DEFAULTS, ...defaults },
    backbone: llamaBackbone(block),
    heads: heads ?? decoderHeads({ embed: 'embed_tokens.weight' }),
    defaultHead: 'ForCausalLM',
    legacyBuffers: ['rotary_emb.inv_freq'],
    ...extra,
  };
}

const LLAMA_SIZES = { vocab_size: 32000, hidden_size: 4096, intermediate_size: 11008, num_hidden_layers: 32, num_attention_heads: 32 };

/** Mixtral: block_sparse_moe.gate + experts.{E}.w1/w2/w3. */
const MIXTRAL_EXPERTS: PartSpec = {
  id: 'experts',
  kind: 'blocks',
  tower: 'text',
  prefix: 'layers.{N}.block_sparse_moe.experts.{S}.',
  repeat: 'num_hidden_layers',
  each: 'num_local_experts',
  vars: LLAMA_VARS,
  tensors: [w('w1.weight', ['M', 'D']), w('w2.weight', ['D', 'M']), w('w3.weight', ['M', 'D'])],
};

const qwenMoeSparse = '(N + 1) % decoder_sparse_step == 0 && num_experts > 0';
const QWEN2_MOE_EXPERTS: PartSpec = {
  id: 'experts',
  kind: 'blocks',
  tower: 'text',
  prefix: 'layers.{N}.mlp.experts.{S}.',
  repeat: 'num_hidden_layers',
  each: 'num_experts',
  vars: { ...LLAMA_VARS, M: 'moe_intermediate_size' },
  tensors: gatedMlp('', 'M').map((t) => ({ ...t, when: qwenMoeSparse })),
};

function qwenMoeBlock(qkvBias: string | undefined, qkNorm: boolean, shared: boolean): TensorTemplate[] {
  return [
    ...attention({ ...(qkvBias ? { qkvBias } : {}), qkNorm }),
    w('mlp.gate.weight', ['num_experts', 'D'], { when: qwenMoeSparse }),
    ...(shared
      ? [...gatedMlp('mlp.shared_expert.', 'shared_expert_intermediate_size').map((t) => ({ ...t, when: qwenMoeSparse })), w('mlp.shared_expert_gate.weight', [1, 'D'], { when: qwenMoeSparse })]
      : []),
    ...gatedMlp('mlp.', 'M').map((t) => ({ ...t, when: `!(${qwenMoeSparse})` })),
    ...norm('input_layernorm'),
    ...norm('post_attention_layernorm'),
  ];
}

const gemma2Block = [...attention({ qkvBias: 'attention_bias', oBias: 'attention_bias' }), ...gatedMlp(), ...norm('input_layernorm'), ...norm('post_attention_layernorm'), ...norm('pre_feedforward_layernorm'), ...norm('post_feedforward_layernorm')];
const gemma3Block = [...attention({ qkvBias: 'attention_bias', oBias: 'attention_bias', qkNorm: true }), ...gatedMlp(), ...norm('input_layernorm'), ...norm('post_attention_layernorm'), ...norm('pre_feedforward_layernorm'), ...norm('post_feedforward_layernorm')];

const phi3Block = [
  w('self_attn.o_proj.weight', ['D', 'Q']),
  w('self_attn.qkv_proj.weight', ['Q + 2 * KV', 'D']),
  w('mlp.gate_up_proj.weight', ['2 * M', 'D']),
  w('mlp.down_proj.weight', ['D', 'M']),
  ...norm('input_layernorm'),
  ...norm('post_attention_layernorm'),
];

/** DeepSeek-V3: multi-head latent attention, dense MLP in the first `first_k_dense_replace` layers, routed + shared experts after. */
const dsMoe = 'N >= first_k_dense_replace && N % moe_layer_freq == 0';
const DS_VARS = { ...LLAMA_VARS, QK: 'qk_nope_head_dim + qk_rope_head_dim', H: 'num_attention_heads' };
const deepseekBlock: TensorTemplate[] = [
  w('self_attn.q_a_proj.weight', ['q_lora_rank', 'D'], { when: 'defined(q_lora_rank)' }),
  w('self_attn.q_a_layernorm.weight', ['q_lora_rank'], { when: 'defined(q_lora_rank)' }),
  w('self_attn.q_b_proj.weight', ['H * QK', 'def(q_lora_rank, 0)'], { when: 'defined(q_lora_rank)' }),
  w('self_attn.q_proj.weight', ['H * QK', 'D'], { when: '!defined(q_lora_rank)' }),
  w('self_attn.kv_a_proj_with_mqa.weight', ['kv_lora_rank + qk_rope_head_dim', 'D']),
  w('self_attn.kv_a_layernorm.weight', ['kv_lora_rank']),
  w('self_attn.kv_b_proj.weight', ['H * (qk_nope_head_dim + v_head_dim)', 'kv_lora_rank']),
  w('self_attn.o_proj.weight', ['D', 'H * v_head_dim']),
  ...gatedMlp('mlp.', 'M').map((t) => ({ ...t, when: `!(${dsMoe})` })),
  w('mlp.gate.weight', ['n_routed_experts', 'D'], { when: dsMoe }),
  w('mlp.gate.e_score_correction_bias', ['n_routed_experts'], { when: dsMoe }),
  ...gatedMlp('mlp.shared_experts.', 'moe_intermediate_size * n_shared_experts').map((t) => ({ ...t, when: dsMoe })),
  ...norm('input_layernorm'),
  ...norm('post_attention_layernorm'),
];
const DEEPSEEK_EXPERTS: PartSpec = {
  id: 'experts',
  kind: 'blocks',
  tower: 'text',
  prefix: 'layers.{N}.mlp.experts.{S}.',
  repeat: 'num_hidden_layers',
  each: 'n_routed_experts',
  vars: { ...DS_VARS, M: 'moe_intermediate_size' },
  tensors: gatedMlp('', 'M').map((t) => ({ ...t, when: dsMoe })),
};

const GPT2_VARS = { D: 'n_embd', M: 'def(n_inner, 4 * n_embd)' };
const gpt2: HfArchitecture = {
  id: 'gpt2',
  modelTypes: ['gpt2'],
  classPrefix: 'GPT2',
  category: 'decoder',
  basePrefix: 'transformer',
  defaults: { vocab_size: 50257, n_positions: 1024, n_embd: 768, n_layer: 12, n_head: 12, n_inner: null, num_labels: 2, tie_word_embeddings: true },
  backbone: [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: '', vars: GPT2_VARS, tensors: [w('wte.weight', ['vocab_size', 'D']), w('wpe.weight', ['n_positions', 'D'])] },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'h.{N}.',
      repeat: 'n_layer',
      vars: GPT2_VARS,
      // Conv1D stores weights as [in, out].
      tensors: [...norm('ln_1', 'D', true), w('attn.c_attn.weight', ['D', '3 * D']), w('attn.c_attn.bias', ['3 * D']), w('attn.c_proj.weight', ['D', 'D']), w('attn.c_proj.bias', ['D']), ...norm('ln_2', 'D', true), w('mlp.c_fc.weight', ['D', 'M']), w('mlp.c_fc.bias', ['M']), w('mlp.c_proj.weight', ['M', 'D']), w('mlp.c_proj.bias', ['D'])],
    },
    { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: GPT2_VARS, tensors: norm('ln_f', 'D', true) },
  ],
  heads: {
    LMHeadModel: { backbone: 'transformer.', parts: lmHead('lm_head.weight', 'transformer.wte.weight', 'vocab_size', 'n_embd') },
    Model: { backbone: '', parts: [] },
    ForSequenceClassification: { backbone: 'transformer.', task: true, parts: [taskHead('score', [w('score.weight', ['num_labels', 'n_embd'])])] },
    ForTokenClassification: { backbone: 'transformer.', task: true, parts: [taskHead('classifier', lin('classifier', 'num_labels', 'n_embd', 'always'))] },
    ForQuestionAnswering: { backbone: 'transformer.', task: true, parts: [taskHead('qa_outputs', lin('qa_outputs', '2', 'n_embd', 'always'))] },
    DoubleHeadsModel: {
      backbone: 'transformer.',
      task: true,
      parts: [...lmHead('lm_head.weight', 'transformer.wte.weight', 'vocab_size', 'n_embd'), taskHead('multiple_choice_head', lin('multiple_choice_head.summary', '1', 'n_embd', 'always'))],
    },
  },
  defaultHead: 'LMHeadModel',
  legacyBuffers: ['attn.bias', 'attn.masked_bias'],
};

const NEOX_VARS = { D: 'hidden_size', M: 'intermediate_size' };
const gptNeox: HfArchitecture = {
  id: 'gpt_neox',
  modelTypes: ['gpt_neox'],
  classPrefix: 'GPTNeoX',
  category: 'decoder',
  basePrefix: 'gpt_neox',
  defaults: { vocab_size: 50432, hidden_size: 6144, num_hidden_layers: 44, num_attention_heads: 64, intermediate_size: 24576, tie_word_embeddings: false, num_labels: 2, attention_bias: true },
  backbone: [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: '', vars: NEOX_VARS, tensors: [w('embed_in.weight', ['vocab_size', 'D'])] },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'layers.{N}.',
      repeat: 'num_hidden_layers',
      vars: NEOX_VARS,
      tensors: [
        ...norm('input_layernorm', 'D', true),
        ...norm('post_attention_layernorm', 'D', true),
        ...lin('attention.query_key_value', '3 * D', 'D', 'attention_bias'),
        ...lin('attention.dense', 'D', 'D', 'attention_bias'),
        ...lin('mlp.dense_h_to_4h', 'M', 'D', 'always'),
        ...lin('mlp.dense_4h_to_h', 'D', 'M', 'always'),
      ],
    },
    { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: NEOX_VARS, tensors: norm('final_layer_norm', 'D', true) },
  ],
  heads: {
    ...decoderHeads({ embed: 'embed_in.weight', base: 'gpt_neox.', tokenHead: 'classifier' }),
    ForCausalLM: { backbone: 'gpt_neox.', parts: lmHead('embed_out.weight', 'gpt_neox.embed_in.weight') },
  },
  defaultHead: 'ForCausalLM',
  legacyBuffers: ['attention.bias', 'attention.masked_bias', 'rotary_emb.inv_freq'],
};

const FALCON_VARS = {
  D: 'hidden_size',
  HD: 'hidden_size / num_attention_heads',
  QKV: "new_decoder_architecture ? (num_attention_heads + 2 * def(num_kv_heads, num_attention_heads)) * HD : multi_query ? hidden_size + 2 * HD : 3 * hidden_size",
  M: 'def(ffn_hidden_size, 4 * hidden_size)',
};
const falcon: HfArchitecture = {
  id: 'falcon',
  modelTypes: ['falcon'],
  classPrefix: 'Falcon',
  category: 'decoder',
  basePrefix: 'transformer',
  defaults: { vocab_size: 65024, hidden_size: 4544, num_hidden_layers: 32, num_attention_heads: 71, num_kv_heads: null, new_decoder_architecture: false, multi_query: true, parallel_attn: true, bias: false, ffn_hidden_size: null, num_ln_in_parallel_attn: null, tie_word_embeddings: true, num_labels: 2 },
  backbone: [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: '', vars: FALCON_VARS, tensors: [w('word_embeddings.weight', ['vocab_size', 'D'])] },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'h.{N}.',
      repeat: 'num_hidden_layers',
      vars: { ...FALCON_VARS, twoLn: 'new_decoder_architecture && def(num_ln_in_parallel_attn, 2) == 2' },
      tensors: [
        ...lin('self_attention.query_key_value', 'QKV', 'D', 'bias'),
        ...lin('self_attention.dense', 'D', 'D', 'bias'),
        ...lin('mlp.dense_h_to_4h', 'M', 'D', 'bias'),
        ...lin('mlp.dense_4h_to_h', 'D', 'M', 'bias'),
        ...norm('ln_attn', 'D', true).map((t) => ({ ...t, when: 'twoLn' })),
        ...norm('ln_mlp', 'D', true).map((t) => ({ ...t, when: 'twoLn' })),
        ...norm('input_layernorm', 'D', true).map((t) => ({ ...t, when: '!twoLn' })),
        ...norm('post_attention_layernorm', 'D', true).map((t) => ({ ...t, when: '!new_decoder_architecture && !parallel_attn' })),
      ],
    },
    { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: FALCON_VARS, tensors: norm('ln_f', 'D', true) },
  ],
  heads: decoderHeads({ embed: 'word_embeddings.weight', base: 'transformer.', tokenHead: 'classifier' }),
  defaultHead: 'ForCausalLM',
  legacyBuffers: ['rotary_emb.inv_freq'],
};

export const DECODERS: readonly HfArchitecture[] = [
  llamaLike('llama', 'Llama', { ...LLAMA_SIZES, tie_word_embeddings: false }, llamaBlock, decoderHeads({ embed: 'embed_tokens.weight', qaBase: 'transformer.' })),
  llamaLike('mistral', 'Mistral', { ...LLAMA_SIZES, intermediate_size: 14336, num_key_value_heads: 8, tie_word_embeddings: false }, llamaBlock),
  {
    ...llamaLike('mixtral', 'Mixtral', { ...LLAMA_SIZES, intermediate_size: 14336, num_key_value_heads: 8, num_local_experts: 8, tie_word_embeddings: false }, [...attention(), w('block_sparse_moe.gate.weight', ['num_local_experts', 'D']), ...norm('input_layernorm'), ...norm('post_attention_layernorm')]),
    backbone: llamaBackbone([...attention(), w('block_sparse_moe.gate.weight', ['num_local_experts', 'D']), ...norm('input_layernorm'), ...norm('post_attention_layernorm')], [MIXTRAL_EXPERTS]),
  },
  llamaLike('qwen2', 'Qwen2', { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, tie_word_embeddings: false }, [
    ...attention({ qkvBias: 'always' }),
    ...gatedMlp(),
    ...norm('input_layernorm'),
    ...norm('post_attention_layernorm'),
  ]),
  {
    ...llamaLike('qwen2_moe', 'Qwen2Moe', { vocab_size: 151936, hidden_size: 2048, intermediate_size: 5632, num_hidden_layers: 24, num_attention_heads: 16, num_key_value_heads: 16, decoder_sparse_step: 1, moe_intermediate_size: 1408, shared_expert_intermediate_size: 5632, num_experts: 60, tie_word_embeddings: false }, []),
    backbone: llamaBackbone(qwenMoeBlock('always', false, true), [QWEN2_MOE_EXPERTS]),
  },
  llamaLike('qwen3', 'Qwen3', { vocab_size: 151936, hidden_size: 4096, intermediate_size: 22016, num_hidden_layers: 32, num_attention_heads: 32, num_key_value_heads: 32, head_dim: 128, tie_word_embeddings: false }, [
    ...attention({ qkvBias: 'attention_bias', oBias: 'attention_bias', qkNorm: true }),
    ...gatedMlp(),
    ...norm('input_layernorm'),
    ...norm('post_attention_layernorm'),
  ]),
  {
    ...llamaLike('qwen3_moe', 'Qwen3Moe', { vocab_size: 151936, hidden_size: 2048, intermediate_size: 6144, num_hidden_layers: 24, num_attention_heads: 32, num_key_value_heads: 4, head_dim: 128, decoder_sparse_step: 1, moe_intermediate_size: 768, num_experts: 128, tie_word_embeddings: false }, []),
    backbone: llamaBackbone(qwenMoeBlock(undefined, true, false), [QWEN2_MOE_EXPERTS]),
  },
  llamaLike('gemma', 'Gemma', { vocab_size: 256000, hidden_size: 3072, intermediate_size: 24576, num_hidden_layers: 28, num_attention_heads: 16, num_key_value_heads: 16, head_dim: 256, tie_word_embeddings: true }, llamaBlock),
  llamaLike('gemma2', 'Gemma2', { vocab_size: 256000, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, tie_word_embeddings: true }, gemma2Block),
  {
    ...llamaLike('gemma3_text', 'Gemma3', { vocab_size: 262208, hidden_size: 2304, intermediate_size: 9216, num_hidden_layers: 26, num_attention_heads: 8, num_key_value_heads: 4, head_dim: 256, tie_word_embeddings: true }, gemma3Block),
    heads: { ForCausalLM: decoderHeads({ embed: 'embed_tokens.weight' }).ForCausalLM!, Model: { backbone: '', parts: [] } },
  },
  {
    ...llamaLike('phi3', 'Phi3', { vocab_size: 32064, hidden_size: 3072, intermediate_size: 8192, num_hidden_layers: 32, num_attention_heads: 32, tie_word_embeddings: false }, phi3Block),
    heads: decoderHeads({ embed: 'embed_tokens.weight', tokenHead: 'classifier' }),
  },
  {
    ...llamaLike(
      'deepseek_v3',
      'DeepseekV3',
      { vocab_size: 129280, hidden_size: 7168, intermediate_size: 18432, moe_intermediate_size: 2048, num_hidden_layers: 61, num_attention_heads: 128, num_key_value_heads: 128, n_shared_experts: 1, n_routed_experts: 256, kv_lora_rank: 512, q_lora_rank: 1536, qk_rope_head_dim: 64, v_head_dim: 128, qk_nope_head_dim: 128, first_k_dense_replace: 3, moe_layer_freq: 1, tie_word_embeddings: false },
      deepseekBlock,
    ),
    backbone: [
      { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: '', vars: DS_VARS, tensors: [w('embed_tokens.weight', ['V', 'D'])] },
      { id: 'blocks', kind: 'blocks', tower: 'text', prefix: 'layers.{N}.', repeat: 'num_hidden_layers', vars: DS_VARS, tensors: deepseekBlock },
      DEEPSEEK_EXPERTS,
      { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: DS_VARS, tensors: norm('norm') },
    ],
    heads: { ForCausalLM: decoderHeads({ embed: 'embed_tokens.weight' }).ForCausalLM!, Model: { backbone: '', parts: [] } },
  },
  gpt2,
  gptNeox,
  falcon,
];
