import { streamRange, readRange, type FileReaderPool } from '../io/fileRange.js';
import type { TensorInfo } from './checkpoint.js';
import { chunkAlignment, decodeToFloat32, elementsIn } from './decode.js';
import { CheckpointLensError } from './result.js';

export interface ValueStreamOptions {
  /** Upper bound on the bytes held at once (default 8 MiB). */
  readonly chunkBytes?: number;
  readonly signal?: AbortSignal;
}

/**
 * Raw bytes of a tensor in logical (row-major) order, streamed in bounded chunks.
 * Each yielded view is only valid until the next iteration.
 */
export async function* tensorByteChunks(t: TensorInfo, opts: ValueStreamOptions = {}): AsyncGenerator<Uint8Array> {
  const align = chunkAlignment(t.dtype);
  const chunk = Math.max(align, Math.floor((opts.chunkBytes ?? 8 << 20) / align) * align);
  const d = t.data;
  switch (d.kind) {
    case 'contiguous':
      for await (const c of streamRange(d.file, d.offset, d.offset + d.length, chunk)) {
        opts.signal?.throwIfAborted();
        yield c;
      }
      return;
    case 'opaque':
      for (let pos = 0; pos < d.length; pos += chunk) {
        opts.signal?.throwIfAborted();
        yield await d.read(pos, Math.min(d.length, pos + chunk));
      }
      return;
    case 'strided':
      yield* stridedByteChunks(t, d, chunk, opts);
      return;
  }
}

/** Decoded float32 values of a tensor, in logical order, in bounded chunks (views reused). */
export async function* tensorValueChunks(t: TensorInfo, opts: ValueStreamOptions = {}): AsyncGenerator<Float32Array> {
  let out: Float32Array | undefined;
  for await (const bytes of tensorByteChunks(t, opts)) {
    // F32 needs no decoding: a view of the (already reused) byte chunk has the same lifetime.
    if (t.dtype === 'F32' && bytes.byteOffset % 4 === 0) {
      yield new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2);
      continue;
    }
    const n = elementsIn(t.dtype, bytes.byteLength);
    if (!out || out.length < n) out = new Float32Array(n);
    yield decodeToFloat32(t.dtype, bytes, out);
  }
}

/**
 * Reads a small byte range [start, end) of a tensor's logical bytes (for sampling). Pass a pool
 * when making many reads in a row, so each file is opened once.
 */
export async function readTensorBytes(t: TensorInfo, start: number, end: number, pool?: FileReaderPool): Promise<Uint8Array> {
  if (start < 0 || end > t.byteLength || start > end) throw new CheckpointLensError('range-invalid', `byte range ${start}..${end} is outside tensor ${t.name}`);
  const d = t.data;
  if (d.kind === 'contiguous') return pool ? pool.read(d.file, d.offset + start, d.offset + end) : readRange(d.file, d.offset + start, d.offset + end);
  if (d.kind === 'opaque') return d.read(start, end);
  const out = new Uint8Array(end - start);
  let pos = 0;
  let skipped = 0;
  for await (const c of tensorByteChunks(t, { chunkBytes: 1 << 20 })) {
    const cStart = skipped;
    const cEnd = skipped + c.length;
    skipped = cEnd;
    if (cEnd <= start) continue;
    const from = Math.max(start, cStart) - cStart;
    const to = Math.min(end, cEnd) - cStart;
    out.set(c.subarray(from, to), pos);
    pos += to - from;
    if (cEnd >= end) break;
  }
  return out;
}

/** Whole tensor decoded to float32 (for small tensors only: callers enforce a byte budget). */
export async function readTensorFloat32(t: TensorInfo, maxBytes = 64 << 20): Promise<Float32Array> {
  if (t.byteLength > maxBytes) throw new CheckpointLensError('tensor-too-large', `${t.name} is ${t.byteLength} bytes, above the ${maxBytes}-byte budget`);
  const out = new Float32Array(t.elementCount);
  let i = 0;
  for await (const v of tensorValueChunks(t)) {
    out.set(v, i);
    i += v.length;
  }
  return out;
}

/**
 * A strided view (PyTorch): gathers elements in row-major order from the storage.
 * Reads the storage span the view touches in windows, so memory stays bounded by `chunk`
 * plus one window; the common contiguous case degenerates to a straight read.
 */
async function* stridedByteChunks(
  t: TensorInfo,
  d: Extract<TensorInfo['data'], { kind: 'strided' }>,
  chunk: number,
  opts: ValueStreamOptions,
): AsyncGenerator<Uint8Array> {
  const width = chunkAlignment(t.dtype);
  if (width * 8 !== (t.byteLength * 8) / Math.max(1, t.elementCount) && t.elementCount > 0) {
    throw new CheckpointLensError('strided-subbyte', `strided views of sub-byte dtype ${t.dtype} are not supported`);
  }
  const shape = t.shape;
  const strides = d.strides;
  // Contiguous (row-major) strides? Then it is a plain byte range of the storage.
  let expect = 1;
  let contiguous = true;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k]! !== 1 && strides[k] !== expect) contiguous = false;
    expect *= shape[k]!;
  }
  const base = d.storage.offset + d.storageOffset * width;
  if (contiguous) {
    if (d.storageOffset * width + t.byteLength > d.storage.length) throw new CheckpointLensError('strided-out-of-bounds', `${t.name} reads past the end of its storage`);
    yield* streamRange(d.file, base, base + t.byteLength, chunk);
    return;
  }
  // General case: iterate the index space; for each output chunk read the storage window it touches.
  let minOff = 0;
  let maxOff = 0;
  for (let k = 0; k < shape.length; k++) {
    if (shape[k] === 0) return;
    const span = (shape[k]! - 1) * strides[k]!;
    if (span < 0) minOff += span;
    else maxOff += span;
  }
  if (d.storageOffset + minOff < 0 || (d.storageOffset + maxOff + 1) * width > d.storage.length) {
    throw new CheckpointLensError('strided-out-of-bounds', `${t.name} reads outside its storage`);
  }
  const perChunk = Math.max(1, Math.floor(chunk / width));
  const idx = new Array<number>(shape.length).fill(0);
  let done = 0;
  const out = new Uint8Array(perChunk * width);
  while (done < t.elementCount) {
    const count = Math.min(perChunk, t.elementCount - done);
    // Offsets (in elements, relative to the storage offset) of this chunk's elements.
    const offs = new Float64Array(count);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < count; i++) {
      let off = 0;
      for (let k = 0; k < shape.length; k++) off += idx[k]! * strides[k]!;
      offs[i] = off;
      if (off < lo) lo = off;
      if (off > hi) hi = off;
      for (let k = shape.length - 1; k >= 0; k--) {
        if (++idx[k]! < shape[k]!) break;
        idx[k] = 0;
      }
    }
    const windowBytes = (hi - lo + 1) * width;
    if (windowBytes > 256 << 20) throw new CheckpointLensError('strided-window-too-large', `${t.name}: a strided read window of ${windowBytes} bytes exceeds the memory bound`);
    const win = await readRange(d.file, base + lo * width, base + (hi + 1) * width);
    for (let i = 0; i < count; i++) {
      const src = (offs[i]! - lo) * width;
      for (let b = 0; b < width; b++) out[i * width + b] = win[src + b]!;
    }
    opts.signal?.throwIfAborted();
    yield out.subarray(0, count * width);
    done += count;
  }
}
