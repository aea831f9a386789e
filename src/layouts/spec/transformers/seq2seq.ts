import type { PartSpec, TensorTemplate } from '../types.js';
import type { HfArchitecture } from './types.js';

/** Encoder-decoder models: T5, BART, Whisper (transformers naming). */

const w = (name: string, shape: TensorTemplate['shape'], extra: Partial<TensorTemplate> = {}): TensorTemplate => ({ name, shape, ...extra });
const lin = (name: string, out: string | number, inp: string | number, bias = true): TensorTemplate[] => [w(`${name}.weight`, [out, inp]), ...(bias ? [w(`${name}.bias`, [out])] : [])];
const ln = (name: string, dim = 'D'): TensorTemplate[] => [w(`${name}.weight`, [dim]), w(`${name}.bias`, [dim])];
const task = (id: string, tensors: TensorTemplate[]): PartSpec => ({ id, kind: 'head', tower: 'other', prefix: '', tensors: tensors.map((t) => ({ ...t, role: 'task-head' as const })) });

const T5_VARS = { D: 'd_model', I: 'num_heads * d_kv', F: 'd_ff' };
const t5Attn = (name: string, bias: string): TensorTemplate[] => [
  w(`${name}.q.weight`, ['I', 'D']),
  w(`${name}.k.weight`, ['I', 'D']),
  w(`${name}.v.weight`, ['I', 'D']),
  w(`${name}.o.weight`, ['D', 'I']),
  w(`${name}.relative_attention_bias.weight`, ['relative_attention_num_buckets', 'num_heads'], { when: bias }),
];
const t5Ff = (k: number): TensorTemplate[] => [
  w(`layer.${k}.DenseReluDense.wi.weight`, ['F', 'D'], { when: '!gated' }),
  w(`layer.${k}.DenseReluDense.wi_0.weight`, ['F', 'D'], { when: 'gated' }),
  w(`layer.${k}.DenseReluDense.wi_1.weight`, ['F', 'D'], { when: 'gated' }),
  w(`layer.${k}.DenseReluDense.wo.weight`, ['D', 'F']),
  w(`layer.${k}.layer_norm.weight`, ['D']),
];

const t5: HfArchitecture = {
  id: 't5',
  modelTypes: ['t5'],
  classPrefix: 'T5',
  category: 'seq2seq',
  basePrefix: 'transformer',
  defaults: { vocab_size: 32128, d_model: 512, d_kv: 64, d_ff: 2048, num_layers: 6, num_decoder_layers: null, num_heads: 8, relative_attention_num_buckets: 32, feed_forward_proj: 'relu', tie_word_embeddings: true },
  vars: { gated: "feed_forward_proj == 'gated-gelu' || feed_forward_proj == 'gated-silu'", decLayers: 'def(num_decoder_layers, num_layers)' },
  backbone: [
    { id: 'shared', kind: 'embeddings', tower: 'text', prefix: '', vars: T5_VARS, tensors: [w('shared.weight', ['vocab_size', 'D']), w('encoder.embed_tokens.weight', ['vocab_size', 'D'], { role: 'tied', tiedTo: 'shared.weight' })] },
    {
      id: 'encoder.blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'encoder.block.{N}.',
      repeat: 'num_layers',
      vars: T5_VARS,
      tensors: [...t5Attn('layer.0.SelfAttention', 'N == 0'), w('layer.0.layer_norm.weight', ['D']), ...t5Ff(1)],
    },
    { id: 'encoder.norm', kind: 'norm', tower: 'text', prefix: 'encoder.', vars: T5_VARS, tensors: [w('final_layer_norm.weight', ['D'])] },
    { id: 'decoder.embeddings', kind: 'embeddings', tower: 'decoder', prefix: 'decoder.', vars: T5_VARS, tensors: [w('embed_tokens.weight', ['vocab_size', 'D'], { role: 'tied', tiedTo: 'shared.weight' })] },
    {
      id: 'decoder.blocks',
      kind: 'blocks',
      tower: 'decoder',
      prefix: 'decoder.block.{N}.',
      repeat: 'decLayers',
      when: '!encoderOnly',
      vars: T5_VARS,
      tensors: [...t5Attn('layer.0.SelfAttention', 'N == 0'), w('layer.0.layer_norm.weight', ['D']), ...t5Attn('layer.1.EncDecAttention', '0'), w('layer.1.layer_norm.weight', ['D']), ...t5Ff(2)],
    },
    { id: 'decoder.norm', kind: 'norm', tower: 'decoder', prefix: 'decoder.', vars: T5_VARS, tensors: [w('final_layer_norm.weight', ['D'])] },
  ],
  heads: {
    ForConditionalGeneration: {
      backbone: '',
      parts: [
        { id: 'lm_head', kind: 'head', tower: 'decoder', prefix: '', when: 'tie_word_embeddings', tensors: [w('lm_head.weight', ['vocab_size', 'd_model'], { role: 'tied', tiedTo: 'shared.weight' })] },
        { id: 'lm_head', kind: 'head', tower: 'decoder', prefix: '', when: '!tie_word_embeddings', tensors: [w('lm_head.weight', ['vocab_size', 'd_model'])] },
      ],
    },
    Model: { backbone: '', parts: [] },
    EncoderModel: { backbone: '', without: ['decoder.embeddings', 'decoder.blocks', 'decoder.norm'], parts: [] },
  },
  defaultHead: 'ForConditionalGeneration',
};

