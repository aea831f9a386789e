import type { PartSpec, TensorTemplate } from '../types.js';
import type { HfArchitecture, HfHead } from './types.js';

/** Encoders (BERT family, DistilBERT, DeBERTa-v2, ModernBERT) in transformers naming. */

const w = (name: string, shape: TensorTemplate['shape'], extra: Partial<TensorTemplate> = {}): TensorTemplate => ({ name, shape, ...extra });
const lin = (name: string, out: string | number, inp: string | number, bias = true): TensorTemplate[] => [w(`${name}.weight`, [out, inp]), ...(bias ? [w(`${name}.bias`, [out])] : [])];
const ln = (name: string, dim = 'D', bias = true): TensorTemplate[] => [w(`${name}.weight`, [dim]), ...(bias ? [w(`${name}.bias`, [dim])] : [])];
const task = (id: string, tensors: TensorTemplate[]): PartSpec => ({ id, kind: 'head', tower: 'other', prefix: '', tensors: tensors.map((t) => ({ ...t, role: 'task-head' as const })) });
const head = (id: string, tensors: TensorTemplate[]): PartSpec => ({ id, kind: 'head', tower: 'text', prefix: '', tensors });

const VARS = { D: 'hidden_size', M: 'intermediate_size', V: 'vocab_size' };

/** BERT layer (`encoder.layer.{N}.`): self-attention, its output projection + LayerNorm, intermediate, output + LayerNorm. */
const bertLayer = (q = 'query', k = 'key', v = 'value'): TensorTemplate[] => [
  ...lin(`attention.self.${q}`, 'D', 'D'),
  ...lin(`attention.self.${k}`, 'D', 'D'),
  ...lin(`attention.self.${v}`, 'D', 'D'),
  ...lin('attention.output.dense', 'D', 'D'),
  ...ln('attention.output.LayerNorm'),
  ...lin('intermediate.dense', 'M', 'D'),
  ...lin('output.dense', 'D', 'M'),
  ...ln('output.LayerNorm'),
];

/** The pooler (dense + tanh on [CLS]): only classification heads use it; new when fine-tuning. */
const POOLER: PartSpec = { id: 'pooler', kind: 'head', tower: 'other', prefix: '', vars: VARS, tensors: lin('pooler.dense', 'D', 'D').map((t) => ({ ...t, role: 'task-head' as const })) };

function bertBackbone(tokenTypes: boolean, positions = true): PartSpec[] {
  return [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: 'embeddings.',
      vars: VARS,
      tensors: [
        w('word_embeddings.weight', ['V', 'D']),
        ...(positions ? [w('position_embeddings.weight', ['max_position_embeddings', 'D'], { when: "position_embedding_type == 'absolute' || !defined(position_embedding_type)" })] : []),
        ...(tokenTypes ? [w('token_type_embeddings.weight', ['type_vocab_size', 'D'], { when: 'type_vocab_size > 0' })] : []),
        ...ln('LayerNorm'),
      ],
    },
    { id: 'blocks', kind: 'blocks', tower: 'text', prefix: 'encoder.layer.{N}.', repeat: 'num_hidden_layers', vars: VARS, tensors: bertLayer() },
    POOLER,
  ];
}

const BERT_DEFAULTS = { vocab_size: 30522, hidden_size: 768, num_hidden_layers: 12, intermediate_size: 3072, max_position_embeddings: 512, type_vocab_size: 2, position_embedding_type: 'absolute', tie_word_embeddings: true, num_labels: 2 } as const;

/** MLM head of BERT (`cls.predictions.*`), decoder tied to the word embeddings. */
const bertMlm = (base: string): PartSpec[] => (<PartSpec[]>[
  head('mlm', [w('cls.predictions.bias', ['V']), ...lin('cls.predictions.transform.dense', 'D', 'D'), ...ln('cls.predictions.transform.LayerNorm')].map((t) => t)),
  { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: 'tie_word_embeddings', tensors: [w('cls.predictions.decoder.weight', ['V', 'D'], { role: 'tied', tiedTo: `${base}embeddings.word_embeddings.weight` }), w('cls.predictions.decoder.bias', ['V'], { role: 'tied', tiedTo: 'cls.predictions.bias' })] },
  { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: '!tie_word_embeddings', tensors: [w('cls.predictions.decoder.weight', ['V', 'D']), w('cls.predictions.decoder.bias', ['V'], { role: 'tied', tiedTo: 'cls.predictions.bias' })] },
]).map((p) => ({ ...p, vars: VARS }));

