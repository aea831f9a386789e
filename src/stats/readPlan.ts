import { plural } from '../shared/text.js';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { err, ok, readError, type Result } from '../core/result.js';

/**
 * Which tensors a value pass (stats, checks) reads, and a bound on the bytes that costs.
 *
 * Tensor ranges come from the file and may overlap or repeat (20,000 safetensors entries over
 * the same 8 MiB, a PyTorch storage shared by many views): reading each as if it were its own
 * would read the file thousands of times over. Tensors with the very same bytes are read once
 * (`sameAs`), and what remains must fit in a small multiple of the files' size, or the pass is
 * refused with `reads-exceed-file-size` before any byte is read.
 */
export interface ReadPlan {
  /** Tensors to read, in order, without repeats of the same bytes. */
  readonly distinct: readonly TensorInfo[];
  /** name → the name of the distinct tensor with the same bytes (only for repeats). */
  readonly sameAs: ReadonlyMap<string, string>;
  readonly bytes: number;
}

/** Reads may total twice the files' size plus this slack (views re-reading a shared storage). */
const SLACK_BYTES = 64 << 20;

export function planReads(c: Pick<Checkpoint, 'files'>, tensors: readonly TensorInfo[]): Result<ReadPlan> {
  const byKey = new Map<string, string>();
  const sameAs = new Map<string, string>();
  const distinct: TensorInfo[] = [];
  let bytes = 0;
  let opaque = 0;
  for (const t of tensors) {
    const key = identity(t);
    const first = key === undefined ? undefined : byKey.get(key);
    if (first !== undefined) {
      sameAs.set(t.name, first);
      continue;
    }
    if (key !== undefined) byKey.set(key, t.name);
    distinct.push(t);
    const d = t.data;
    if (d.kind === 'contiguous') bytes += d.length;
    else if (d.kind === 'strided') bytes += Math.min(d.storage.length, t.byteLength);
    else opaque += d.length;
  }
  let fileBytes = 0;
  for (const f of c.files) fileBytes += f.size;
  const limit = 2 * fileBytes + SLACK_BYTES;
  // Compressed (opaque) storages inflate to at most ~1,032× their size; they are bounded by the zip reader.
  if (bytes > limit) {
    return err(
      readError(
        'reads-exceed-file-size',
        `Reading these ${plural(distinct.length, 'tensor')} would read ${bytes} bytes from ${fileBytes} bytes of data: their byte ranges overlap (see tensors-overlap). Refused; pick tensors with --tensor.`,
      ),
    );
  }
  return ok({ distinct, sameAs, bytes: bytes + opaque });
}

function identity(t: TensorInfo): string | undefined {
  const d = t.data;
  if (d.kind === 'contiguous') return `c|${t.dtype}|${t.shape.join(',')}|${d.file}|${d.offset}|${d.length}`;
  if (d.kind === 'strided') return `s|${t.dtype}|${t.shape.join(',')}|${d.file}|${d.storage.offset}|${d.storage.length}|${d.storageOffset}|${d.strides.join(',')}`;
  return undefined;
}