const BART_VARS = { D: 'd_model' };
const bartLayer = (ffn: string, cross: boolean, kBias = true): TensorTemplate[] => [
  ...lin('self_attn.k_proj', 'D', 'D', kBias),
  ...lin('self_attn.v_proj', 'D', 'D'),
  ...lin('self_attn.q_proj', 'D', 'D'),
  ...lin('self_attn.out_proj', 'D', 'D'),
  ...ln('self_attn_layer_norm'),
  ...(cross ? [...lin('encoder_attn.k_proj', 'D', 'D', kBias), ...lin('encoder_attn.v_proj', 'D', 'D'), ...lin('encoder_attn.q_proj', 'D', 'D'), ...lin('encoder_attn.out_proj', 'D', 'D'), ...ln('encoder_attn_layer_norm')] : []),
  ...lin('fc1', ffn, 'D'),
  ...lin('fc2', 'D', ffn),
  ...ln('final_layer_norm'),
];

const bart: HfArchitecture = {
  id: 'bart',
  modelTypes: ['bart'],
  classPrefix: 'Bart',
  category: 'seq2seq',
  basePrefix: 'model',
  defaults: { vocab_size: 50265, max_position_embeddings: 1024, encoder_layers: 12, decoder_layers: 12, encoder_ffn_dim: 4096, decoder_ffn_dim: 4096, d_model: 1024, tie_word_embeddings: true, num_labels: 3, add_final_layer_norm: false },
  backbone: [
    { id: 'shared', kind: 'embeddings', tower: 'text', prefix: '', vars: BART_VARS, tensors: [w('shared.weight', ['vocab_size', 'D'])] },
    // BART's learned positions have 2 extra rows (offset 2).
    { id: 'encoder.embeddings', kind: 'embeddings', tower: 'text', prefix: 'encoder.', vars: BART_VARS, tensors: [w('embed_tokens.weight', ['vocab_size', 'D'], { role: 'tied', tiedTo: 'shared.weight' }), w('embed_positions.weight', ['max_position_embeddings + 2', 'D']), ...ln('layernorm_embedding')] },
    { id: 'encoder.blocks', kind: 'blocks', tower: 'text', prefix: 'encoder.layers.{N}.', repeat: 'encoder_layers', vars: BART_VARS, tensors: bartLayer('encoder_ffn_dim', false) },
    { id: 'encoder.norm', kind: 'norm', tower: 'text', prefix: 'encoder.', when: 'add_final_layer_norm', vars: BART_VARS, tensors: ln('layer_norm') },
    { id: 'decoder.embeddings', kind: 'embeddings', tower: 'decoder', prefix: 'decoder.', vars: BART_VARS, tensors: [w('embed_tokens.weight', ['vocab_size', 'D'], { role: 'tied', tiedTo: 'shared.weight' }), w('embed_positions.weight', ['max_position_embeddings + 2', 'D']), ...ln('layernorm_embedding')] },
    { id: 'decoder.blocks', kind: 'blocks', tower: 'decoder', prefix: 'decoder.layers.{N}.', repeat: 'decoder_layers', vars: BART_VARS, tensors: bartLayer('decoder_ffn_dim', true) },
    { id: 'decoder.norm', kind: 'norm', tower: 'decoder', prefix: 'decoder.', when: 'add_final_layer_norm', vars: BART_VARS, tensors: ln('layer_norm') },
  ],
  heads: {
    ForConditionalGeneration: {
      backbone: 'model.',
      parts: [
        { id: 'lm_head', kind: 'head', tower: 'decoder', prefix: '', tensors: [w('final_logits_bias', [1, 'vocab_size'], { role: 'buffer' })] },
        { id: 'lm_head', kind: 'head', tower: 'decoder', prefix: '', when: 'tie_word_embeddings', tensors: [w('lm_head.weight', ['vocab_size', 'd_model'], { role: 'tied', tiedTo: 'model.shared.weight' })] },
        { id: 'lm_head', kind: 'head', tower: 'decoder', prefix: '', when: '!tie_word_embeddings', tensors: [w('lm_head.weight', ['vocab_size', 'd_model'])] },
      ],
    },
    Model: { backbone: '', parts: [] },
    ForSequenceClassification: { backbone: 'model.', task: true, parts: [task('classification_head', [...lin('classification_head.dense', 'd_model', 'd_model'), ...lin('classification_head.out_proj', 'num_labels', 'd_model')])] },
    ForQuestionAnswering: { backbone: 'model.', task: true, parts: [task('qa_outputs', lin('qa_outputs', 2, 'd_model'))] },
  },
  defaultHead: 'ForConditionalGeneration',
};

