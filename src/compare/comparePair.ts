import type { TensorInfo } from '../core/checkpoint.js';
import { decodeToFloat32 } from '../core/decode.js';
import { dtypeBits, isKnownDType, type DType } from '../core/dtype.js';
import { CheckpointLensError } from '../core/result.js';
import { readTensorBytes } from '../core/values.js';
import { DiffAccumulator, identicalStats } from './diffStats.js';
import type { PairPlan, SideView } from './pairing.js';
import { concatByteChunks, concatValueChunks, ValueCursor, zipAligned } from './streams.js';
import { pairTolerance } from './tolerance.js';
import { towerOf } from './towers.js';
import type { FamilyId } from '../layouts/canonical.js';
import type { DiffStats, PairResult, PairStatus, SideRef, Tolerance } from './types.js';

export interface PairOptions {
  /** User overrides of the per-dtype default tolerance. */
  readonly tolerance?: Partial<Tolerance>;
  readonly signal?: AbortSignal;
  /** Bytes per read per side (default 8 MiB). */
  readonly chunkBytes?: number;
  /**
   * Decoded-float32 budget for a transposed pair (default 64 MiB): a transposed side up to this
   * size is held whole; a larger one is read in row bands of at most this size.
   */
  readonly transposeBudgetBytes?: number;
  /** Layout family the pair keys are in, for tower assignment (canonical keys: leave unset). */
  readonly keyFamily?: FamilyId;
  /** Called with the number of bytes just read (both sides together). */
  readonly onBytes?: (n: number) => void;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;
const sameShape = (x: readonly number[], y: readonly number[]) => x.length === y.length && x.every((v, i) => v === y[i]);
const product = (s: readonly number[]) => s.reduce((p, v) => p * v, 1);

function sideRef(v: SideView): SideRef {
  return { names: v.sources.length ? v.sources.map((t) => t.name) : [v.key], dtype: v.dtype, shape: v.sources[0]?.shape ?? v.shape, transform: v.transform };
}

/** The one dtype of a side's sources, or undefined if they disagree (a concat of mixed dtypes). */
function sideDType(v: SideView): DType | undefined {
  const d = v.sources[0]?.dtype;
  return d && v.sources.every((t) => t.dtype === d) ? d : undefined;
}

/**
 * Compares one matched pair, streaming both sides in bounded memory.
 * Never throws on bad data: read failures become status `unreadable` with a code. Only an
 * abort (signal) propagates.
 */
export async function comparePair(plan: PairPlan, opts: PairOptions = {}): Promise<PairResult> {
  const { a, b } = plan;
  const notes: string[] = [];
  const base = { key: plan.key, tower: towerOf(plan.key, opts.keyFamily), a: sideRef(a), b: sideRef(b), shape: a.shape };
  for (const v of [a, b]) if (v.description && v.transform !== 'identity') notes.push(v.description);
  const da = sideDType(a);
  const db = sideDType(b);
  const tol = pairTolerance(da && isKnownDType(da) ? da : 'F32', db && isKnownDType(db) ? db : 'F32', opts.tolerance);
  const fail = (status: PairStatus, extra: Partial<PairResult> = {}): PairResult => ({ ...base, status, method: 'none', tolerance: tol, notes, ...extra });

  for (const [side, v] of [['A', a], ['B', b]] as const) {
    if (v.unreadable) {
      notes.push(`${side}: ${v.unreadable.message}`);
      return fail('unreadable', { errorCode: v.unreadable.code });
    }
  }
  if (!da || !db) {
    notes.push('a concatenated side mixes dtypes; not compared');
    return fail('unreadable', { errorCode: 'mixed-dtype-concat' });
  }
  if (da !== db) notes.push(`dtype changed ${da} → ${db} (judged with rtol ${tol.rtol}, atol ${tol.atol})`);

  if (!sameShape(a.shape, b.shape)) {
    const na = product(a.shape);
    const nb = product(b.shape);
    if (na === nb) {
      const reversed = a.shape.length === 2 && b.shape.length === 2 && a.shape[0] === b.shape[1] && a.shape[1] === b.shape[0];
      notes.push(`shape ${shapeText(a.shape)} in A, ${shapeText(b.shape)} in B: same ${na} elements${reversed ? ', looks transposed (try --map auto)' : ', a reshape'}; a loader expecting A's shape would reject B`);
    } else {
      notes.push(`shape ${shapeText(a.shape)} in A, ${shapeText(b.shape)} in B: ${na} vs ${nb} elements (a different model size?)`);
    }
    return fail('shape-mismatch');
  }
  const count = product(a.shape);
  for (const [side, v] of [['A', a], ['B', b]] as const) {
    const stored = v.sources.reduce((s, t) => s + t.elementCount, 0);
    if (stored !== count) {
      notes.push(`${side}: the mapping's sources hold ${stored} elements, the compared shape needs ${count}`);
      return fail('shape-mismatch');
    }
  }

  // Two transposes cancel: compare both in stored orientation.
  const ta = a.transform === 'transpose';
  const tb = b.transform === 'transpose';
  try {
    if (ta === tb && da === db) {
      const same = await bytesEqual(a.sources, b.sources, opts);
      if (same) return { ...base, status: 'identical', method: 'bytes', tolerance: tol, stats: identicalStats(count), notes };
      // Differs somewhere: restart with decoded values (re-reads at most the equal prefix).
    }
    const acc = new DiffAccumulator(tol);
    await forEachAligned(plan, (x, y, offset) => acc.add(x, y, offset), opts);
    const stats: DiffStats = acc.result();
    const status: PairStatus = stats.mismatched === 0 && stats.maxAbs === 0 ? 'equal' : stats.mismatched === 0 ? 'close' : 'different';
    if (status === 'equal' && da !== db) notes.push('every value is exactly representable in both dtypes');
    return { ...base, status, method: 'values', tolerance: tol, stats, notes };
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    notes.push(e instanceof Error ? e.message : String(e));
    return fail('unreadable', { errorCode: e instanceof CheckpointLensError ? e.code : 'read-failed' });
  }
}

async function bytesEqual(sa: readonly TensorInfo[], sb: readonly TensorInfo[], opts: PairOptions): Promise<boolean> {
  const so = { chunkBytes: opts.chunkBytes ?? 8 << 20, ...(opts.signal ? { signal: opts.signal } : {}) };
  for await (const [x, y] of zipAligned(concatByteChunks(sa, so), concatByteChunks(sb, so))) {
    opts.onBytes?.(x.length + y.length);
    if (!Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength))) return false;
  }
  return true;
}