/** RoBERTa's `lm_head` (dense, layer_norm, decoder tied to the word embeddings, bias). */
const robertaLmHead = (base: string): PartSpec[] => [
  { id: 'lm_head', kind: 'head', tower: 'text', prefix: '', vars: VARS, tensors: [w('lm_head.bias', ['V']), ...lin('lm_head.dense', 'D', 'D'), ...ln('lm_head.layer_norm')] },
  { id: 'lm_head.decoder', kind: 'head', tower: 'text', prefix: '', vars: VARS, when: 'tie_word_embeddings', tensors: [w('lm_head.decoder.weight', ['V', 'D'], { role: 'tied', tiedTo: `${base}embeddings.word_embeddings.weight` }), w('lm_head.decoder.bias', ['V'], { role: 'tied', tiedTo: 'lm_head.bias' })] },
  { id: 'lm_head.decoder', kind: 'head', tower: 'text', prefix: '', vars: VARS, when: '!tie_word_embeddings', tensors: [w('lm_head.decoder.weight', ['V', 'D']), w('lm_head.decoder.bias', ['V'], { role: 'tied', tiedTo: 'lm_head.bias' })] },
];

function bertHeads(base: string, roberta: boolean): Record<string, HfHead> {
  const noPool = ['pooler'];
  const heads: Record<string, HfHead> = {
    Model: { backbone: '', parts: [] },
    ForMaskedLM: { backbone: base, without: noPool, parts: roberta ? robertaLmHead(base) : bertMlm(base) },
    ForSequenceClassification: roberta
      ? { backbone: base, without: noPool, task: true, parts: [task('classifier', [...lin('classifier.dense', 'hidden_size', 'hidden_size'), ...lin('classifier.out_proj', 'num_labels', 'hidden_size')])] }
      : { backbone: base, task: true, parts: [task('classifier', lin('classifier', 'num_labels', 'hidden_size'))] },
    ForTokenClassification: { backbone: base, without: noPool, task: true, parts: [task('classifier', lin('classifier', 'num_labels', 'hidden_size'))] },
    ForQuestionAnswering: { backbone: base, without: noPool, task: true, parts: [task('qa_outputs', lin('qa_outputs', 2, 'hidden_size'))] },
    ForMultipleChoice: { backbone: base, task: true, parts: [task('classifier', lin('classifier', 1, 'hidden_size'))] },
  };
  if (roberta) heads.ForCausalLM = { backbone: base, without: noPool, parts: robertaLmHead(base) };
  else heads.ForPreTraining = { backbone: base, parts: [...bertMlm(base), head('nsp', lin('cls.seq_relationship', 2, 'hidden_size'))] };
  return heads;
}

const bert: HfArchitecture = {
  id: 'bert',
  modelTypes: ['bert'],
  classPrefix: 'Bert',
  category: 'encoder',
  basePrefix: 'bert',
  defaults: BERT_DEFAULTS,
  backbone: bertBackbone(true),
  heads: bertHeads('bert.', false),
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
};

const roberta = (id: string, classPrefix: string): HfArchitecture => ({
  id,
  modelTypes: [id],
  classPrefix,
  category: 'encoder',
  basePrefix: 'roberta',
  defaults: { ...BERT_DEFAULTS, vocab_size: id === 'roberta' ? 50265 : 30522 },
  backbone: bertBackbone(true),
  heads: bertHeads('roberta.', true),
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
});

const DB_VARS = { D: 'dim', M: 'hidden_dim', V: 'vocab_size' };
const distilbert: HfArchitecture = {
  id: 'distilbert',
  modelTypes: ['distilbert'],
  classPrefix: 'DistilBert',
  category: 'encoder',
  basePrefix: 'distilbert',
  defaults: { vocab_size: 30522, max_position_embeddings: 512, n_layers: 6, dim: 768, hidden_dim: 3072, tie_word_embeddings: true, num_labels: 2 },
  backbone: [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: 'embeddings.', vars: DB_VARS, tensors: [w('word_embeddings.weight', ['V', 'D']), w('position_embeddings.weight', ['max_position_embeddings', 'D']), ...ln('LayerNorm')] },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'transformer.layer.{N}.',
      repeat: 'n_layers',
      vars: DB_VARS,
      tensors: [...lin('attention.q_lin', 'D', 'D'), ...lin('attention.k_lin', 'D', 'D'), ...lin('attention.v_lin', 'D', 'D'), ...lin('attention.out_lin', 'D', 'D'), ...ln('sa_layer_norm'), ...lin('ffn.lin1', 'M', 'D'), ...lin('ffn.lin2', 'D', 'M'), ...ln('output_layer_norm')],
    },
  ],
  heads: {
    Model: { backbone: '', parts: [] },
    ForMaskedLM: {
      backbone: 'distilbert.',
      parts: [
        head('mlm', [...lin('vocab_transform', 'dim', 'dim'), ...ln('vocab_layer_norm', 'dim'), w('vocab_projector.bias', ['vocab_size'])]),
        { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: 'tie_word_embeddings', tensors: [w('vocab_projector.weight', ['vocab_size', 'dim'], { role: 'tied', tiedTo: 'distilbert.embeddings.word_embeddings.weight' })] },
        { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: '!tie_word_embeddings', tensors: [w('vocab_projector.weight', ['vocab_size', 'dim'])] },
      ],
    },
    ForSequenceClassification: { backbone: 'distilbert.', task: true, parts: [task('classifier', [...lin('pre_classifier', 'dim', 'dim'), ...lin('classifier', 'num_labels', 'dim')])] },
    ForTokenClassification: { backbone: 'distilbert.', task: true, parts: [task('classifier', lin('classifier', 'num_labels', 'dim'))] },
    ForQuestionAnswering: { backbone: 'distilbert.', task: true, parts: [task('qa_outputs', lin('qa_outputs', 2, 'dim'))] },
    ForMultipleChoice: { backbone: 'distilbert.', task: true, parts: [task('classifier', [...lin('pre_classifier', 'dim', 'dim'), ...lin('classifier', 1, 'dim')])] },
  },
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
};

