import type { TensorData, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import { dtypeBits, type DType } from '../../core/dtype.js';
import { CheckpointLensError } from '../../core/result.js';
import type { PyTensor } from './pickle/values.js';

/** Where a storage's bytes are: in place in a file (stored zip entry, legacy file) or behind a reader (deflated entry). */
export type StorageBytes =
  | { readonly kind: 'file'; readonly file: string; readonly offset: number; readonly length: number }
  | { readonly kind: 'reader'; readonly length: number; readonly read: (start: number, end: number) => Promise<Uint8Array> };

/** Largest storage window gathered at once for a non-contiguous view of a compressed storage. */
const MAX_GATHER_WINDOW = 256 << 20;

/**
 * Maps a rebuilt PyTorch tensor onto the common model: a contiguous byte range when the view is
 * row-major (most state dicts), a strided view otherwise (transposed, sliced, expanded, shared).
 */
export function toTensorInfo(name: string, t: PyTensor, bytes: StorageBytes, shard: string | undefined): TensorInfo | UnreadableTensor {
  const dtype = t.dtype;
  const unreadable = (reason: string): UnreadableTensor => ({ name, rawDtype: dtype ?? t.storage.storageType, shape: t.shape, reason, ...(shard ? { shard } : {}) });
  if (dtype === undefined) return unreadable(`its storage type ${t.storage.storageType} is not supported (quantized or complex128).`);
  const width = dtypeBits(dtype) / 8;
  let elementCount = 1;
  for (const d of t.shape) elementCount *= d;
  if (!Number.isSafeInteger(elementCount) || !Number.isSafeInteger(elementCount * width)) return unreadable('its shape has more elements than can be addressed.');
  const byteLength = elementCount * width;
  // The furthest element the view touches must lie inside the storage.
  let maxOff = t.storageOffset;
  for (let k = 0; k < t.shape.length; k++) maxOff += (t.shape[k]! - 1) * t.strides[k]!;
  if (elementCount > 0 && (maxOff + 1) * width > bytes.length) {
    return unreadable(`it reads up to byte ${(maxOff + 1) * width} of its storage, which has only ${bytes.length} bytes (truncated or corrupt).`);
  }
  const base = t.storageOffset * width;
  const data: TensorData = isRowMajor(t.shape, t.strides)
    ? bytes.kind === 'file'
      ? { kind: 'contiguous', file: bytes.file, offset: bytes.offset + base, length: byteLength }
      : { kind: 'opaque', length: byteLength, read: (s, e) => bytes.read(base + s, base + e) }
    : bytes.kind === 'file'
      ? { kind: 'strided', file: bytes.file, storage: { offset: bytes.offset, length: bytes.length }, storageOffset: t.storageOffset, strides: [...t.strides] }
      : { kind: 'opaque', length: byteLength, read: (s, e) => gather(bytes, dtype, t, s, e) };
  return { name, dtype, shape: [...t.shape], elementCount, byteLength, data, ...(shard ? { shard } : {}) };
}

/** Row-major strides, ignoring size-1 dimensions (whose stride is irrelevant). */
export function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k] === 0) return true;
    if (shape[k] !== 1 && strides[k] !== expect) return false;
    expect *= shape[k]!;
  }
  return true;
}

/** Logical bytes [start, end) of a non-contiguous view over a storage behind a reader. */
async function gather(bytes: Extract<StorageBytes, { kind: 'reader' }>, dtype: DType, t: PyTensor, start: number, end: number): Promise<Uint8Array> {
  const width = dtypeBits(dtype) / 8;
  const first = Math.floor(start / width);
  const last = Math.ceil(end / width); // exclusive
  const count = last - first;
  const offs = new Float64Array(count);
  let lo = Infinity;
  let hi = -Infinity;
  const idx = unravel(first, t.shape);
  for (let i = 0; i < count; i++) {
    let off = t.storageOffset;
    for (let k = 0; k < idx.length; k++) off += idx[k]! * t.strides[k]!;
    offs[i] = off;
    if (off < lo) lo = off;
    if (off > hi) hi = off;
    for (let k = idx.length - 1; k >= 0; k--) {
      if (++idx[k]! < t.shape[k]!) break;
      idx[k] = 0;
    }
  }
  if (count === 0) return new Uint8Array(0);
  if ((hi - lo + 1) * width > MAX_GATHER_WINDOW) throw new CheckpointLensError('strided-window-too-large', `a strided read window of ${(hi - lo + 1) * width} bytes exceeds the memory bound`);
  const win = await bytes.read(lo * width, (hi + 1) * width);
  const out = new Uint8Array(count * width);
  for (let i = 0; i < count; i++) out.set(win.subarray((offs[i]! - lo) * width, (offs[i]! - lo + 1) * width), i * width);
  return out.subarray(start - first * width, end - first * width);
}

function unravel(flat: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = shape.length - 1; k >= 0 && flat > 0; k--) {
    const d = shape[k]!;
    idx[k] = flat % d;
    flat = Math.floor(flat / d);
  }
  return idx;
}
