import { plural } from '../../shared/text.js';
import type { Checkpoint, TensorInfo } from '../../core/checkpoint.js';
import { CheckpointLensError } from '../../core/result.js';
import { readTensorBytes } from '../../core/values.js';
import { ggufFilesOf } from './file.js';
import { hfNameOf, LLAMA_STYLE_ARCHITECTURES, ROPE_PERMUTED_ARCHITECTURES } from './naming.js';

/**
 * A llama-style GGUF seen under transformers' names, for comparing it with the safetensors it
 * was converted from: tensors renamed through the naming scheme (naming.ts), and for the
 * architectures whose converter permutes q/k rows (LlamaModel.permute), attn_q/attn_k read back
 * in transformers' row order. Returns undefined for files this does not apply to.
 */
export function ggufAsTransformersLlama(c: Checkpoint): { checkpoint: Checkpoint; note: string } | undefined {
  if (c.format !== 'gguf' && c.format !== 'gguf-split') return undefined;
  const h = ggufFilesOf(c)?.[0]?.header;
  const arch = h?.kvByKey.get('general.architecture')?.value;
  if (typeof arch !== 'string' || !LLAMA_STYLE_ARCHITECTURES.includes(arch)) return undefined;
  const num = (k: string) => {
    const v = h?.kvByKey.get(`${arch}.${k}`)?.value;
    return typeof v === 'number' ? v : undefined;
  };
  const heads = num('attention.head_count');
  const kvHeads = num('attention.head_count_kv') ?? heads;
  const permuted = ROPE_PERMUTED_ARCHITECTURES.includes(arch);
  const tensors: TensorInfo[] = [];
  let unpermuted = 0;
  for (const t of c.tensors) {
    const m = hfNameOf(t.name);
    if (!m) {
      tensors.push(t);
      continue;
    }
    const n = m.ropePermute === 'H' ? heads : m.ropePermute === 'KVH' ? kvHeads : undefined;
    if (permuted && m.ropePermute && n && t.shape.length === 2 && t.shape[0]! % (2 * n) === 0) {
      tensors.push(unpermutedRows({ ...t, name: m.hf }, n));
      unpermuted++;
    } else tensors.push({ ...t, name: m.hf });
  }
  const note = `A is GGUF (${arch}): its tensors are compared under transformers names${unpermuted ? `; ${plural(unpermuted, 'attn_q/attn_k tensor')} read in transformers' row order (llama.cpp's converter permutes them for its rotary layout)` : ''}`;
  return { checkpoint: { ...c, tensors }, note };
}

/**
 * The inverse of convert_hf_to_gguf's `permute(w, n_head)`: within each head of `hd` rows,
 * transformers row i·hd/2 + j is GGUF row 2j + i. Reads whole rows of the source (dequantised
 * when quantised), so memory stays at the requested range.
 */
function unpermutedRows(t: TensorInfo, nHead: number): TensorInfo {
  const [rows, cols] = t.shape as [number, number];
  const hd = rows / nHead;
  const half = hd / 2;
  const rowBytes = (t.byteLength / rows) | 0;
  const srcRow = (r: number) => {
    const h = Math.floor(r / hd);
    const w = r % hd;
    const i = Math.floor(w / half);
    const j = w % half;
    return h * hd + 2 * j + i;
  };
  void cols;
  const read = async (start: number, end: number): Promise<Uint8Array> => {
    if (start < 0 || end > t.byteLength || start > end) throw new CheckpointLensError('range-invalid', `byte range ${start}..${end} is outside tensor ${t.name}`);
    const out = new Uint8Array(end - start);
    let pos = start;
    while (pos < end) {
      const r = Math.floor(pos / rowBytes);
      const inRow = pos - r * rowBytes;
      const take = Math.min(rowBytes - inRow, end - pos);
      const s = srcRow(r) * rowBytes + inRow;
      out.set(await readTensorBytes(t, s, s + take), pos - start);
      pos += take;
    }
    return out;
  };
  return { ...t, data: { kind: 'opaque', length: t.byteLength, read } };
}