/** Receives aligned blocks of A and B values; `offset` is the flat index (compared shape) of a[0]. */
export type AlignedSink = (a: Float32Array, b: Float32Array, offset: number) => void;

/**
 * Streams a pair's decoded values to `sink` in aligned blocks, in bounded memory, whatever the
 * transforms: sequential when both sides are in the same orientation (two transposes cancel),
 * row bands when exactly one side is transposed. Blocks may arrive in any order of offsets.
 * Shapes and element counts must already have been checked (see comparePair).
 */
export async function forEachAligned(plan: PairPlan, sink: AlignedSink, opts: PairOptions = {}): Promise<void> {
  const ta = plan.a.transform === 'transpose';
  const tb = plan.b.transform === 'transpose';
  if (ta === tb) return sequentialBlocks(plan.a.sources, plan.b.sources, sink, opts);
  return ta ? transposedBlocks(plan.b, plan.a, sink, opts, 'B') : transposedBlocks(plan.a, plan.b, sink, opts, 'A');
}

async function sequentialBlocks(sa: readonly TensorInfo[], sb: readonly TensorInfo[], sink: AlignedSink, opts: PairOptions): Promise<void> {
  const so = { chunkBytes: opts.chunkBytes ?? 8 << 20, ...(opts.signal ? { signal: opts.signal } : {}) };
  let offset = 0;
  const bytesPerElem = (sa[0] ? sa[0].byteLength / Math.max(1, sa[0].elementCount) : 0) + (sb[0] ? sb[0].byteLength / Math.max(1, sb[0].elementCount) : 0);
  for await (const [x, y] of zipAligned(concatValueChunks(sa, so), concatValueChunks(sb, so))) {
    sink(x, y, offset);
    offset += x.length;
    opts.onBytes?.(Math.round(x.length * bytesPerElem));
  }
}

