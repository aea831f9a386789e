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
  readonly repeat?: string;
  readonly tensors: readonly GgufTensorTemplate[];
}

export const LLAMA_STYLE_PARTS: readonly GgufPart[] = [
  { id: 'embeddings', kind: 'embeddings', prefix: '', tensors: [{ name: 'token_embd.weight', shape: ['V', 'D'] }] },
  {
    id: 'blocks',
    kind: 'blocks',
    prefix: 'blk.{N}.',
    repeat: 'L',
    tensors: [
      { name: 'attn_norm.weight', shape: ['D'] },
      { name: 'attn_q.weight', shape: ['D', 'D'] },
      { name: 'attn_k.weight', shape: ['KV', 'D'] },
      { name: 'attn_v.weight', shape: ['KV', 'D'] },
      { name: 'attn_output.weight', shape: ['D', 'D'] },
      { name: 'attn_q.bias', shape: ['D'], role: 'optional' },
      { name: 'attn_k.bias', shape: ['KV'], role: 'optional' },
      { name: 'attn_v.bias', shape: ['KV'], role: 'optional' },
      { name: 'ffn_norm.weight', shape: ['D'] },
      { name: 'ffn_gate.weight', shape: ['F', 'D'] },
      { name: 'ffn_up.weight', shape: ['F', 'D'] },
      { name: 'ffn_down.weight', shape: ['D', 'F'] },
    ],
  },
  { id: 'final_norm', kind: 'norm', prefix: '', tensors: [{ name: 'output_norm.weight', shape: ['D'] }] },
  { id: 'lm_head', kind: 'head', prefix: '', tensors: [{ name: 'output.weight', shape: ['V', 'D'], role: 'tied', tiedTo: 'token_embd.weight' }] },
];

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
