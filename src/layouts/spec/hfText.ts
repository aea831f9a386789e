import { pair } from './clip.js';
import type { PartSpec, TensorTemplate } from './types.js';

/**
 * The transformers text towers open_clip wraps (HFTextEncoder, `text.transformer.` = the
 * AutoModel's own state dict): BERT-like encoders (roberta, xlm-roberta; the pooler only with open_clip's `cls_pooler`), the T5
 * encoder stack (mT5: gated-GELU FFN, relative-attention bias in block 0 only) and the M2M100
 * encoder (NLLB; its sinusoidal positions are not stored), and ModernBERT (RoPE, no biases). Fields: `text.hfType` ('bert' | 't5' |
 * 'm2m' | 'modernbert'), `text.hidden`, `text.layers`, `text.vocab`, `text.ffn`, `text.positions`,
 * `text.typeVocab`, `text.inner`, `text.heads`, `text.buckets` (clipTables.ts HF_TEXT_TOWERS).
 */

const lin = (name: string, out: string, inp: string, bias = true): TensorTemplate[] => [{ name: `${name}.weight`, shape: [out, inp] }, ...(bias ? [{ name: `${name}.bias`, shape: [out] }] : [])];

const P = 'text.transformer.';
const vars = { D: 'text.hidden', F: 'text.ffn', I: 'text.inner' };

export function hfTextParts(hfOn: string): PartSpec[] {
  const bert = `${hfOn} && text.hfType == 'bert'`;
  const t5 = `${hfOn} && text.hfType == 't5'`;
  const m2m = `${hfOn} && text.hfType == 'm2m'`;
  const mbert = `${hfOn} && text.hfType == 'modernbert'`;
  return [
    // BERT-like (RobertaModel / XLMRobertaModel, add_pooling_layer=False)
    {
      id: 'text.embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: `${P}embeddings.`,
      when: bert,
      vars,
      tensors: [
        { name: 'word_embeddings.weight', shape: ['text.vocab', 'D'] },
        { name: 'position_embeddings.weight', shape: ['text.positions', 'D'] },
        { name: 'token_type_embeddings.weight', shape: ['text.typeVocab', 'D'] },
        ...pair('LayerNorm', ['D']),
      ],
    },
    {
      id: 'text.blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: `${P}encoder.layer.{N}.`,
      when: bert,
      repeat: 'text.layers',
      vars,
      tensors: [
        ...lin('attention.self.query', 'D', 'D'),
        ...lin('attention.self.key', 'D', 'D'),
        ...lin('attention.self.value', 'D', 'D'),
        ...lin('attention.output.dense', 'D', 'D'),
        ...pair('attention.output.LayerNorm', ['D']),
        ...lin('intermediate.dense', 'F', 'D'),
        ...lin('output.dense', 'D', 'F'),
        ...pair('output.LayerNorm', ['D']),
      ],
    },
    // BERT-like with open_clip's cls_pooler: AutoModel is built with its pooler (add_pooling_layer=True)
    { id: 'text.pooler', kind: 'head', tower: 'text', prefix: `${P}pooler.`, when: `${bert} && text.pooler == 'cls_pooler'`, vars, tensors: lin('dense', 'D', 'D') },
    // T5 encoder stack (MT5EncoderModel's encoder)
    { id: 'text.embeddings', kind: 'embeddings', tower: 'text', prefix: P, when: t5, tensors: [{ name: 'embed_tokens.weight', shape: ['text.vocab', 'text.hidden'] }] },
    {
      id: 'text.blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: `${P}block.{N}.layer.`,
      when: t5,
      repeat: 'text.layers',
      vars,
      tensors: [
        ...['q', 'k', 'v'].map((x) => ({ name: `0.SelfAttention.${x}.weight`, shape: ['I', 'D'] })),
        { name: '0.SelfAttention.o.weight', shape: ['D', 'I'] },
        { name: '0.SelfAttention.relative_attention_bias.weight', shape: ['text.buckets', 'text.heads'], when: 'N == 0' },
        { name: '0.layer_norm.weight', shape: ['D'] },
        { name: '1.DenseReluDense.wi_0.weight', shape: ['F', 'D'] },
        { name: '1.DenseReluDense.wi_1.weight', shape: ['F', 'D'] },
        { name: '1.DenseReluDense.wo.weight', shape: ['D', 'F'] },
        { name: '1.layer_norm.weight', shape: ['D'] },
      ],
    },
    { id: 'text.norm', kind: 'norm', tower: 'text', prefix: P, when: t5, tensors: [{ name: 'final_layer_norm.weight', shape: ['text.hidden'] }] },
    // M2M100 encoder (NLLB)
    { id: 'text.embeddings', kind: 'embeddings', tower: 'text', prefix: P, when: m2m, tensors: [{ name: 'embed_tokens.weight', shape: ['text.vocab', 'text.hidden'] }] },
    {
      id: 'text.blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: `${P}layers.{N}.`,
      when: m2m,
      repeat: 'text.layers',
      vars,
      tensors: [
        ...lin('self_attn.k_proj', 'D', 'D'),
        ...lin('self_attn.v_proj', 'D', 'D'),
        ...lin('self_attn.q_proj', 'D', 'D'),
        ...lin('self_attn.out_proj', 'D', 'D'),
        ...pair('self_attn_layer_norm', ['D']),
        ...lin('fc1', 'F', 'D'),
        ...lin('fc2', 'D', 'F'),
        ...pair('final_layer_norm', ['D']),
      ],
    },
    { id: 'text.norm', kind: 'norm', tower: 'text', prefix: P, when: m2m, tensors: pair('layer_norm', ['text.hidden']) },
    // ModernBERT (no biases, no attention norm in layer 0, GeGLU `Wi` packed input + gate)
    { id: 'text.embeddings', kind: 'embeddings', tower: 'text', prefix: `${P}embeddings.`, when: mbert, tensors: [{ name: 'tok_embeddings.weight', shape: ['text.vocab', 'text.hidden'] }, { name: 'norm.weight', shape: ['text.hidden'] }] },
    {
      id: 'text.blocks',
      kind: 'blocks',
      tower: 'text',
      prefix: `${P}layers.{N}.`,
      when: mbert,
      repeat: 'text.layers',
      vars,
      tensors: [
        { name: 'attn_norm.weight', shape: ['D'], when: 'N > 0' },
        { name: 'attn.Wqkv.weight', shape: ['3 * D', 'D'] },
        { name: 'attn.Wo.weight', shape: ['D', 'D'] },
        { name: 'mlp_norm.weight', shape: ['D'] },
        { name: 'mlp.Wi.weight', shape: ['2 * F', 'D'] },
        { name: 'mlp.Wo.weight', shape: ['D', 'F'] },
      ],
    },
    { id: 'text.norm', kind: 'norm', tower: 'text', prefix: P, when: mbert, tensors: [{ name: 'final_norm.weight', shape: ['text.hidden'] }] },
  ];
}