const DEB_VARS = { ...VARS, E: 'def(embedding_size, hidden_size)' };
const debertaV2: HfArchitecture = {
  id: 'deberta-v2',
  modelTypes: ['deberta-v2'],
  classPrefix: 'DebertaV2',
  category: 'encoder',
  basePrefix: 'deberta',
  defaults: { vocab_size: 128100, hidden_size: 1536, num_hidden_layers: 24, intermediate_size: 6144, max_position_embeddings: 512, type_vocab_size: 0, position_biased_input: true, relative_attention: false, max_relative_positions: -1, position_buckets: -1, norm_rel_ebd: 'none', conv_kernel_size: 0, embedding_size: null, pooler_hidden_size: null, tie_word_embeddings: true, num_labels: 2 },
  vars: { relEmb: "relative_attention ? (position_buckets > 0 ? position_buckets * 2 : (max_relative_positions < 1 ? max_position_embeddings : max_relative_positions) * 2) : 0" },
  backbone: [
    {
      id: 'embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: 'embeddings.',
      vars: DEB_VARS,
      tensors: [
        w('word_embeddings.weight', ['V', 'E']),
        w('position_embeddings.weight', ['max_position_embeddings', 'E'], { when: 'position_biased_input' }),
        w('token_type_embeddings.weight', ['type_vocab_size', 'E'], { when: 'type_vocab_size > 0' }),
        w('embed_proj.weight', ['D', 'E'], { when: 'E != D' }),
        ...ln('LayerNorm'),
      ],
    },
    { id: 'blocks', kind: 'blocks', tower: 'text', prefix: 'encoder.layer.{N}.', repeat: 'num_hidden_layers', vars: DEB_VARS, tensors: bertLayer('query_proj', 'key_proj', 'value_proj') },
    {
      id: 'encoder',
      kind: 'norm',
      tower: 'text',
      prefix: 'encoder.',
      when: 'relative_attention',
      vars: DEB_VARS,
      tensors: [
        w('rel_embeddings.weight', ['relEmb', 'D']),
        ...ln('LayerNorm').map((t) => ({ ...t, when: "norm_rel_ebd == 'layer_norm'" })),
        w('conv.conv.weight', ['D', 'D', 'conv_kernel_size'], { when: 'conv_kernel_size > 0' }),
        w('conv.conv.bias', ['D'], { when: 'conv_kernel_size > 0' }),
        ...ln('conv.LayerNorm').map((t) => ({ ...t, when: 'conv_kernel_size > 0' })),
      ],
    },
  ],
  heads: {
    Model: { backbone: '', parts: [] },
    ForMaskedLM: { backbone: 'deberta.', parts: bertMlm('deberta.') },
    ForSequenceClassification: { backbone: 'deberta.', task: true, parts: [task('classifier', [...lin('pooler.dense', 'def(pooler_hidden_size, hidden_size)', 'def(pooler_hidden_size, hidden_size)'), ...lin('classifier', 'num_labels', 'def(pooler_hidden_size, hidden_size)')])] },
    ForTokenClassification: { backbone: 'deberta.', task: true, parts: [task('classifier', lin('classifier', 'num_labels', 'hidden_size'))] },
    ForQuestionAnswering: { backbone: 'deberta.', task: true, parts: [task('qa_outputs', lin('qa_outputs', 2, 'hidden_size'))] },
    ForMultipleChoice: { backbone: 'deberta.', task: true, parts: [task('classifier', [...lin('pooler.dense', 'def(pooler_hidden_size, hidden_size)', 'def(pooler_hidden_size, hidden_size)'), ...lin('classifier', 1, 'def(pooler_hidden_size, hidden_size)')])] },
  },
  defaultHead: 'Model',
  legacyBuffers: ['embeddings.position_ids'],
};