const whisperEncoder: PartSpec[] = [
  {
    id: 'encoder.embeddings',
    kind: 'embeddings',
    tower: 'text',
    prefix: 'encoder.',
    vars: BART_VARS,
    tensors: [w('conv1.weight', ['D', 'num_mel_bins', 3]), w('conv1.bias', ['D']), w('conv2.weight', ['D', 'D', 3]), w('conv2.bias', ['D']), w('embed_positions.weight', ['max_source_positions', 'D'])],
  },
  { id: 'encoder.blocks', kind: 'blocks', tower: 'text', prefix: 'encoder.layers.{N}.', repeat: 'encoder_layers', vars: BART_VARS, tensors: bartLayer('encoder_ffn_dim', false, false) },
  { id: 'encoder.norm', kind: 'norm', tower: 'text', prefix: 'encoder.', vars: BART_VARS, tensors: ln('layer_norm') },
];

const whisper: HfArchitecture = {
  id: 'whisper',
  modelTypes: ['whisper'],
  classPrefix: 'Whisper',
  category: 'audio',
  basePrefix: 'model',
  defaults: { vocab_size: 51865, num_mel_bins: 80, encoder_layers: 4, decoder_layers: 4, encoder_ffn_dim: 1536, decoder_ffn_dim: 1536, d_model: 384, max_source_positions: 1500, max_target_positions: 448, classifier_proj_size: 256, num_labels: 2, tie_word_embeddings: true },
  backbone: [
    ...whisperEncoder,
    { id: 'decoder.embeddings', kind: 'embeddings', tower: 'decoder', prefix: 'decoder.', vars: BART_VARS, tensors: [w('embed_tokens.weight', ['vocab_size', 'D']), w('embed_positions.weight', ['max_target_positions', 'D'])] },
    { id: 'decoder.blocks', kind: 'blocks', tower: 'decoder', prefix: 'decoder.layers.{N}.', repeat: 'decoder_layers', vars: BART_VARS, tensors: bartLayer('decoder_ffn_dim', true, false) },
    { id: 'decoder.norm', kind: 'norm', tower: 'decoder', prefix: 'decoder.', vars: BART_VARS, tensors: ln('layer_norm') },
  ],
  heads: {
    ForConditionalGeneration: {
      backbone: 'model.',
      parts: [
        { id: 'proj_out', kind: 'head', tower: 'decoder', prefix: '', when: 'tie_word_embeddings', tensors: [w('proj_out.weight', ['vocab_size', 'd_model'], { role: 'tied', tiedTo: 'model.decoder.embed_tokens.weight' })] },
        { id: 'proj_out', kind: 'head', tower: 'decoder', prefix: '', when: '!tie_word_embeddings', tensors: [w('proj_out.weight', ['vocab_size', 'd_model'])] },
      ],
    },
    Model: { backbone: '', parts: [] },
    ForAudioClassification: {
      backbone: '',
      without: ['decoder.embeddings', 'decoder.blocks', 'decoder.norm'],
      task: true,
      parts: [task('classifier', [...lin('projector', 'classifier_proj_size', 'd_model'), ...lin('classifier', 'num_labels', 'classifier_proj_size')])],
    },
  },
  defaultHead: 'ForConditionalGeneration',
};

export const SEQ2SEQ: readonly HfArchitecture[] = [t5, bart, whisper];