/**
 * One side (`seq`) is in the compared orientation [R, C]; the other (`tr`) is stored as [C, R].
 * The transposed side is held whole when its float32 copy fits the budget (every CLIP
 * projection does: ≤ 1280×1024), else it is gathered in row bands of the compared shape:
 * band rows r0..r1 need, from each stored row c, the range [r0, r1), so memory stays at one
 * band per side. The sink always receives A's values first.
 */
async function transposedBlocks(seq: SideView, tr: SideView, sink: AlignedSink, opts: PairOptions, seqSide: 'A' | 'B'): Promise<void> {
  if (seq.shape.length !== 2 || tr.sources.length !== 1) throw new CheckpointLensError('unsupported-transform', 'only a single 2-D tensor can be compared transposed');
  const src = tr.sources[0]!;
  const R = seq.shape[0]!;
  const C = seq.shape[1]!;
  if (src.shape.length !== 2 || src.shape[0] !== C || src.shape[1] !== R) {
    throw new CheckpointLensError('unsupported-transform', `${src.name} is stored as ${shapeText(src.shape)}, not the transpose of ${shapeText(seq.shape)}`);
  }
  const budget = opts.transposeBudgetBytes ?? 64 << 20;
  const so = { chunkBytes: opts.chunkBytes ?? 8 << 20, ...(opts.signal ? { signal: opts.signal } : {}) };
  const add = (s: Float32Array, t: Float32Array, offset: number) => (seqSide === 'A' ? sink(s, t, offset) : sink(t, s, offset));
  const bandRows = Math.max(1, Math.min(R, Math.floor(budget / 4 / Math.max(1, C))));
  const cursor = new ValueCursor(concatValueChunks(seq.sources, so));
  const seqBytesPerElem = seq.sources[0]!.byteLength / Math.max(1, seq.sources[0]!.elementCount);
  const trBytesPerElem = src.byteLength / Math.max(1, src.elementCount);
  const w = dtypeBits(src.dtype);
  if (w % 8 !== 0 && bandRows < R) throw new CheckpointLensError('unsupported-transform', `a transposed ${src.dtype} tensor larger than the memory budget is not supported`);
  try {
    const seqBand = new Float32Array(bandRows * C);
    const trBand = new Float32Array(bandRows * C);
    const whole = bandRows === R ? await readWhole(src, opts) : undefined;
    const rowVals = whole ? undefined : new Float32Array(bandRows);
    for (let r0 = 0; r0 < R; r0 += bandRows) {
      opts.signal?.throwIfAborted();
      const h = Math.min(bandRows, R - r0);
      const sv = seqBand.subarray(0, h * C);
      const tv = trBand.subarray(0, h * C);
      await cursor.take(sv);
      if (whole) {
        // Compared[r][c] = stored[c][r].
        for (let r = 0; r < h; r++) for (let c = 0; c < C; c++) tv[r * C + c] = whole[c * R + r0 + r]!;
      } else {
        const bpe = w / 8;
        for (let c = 0; c < C; c++) {
          const start = (c * R + r0) * bpe;
          const bytes = await readTensorBytes(src, start, start + h * bpe);
          const vals = decodeToFloat32(src.dtype, bytes, rowVals);
          for (let r = 0; r < h; r++) tv[r * C + c] = vals[r]!;
        }
      }
      add(sv, tv, r0 * C);
      opts.onBytes?.(Math.round(h * C * (seqBytesPerElem + trBytesPerElem)));
    }
  } finally {
    await cursor.close();
  }
}

async function readWhole(t: TensorInfo, opts: PairOptions): Promise<Float32Array> {
  const out = new Float32Array(t.elementCount);
  let i = 0;
  const so = { chunkBytes: opts.chunkBytes ?? 8 << 20, ...(opts.signal ? { signal: opts.signal } : {}) };
  for await (const v of concatValueChunks([t], so)) {
    out.set(v, i);
    i += v.length;
  }
  return out;
}