const MB_VARS = { D: 'hidden_size', M: 'intermediate_size', V: 'vocab_size' };
const mbNorm = (name: string, dim = 'D'): TensorTemplate[] => ln(name, dim, false).concat([w(`${name}.bias`, [dim], { when: 'norm_bias' })]);
const modernbert: HfArchitecture = {
  id: 'modernbert',
  modelTypes: ['modernbert'],
  classPrefix: 'ModernBert',
  category: 'encoder',
  basePrefix: 'model',
  defaults: { vocab_size: 50368, hidden_size: 768, intermediate_size: 1152, num_hidden_layers: 22, norm_bias: false, attention_bias: false, mlp_bias: false, classifier_bias: false, decoder_bias: true, tie_word_embeddings: true, num_labels: 2 },
  backbone: [
    { id: 'embeddings', kind: 'embeddings', tower: 'text', prefix: 'embeddings.', vars: MB_VARS, tensors: [w('tok_embeddings.weight', ['V', 'D']), ...mbNorm('norm')] },
    {
      id: 'blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: 'layers.{N}.',
      repeat: 'num_hidden_layers',
      vars: MB_VARS,
      tensors: [
        // layer 0 uses Identity for attn_norm.
        ...mbNorm('attn_norm').map((t) => ({ ...t, when: t.when ? `N > 0 && ${t.when}` : 'N > 0' })),
        w('attn.Wqkv.weight', ['3 * D', 'D']),
        w('attn.Wqkv.bias', ['3 * D'], { when: 'attention_bias' }),
        w('attn.Wo.weight', ['D', 'D']),
        w('attn.Wo.bias', ['D'], { when: 'attention_bias' }),
        ...mbNorm('mlp_norm'),
        w('mlp.Wi.weight', ['2 * M', 'D']),
        w('mlp.Wi.bias', ['2 * M'], { when: 'mlp_bias' }),
        w('mlp.Wo.weight', ['D', 'M']),
        w('mlp.Wo.bias', ['D'], { when: 'mlp_bias' }),
      ],
    },
    { id: 'norm', kind: 'norm', tower: 'text', prefix: '', vars: MB_VARS, tensors: mbNorm('final_norm') },
  ],
  heads: {
    Model: { backbone: '', parts: [] },
    ForMaskedLM: {
      backbone: 'model.',
      parts: [
        head('mlm', [w('head.dense.weight', ['hidden_size', 'hidden_size']), w('head.dense.bias', ['hidden_size'], { when: 'classifier_bias' }), w('head.norm.weight', ['hidden_size']), w('head.norm.bias', ['hidden_size'], { when: 'norm_bias' }), w('decoder.bias', ['vocab_size'], { when: 'decoder_bias' })]),
        { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: 'tie_word_embeddings', tensors: [w('decoder.weight', ['vocab_size', 'hidden_size'], { role: 'tied', tiedTo: 'model.embeddings.tok_embeddings.weight' })] },
        { id: 'mlm.decoder', kind: 'head', tower: 'text', prefix: '', when: '!tie_word_embeddings', tensors: [w('decoder.weight', ['vocab_size', 'hidden_size'])] },
      ],
    },
    ForSequenceClassification: {
      backbone: 'model.',
      task: true,
      parts: [task('classifier', [w('head.dense.weight', ['hidden_size', 'hidden_size']), w('head.dense.bias', ['hidden_size'], { when: 'classifier_bias' }), w('head.norm.weight', ['hidden_size']), w('head.norm.bias', ['hidden_size'], { when: 'norm_bias' }), ...lin('classifier', 'num_labels', 'hidden_size')])],
    },
    ForTokenClassification: {
      backbone: 'model.',
      task: true,
      parts: [task('classifier', [w('head.dense.weight', ['hidden_size', 'hidden_size']), w('head.dense.bias', ['hidden_size'], { when: 'classifier_bias' }), w('head.norm.weight', ['hidden_size']), w('head.norm.bias', ['hidden_size'], { when: 'norm_bias' }), ...lin('classifier', 'num_labels', 'hidden_size')])],
    },
  },
  defaultHead: 'Model',
};

export const ENCODERS: readonly HfArchitecture[] = [bert, roberta('roberta', 'Roberta'), roberta('xlm-roberta', 'XLMRoberta'), distilbert, debertaV2, modernbert];
