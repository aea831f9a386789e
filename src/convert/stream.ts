import type { TensorInfo } from '../core/checkpoint.js';
import { decodeToFloat32 } from '../core/decode.js';
import { dtypeBits, type DType } from '../core/dtype.js';
import { encodeFloats, type EncodableDType } from '../core/encode.js';
import { CheckpointLensError } from '../core/result.js';
import { tensorByteChunks } from '../core/values.js';
import { streamRange } from '../io/fileRange.js';
import type { Op, PlanEntry, Slice } from './plan.js';

/**
 * The bytes of one planned tensor, in output order, in bounded chunks: copies and row slices stream
 * straight from the source, transposes go through output bands of at most `bandBytes`, and a cast
 * (only with --dtype) decodes and re-encodes each chunk. Yielded views are valid until the next one.
 */
export interface StreamOptions {
  /** Bytes per read (default 8 MiB). */
  readonly chunkBytes?: number;
  /** Upper bound on a transpose band (default 64 MiB). */
  readonly bandBytes?: number;
  readonly signal?: AbortSignal;
}

export async function* entryChunks(e: PlanEntry, opts: StreamOptions = {}): AsyncGenerator<Uint8Array> {
  const raw = rawChunks(e, opts);
  if (e.dtype === e.srcDtype || e.op.kind === 'zeros') {
    yield* raw;
    return;
  }
  let scratch: Float32Array | undefined;
  for await (const c of raw) {
    const n = (c.byteLength * 8) / dtypeBits(e.srcDtype);
    if (!scratch || scratch.length < n) scratch = new Float32Array(n);
    const v = decodeToFloat32(e.srcDtype, c, scratch);
    yield encodeFloats(v, e.dtype as EncodableDType);
  }
}

function rawChunks(e: PlanEntry, opts: StreamOptions): AsyncGenerator<Uint8Array> {
  const op: Op = e.op;
  switch (op.kind) {
    case 'bytes':
      return sliceChunks(op.slices, opts);
    case 'transpose':
      return transposeChunks(op.src, op.rows, op.cols, opts);
    case 'zeros':
      return zeroChunks((e.shape.reduce((a, b) => a * b, 1) * dtypeBits(e.dtype)) / 8, opts);
  }
}

const chunkSize = (opts: StreamOptions) => Math.max(64, Math.floor((opts.chunkBytes ?? 8 << 20) / 64) * 64);

/** Bytes [start, end) of each slice's tensor, back to back. */
async function* sliceChunks(slices: readonly Slice[], opts: StreamOptions): AsyncGenerator<Uint8Array> {
  const chunk = chunkSize(opts);
  for (const s of slices) {
    const d = s.src.data;
    if (d.kind === 'contiguous') {
      if (s.end > d.length) throw new CheckpointLensError('range-invalid', `${s.src.name}: byte range past its data`);
      if (s.end > s.start) {
        for await (const c of streamRange(d.file, d.offset + s.start, d.offset + s.end, chunk)) {
          opts.signal?.throwIfAborted();
          yield c;
        }
      }
      continue;
    }
    // Strided / opaque storage (PyTorch): stream the logical bytes and keep the window.
    let pos = 0;
    for await (const c of tensorByteChunks(s.src, { chunkBytes: chunk, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      const from = Math.max(s.start, pos);
      const to = Math.min(s.end, pos + c.byteLength);
      if (to > from) yield c.subarray(from - pos, to - pos);
      pos += c.byteLength;
      if (pos >= s.end) break;
    }
  }
}

async function* zeroChunks(total: number, opts: StreamOptions): AsyncGenerator<Uint8Array> {
  const z = new Uint8Array(Math.min(total, chunkSize(opts)));
  for (let pos = 0; pos < total; pos += z.byteLength) {
    opts.signal?.throwIfAborted();
    yield z.subarray(0, Math.min(z.byteLength, total - pos));
  }
}

/**
 * `src` [rows, cols] → [cols, rows], one band of output rows (= source columns) at a time. Each
 * band is one streaming pass over the source; a projection (≤ 8.5 MB for ViT-bigG) is one band.
 */
export async function* transposeChunks(src: TensorInfo, rows: number, cols: number, opts: StreamOptions): AsyncGenerator<Uint8Array> {
  const w = dtypeBits(src.dtype) / 8;
  if (!Number.isInteger(w)) throw new CheckpointLensError('convert-unsupported-transform', `cannot transpose sub-byte dtype ${src.dtype}`);
  if (rows * cols * w !== src.byteLength) throw new CheckpointLensError('range-invalid', `${src.name}: [${rows}, ${cols}] does not match its ${src.byteLength} bytes`);
  const budget = opts.bandBytes ?? 64 << 20;
  const bandCols = Math.max(1, Math.min(cols, Math.floor(budget / Math.max(1, rows * w))));
  const band = new Uint8Array(bandCols * rows * w);
  const chunk = Math.max(w, Math.floor(chunkSize(opts) / w) * w);
  for (let j0 = 0; j0 < cols; j0 += bandCols) {
    const j1 = Math.min(cols, j0 + bandCols);
    const bw = j1 - j0;
    let e = 0; // element index in the source
    for await (const c of tensorByteChunks(src, { chunkBytes: chunk, ...(opts.signal ? { signal: opts.signal } : {}) })) {
      const n = c.byteLength / w;
      for (let k = 0; k < n; k++, e++) {
        const i = Math.floor(e / cols);
        const j = e - i * cols;
        if (j < j0 || j >= j1) continue;
        const to = ((j - j0) * rows + i) * w;
        const from = k * w;
        for (let b = 0; b < w; b++) band[to + b] = c[from + b]!;
      }
    }
    if (e !== rows * cols) throw new CheckpointLensError('length-mismatch', `${src.name} ended early (the file changed while reading?)`);
    opts.signal?.throwIfAborted();
    yield band.subarray(0, bw * rows * w);
  }
}

/** Where output element `k` of a planned tensor comes from (for spot checks): a source tensor and element, or zero. */
export function sourceElement(e: PlanEntry, k: number): { src: TensorInfo; element: number } | 'zero' {
  const op = e.op;
  if (op.kind === 'zeros') return 'zero';
  const w = dtypeBits(e.srcDtype) / 8;
  if (op.kind === 'transpose') {
    const j = Math.floor(k / op.rows);
    const i = k - j * op.rows;
    return { src: op.src, element: i * op.cols + j };
  }
  let byte = k * w;
  for (const s of op.slices) {
    const len = s.end - s.start;
    if (byte < len) return { src: s.src, element: (s.start + byte) / w };
    byte -= len;
  }
  throw new Error(`element ${k} is past ${e.name}`);
}

export type { DType };
