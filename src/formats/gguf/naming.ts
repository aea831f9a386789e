/**
 * llama.cpp's tensor naming for llama-style language models, as DATA (a naming scheme with shape
 * expressions), so it can be plugged into the project's one generated-layout mechanism
 * (src/layouts/spec) later instead of growing a second architecture engine here.
 *
 * Shapes are row-major (numpy order: GGUF's ne reversed), over these config fields:
 * D = embedding_length, F = feed_forward_length, V = vocabulary size, KV = head_count_kv × head
 * dimension (D / head_count).
 */
export type GgufRole = 'weight' | 'tied' | 'optional';

export interface GgufTensorTemplate {
  readonly name: string;
  /** The same tensor's name in transformers' llama naming (after the part's `hfPrefix`). */
  readonly hf?: string;
  /** llama.cpp's converter permutes these rows for its rotary layout (heads: `H` = head_count, `KVH` = head_count_kv). */
  readonly ropePermute?: 'H' | 'KVH';
  readonly shape: readonly string[];
  readonly role?: GgufRole;
  /** For `tied`: the tensor that stands in when this one is absent. */
  readonly tiedTo?: string;
}

export interface GgufPart {
  readonly id: string;
  readonly kind: 'embeddings' | 'blocks' | 'norm' | 'head';
  /** `{N}` = block index when `repeat` is set. */
  readonly prefix: string;
  /** The part's prefix in transformers' naming. */
  readonly hfPrefix: string;
  readonly repeat?: string;
  readonly tensors: readonly GgufTensorTemplate[];
}

export const LLAMA_STYLE_PARTS: readonly GgufPart[] = [
  { id: 'embeddings', kind: 'embeddings', prefix: '', hfPrefix: 'model.', tensors: [{ name: 'token_embd.weight', hf: 'embed_tokens.weight', shape: ['V', 'D'] }] },
  {
    id: 'blocks',
    kind: 'blocks',
    prefix: 'blk.{N}.',
    hfPrefix: 'model.layers.{N}.',
    repeat: 'L',
    tensors: [
      { name: 'attn_norm.weight', hf: 'input_layernorm.weight', shape: ['D'] },
      { name: 'attn_q.weight', hf: 'self_attn.q_proj.weight', shape: ['D', 'D'], ropePermute: 'H' },
      { name: 'attn_k.weight', hf: 'self_attn.k_proj.weight', shape: ['KV', 'D'], ropePermute: 'KVH' },
      { name: 'attn_v.weight', hf: 'self_attn.v_proj.weight', shape: ['KV', 'D'] },
      { name: 'attn_output.weight', hf: 'self_attn.o_proj.weight', shape: ['D', 'D'] },
      { name: 'attn_q.bias', hf: 'self_attn.q_proj.bias', shape: ['D'], role: 'optional' },
      { name: 'attn_k.bias', hf: 'self_attn.k_proj.bias', shape: ['KV'], role: 'optional' },
      { name: 'attn_v.bias', hf: 'self_attn.v_proj.bias', shape: ['KV'], role: 'optional' },
      { name: 'ffn_norm.weight', hf: 'post_attention_layernorm.weight', shape: ['D'] },
      { name: 'ffn_gate.weight', hf: 'mlp.gate_proj.weight', shape: ['F', 'D'] },
      { name: 'ffn_up.weight', hf: 'mlp.up_proj.weight', shape: ['F', 'D'] },
      { name: 'ffn_down.weight', hf: 'mlp.down_proj.weight', shape: ['D', 'F'] },
    ],
  },
  { id: 'final_norm', kind: 'norm', prefix: '', hfPrefix: 'model.', tensors: [{ name: 'output_norm.weight', hf: 'norm.weight', shape: ['D'] }] },
  { id: 'lm_head', kind: 'head', prefix: '', hfPrefix: '', tensors: [{ name: 'output.weight', hf: 'lm_head.weight', shape: ['V', 'D'], role: 'tied', tiedTo: 'token_embd.weight' }] },
];

/** Architectures whose converter (convert_hf_to_gguf.py's LlamaModel and subclasses) permutes q/k rows. */
export const ROPE_PERMUTED_ARCHITECTURES: readonly string[] = ['llama', 'mistral', 'granite'];

/** GGUF name → transformers name (and the q/k permutation), for the blocks' index range given. */
export function hfNameOf(ggufName: string): { hf: string; ropePermute?: 'H' | 'KVH' } | undefined {
  for (const p of LLAMA_STYLE_PARTS) {
    let rest = ggufName;
    let n: string | undefined;
    if (p.repeat) {
      const m = /^blk\.(\d+)\./.exec(ggufName);
      if (!m) continue;
      n = m[1];
      rest = ggufName.slice(m[0].length);
    } else if (p.prefix && !ggufName.startsWith(p.prefix)) continue;
    for (const t of p.tensors) {
      if (t.name !== rest || !t.hf) continue;
      const hf = p.hfPrefix.replace('{N}', n ?? '') + t.hf;
      return t.ropePermute ? { hf, ropePermute: t.ropePermute } : { hf };
    }
  }
  return undefined;
}

/** Architectures (general.architecture) whose tensors follow LLAMA_STYLE_PARTS exactly. */
export const LLAMA_STYLE_ARCHITECTURES: readonly string[] = ['llama', 'mistral', 'qwen2', 'qwen3', 'granite', 'internlm2', 'olmo', 'stablelm'];

export interface ExpectedGgufTensor {
  readonly name: string;
  readonly shape: readonly number[] | null;
  readonly part: string;
  readonly role: GgufRole;
  readonly tiedTo?: string;
}

/** Expected tensors for a config; a shape is null when a field it needs is unknown. */
export function expandParts(parts: readonly GgufPart[], cfg: Readonly<Record<string, number | undefined>>): ExpectedGgufTensor[] {
  const out: ExpectedGgufTensor[] = [];
  const dim = (e: string): number | undefined => {
    if (/^\d+$/.test(e)) return Number(e);
    return cfg[e];
  };
  for (const p of parts) {
    const n = p.repeat ? dim(p.repeat) : 1;
    if (n === undefined) continue;
    for (let i = 0; i < n; i++) {
      const prefix = p.prefix.replace('{N}', String(i));
      for (const t of p.tensors) {
        const dims = t.shape.map(dim);
        const shape = dims.every((d) => d !== undefined) ? (dims as number[]) : null;
        out.push({ name: prefix + t.name, shape, part: p.id, role: t.role ?? 'weight', ...(t.tiedTo ? { tiedTo: t.tiedTo } : {}) });
      }
    }
  }
  return out;
}
