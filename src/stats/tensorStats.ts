import type { TensorInfo } from '../core/checkpoint.js';
import { tensorValueChunks, type ValueStreamOptions } from '../core/values.js';

export interface Histogram {
  /** Bin edges: bins+1 numbers from min to max of the finite values. */
  readonly edges: readonly number[];
  readonly counts: readonly number[];
}

export interface TensorStats {
  readonly name: string;
  readonly dtype: string;
  readonly count: number;
  /** Over finite values; null when there are none. */
  readonly min: number | null;
  readonly max: number | null;
  readonly mean: number | null;
  /** Population standard deviation over finite values. */
  readonly std: number | null;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  readonly zeros: number;
  readonly histogram: Histogram;
}

/** What `StatsAccumulator.exportState` returns: plain numbers and typed arrays only. */
export interface StatsState {
  readonly n: number;
  readonly mean: number;
  readonly m2: number;
  readonly min: number;
  readonly max: number;
  readonly nan: number;
  readonly posInf: number;
  readonly negInf: number;
  readonly zeros: number;
  readonly total: number;
  readonly fine: readonly { readonly lo: number; readonly hi: number; readonly counts: Uint32Array }[];
}

const FINE_BINS = 1024;
/** Elements per kernel call. */
const SLICE = 1 << 16;

/**
 * Accumulates statistics chunk by chunk in one pass. Mean/variance are merged per chunk
 * (Chan et al.) in float64, so long tensors do not lose precision. The histogram is built from
 * per-chunk fine histograms (1024 bins over that chunk's range) re-binned at the end onto the
 * global range: one pass over the data, error at most one fine bin of the chunk.
 */
export class StatsAccumulator {
  private n = 0;
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  private nan = 0;
  private posInf = 0;
  private negInf = 0;
  private zeros = 0;
  private total = 0;
  private readonly fine: { lo: number; hi: number; counts: Uint32Array }[] = [];
  /** Two interleaved fine histograms (even / odd elements), summed per chunk; see the kernel. */
  private readonly scratch = new Uint32Array(2 * FINE_BINS);

  add(v: Float32Array): void {
    const len = v.length;
    this.total += len;
    if (len === 0) return;
    // The kernels run on slices so V8 optimises them as hot functions, not by on-stack replacement
    // (which, here, deoptimised at the end of every call and left chunks in the interpreter).
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    let zeros = 0;
    for (let o = 0; o < len; o += SLICE) {
      const a = scanFinite(v.subarray(o, Math.min(len, o + SLICE)));
      if (a === undefined) {
        this.addWithNonFinite(v);
        return;
      }
      if (a.min < min) min = a.min;
      if (a.max > max) max = a.max;
      sum += a.sum;
      zeros += a.zeros;
    }
    this.zeros += zeros;
    this.merge(v, len, min, max, sum / len);
  }

  /** Slow path for a chunk that holds NaN or ±Inf: count them, then use only finite values. */
  private addWithNonFinite(v: Float32Array): void {
    let finite = 0;
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < v.length; i++) {
      const x = v[i]!;
      if (x !== x) this.nan++;
      else if (x === Infinity) this.posInf++;
      else if (x === -Infinity) this.negInf++;
      else {
        finite++;
        sum += x;
        if (x < min) min = x;
        if (x > max) max = x;
        if (x === 0) this.zeros++;
      }
    }
    if (finite > 0) this.merge(v, finite, min, max, sum / finite);
  }

  /** Second pass over the chunk: squared deviations and the fine histogram, then merge (Chan et al.). */
  private merge(v: Float32Array, finite: number, cMin: number, cMax: number, cMean: number): void {
    const counts = this.scratch;
    counts.fill(0);
    const range = cMax - cMin;
    const scale = range > 0 ? FINE_BINS / range : 0;
    let m2 = 0;
    for (let o = 0; o < v.length; o += SLICE) m2 += squaredDeviationsAndHistogram(v.subarray(o, Math.min(v.length, o + SLICE)), cMin, scale, cMean, counts);
    for (let b = 0; b < FINE_BINS; b++) counts[b]! += counts[b + FINE_BINS]!;
    this.fine.push({ lo: cMin, hi: cMax, counts: counts.slice(0, FINE_BINS) });
    const n = this.n + finite;
    const delta = cMean - this.mean;
    this.mean += (delta * finite) / n;
    this.m2 += m2 + (delta * delta * this.n * finite) / n;
    this.n = n;
    if (cMin < this.min) this.min = cMin;
    if (cMax > this.max) this.max = cMax;
  }

  /** A structured-cloneable snapshot, so a worker thread can hand its part to the main thread. */
  exportState(): StatsState {
    return {
      n: this.n, mean: this.mean, m2: this.m2, min: this.min, max: this.max,
      nan: this.nan, posInf: this.posInf, negInf: this.negInf, zeros: this.zeros, total: this.total,
      fine: this.fine.map((f) => ({ lo: f.lo, hi: f.hi, counts: f.counts })),
    };
  }

  /**
   * Folds in the state of another accumulator (e.g. a worker's part of the tensor). Counts, min/max
   * and non-finite counts merge exactly; mean/M2 with Chan et al.'s pairwise formula; the fine
   * histograms are kept as they are, so the final re-binning sees the same chunks as one thread.
   */
  mergeState(s: StatsState): void {
    this.total += s.total;
    this.nan += s.nan;
    this.posInf += s.posInf;
    this.negInf += s.negInf;
    this.zeros += s.zeros;
    for (const f of s.fine) this.fine.push({ lo: f.lo, hi: f.hi, counts: f.counts });
    if (s.n === 0) return;
    const n = this.n + s.n;
    const delta = s.mean - this.mean;
    this.mean += (delta * s.n) / n;
    this.m2 += s.m2 + (delta * delta * this.n * s.n) / n;
    this.n = n;
    if (s.min < this.min) this.min = s.min;
    if (s.max > this.max) this.max = s.max;
  }

  static fromStates(states: readonly StatsState[]): StatsAccumulator {
    const acc = new StatsAccumulator();
    for (const s of states) acc.mergeState(s);
    return acc;
  }

  result(name: string, dtype: string, bins = 64): TensorStats {
    const has = this.n > 0;
    return {
      name,
      dtype,
      count: this.total,
      min: has ? this.min : null,
      max: has ? this.max : null,
      mean: has ? this.mean : null,
      std: has ? Math.sqrt(this.m2 / this.n) : null,
      nan: this.nan,
      posInf: this.posInf,
      negInf: this.negInf,
      zeros: this.zeros,
      histogram: has ? this.rebin(bins) : { edges: [], counts: [] },
    };
  }

  private rebin(bins: number): Histogram {
    const lo = this.min;
    const hi = this.max;
    const counts = new Array<number>(bins).fill(0);
    const width = (hi - lo) / bins;
    const edges = Array.from({ length: bins + 1 }, (_, i) => (i === bins ? hi : lo + i * width));
    for (const f of this.fine) {
      const fw = (f.hi - f.lo) / FINE_BINS;
      for (let b = 0; b < FINE_BINS; b++) {
        const c = f.counts[b]!;
        if (c === 0) continue;
        const center = f.lo + (b + 0.5) * fw;
        let k = width > 0 ? Math.floor((center - lo) / width) : 0;
        if (k >= bins) k = bins - 1;
        if (k < 0) k = 0;
        counts[k]! += c;
      }
    }
    return { edges, counts };
  }
}

/**
 * The second pass over a chunk, kept in its own small function on purpose: when the loop lived
 * inside `merge`, V8 optimised it on-stack, then deoptimised at the code after the loop on every
 * call (no type feedback there yet), so most chunks ran in the interpreter (4× slower).
 */
export function squaredDeviationsAndHistogram(v: Float32Array, lo: number, scale: number, mean: number, counts: Uint32Array): number {
  // Even and odd elements count into separate halves of `counts`: consecutive values often fall in
  // the same bin, and two increments of one counter in a row wait on each other.
  const last = (counts.length >> 1) - 1;
  const odd = last + 1;
  let m2a = 0;
  let m2b = 0;
  const len = v.length;
  const end2 = len - (len % 2);
  let i = 0;
  for (; i < end2; i += 2) {
    const x = v[i]!;
    const y = v[i + 1]!;
    // Non-finite values fail this test (NaN - NaN and Inf - Inf are NaN), so they are skipped.
    if (x - x === 0) {
      const d = x - mean;
      m2a += d * d;
      const b = ((x - lo) * scale) | 0;
      counts[b > last ? last : b]!++;
    }
    if (y - y === 0) {
      const d = y - mean;
      m2b += d * d;
      const b = ((y - lo) * scale) | 0;
      counts[odd + (b > last ? last : b)]!++;
    }
  }
  if (i < len) {
    const x = v[i]!;
    if (x - x === 0) {
      const d = x - mean;
      m2a += d * d;
      const b = ((x - lo) * scale) | 0;
      counts[b > last ? last : b]!++;
    }
  }
  return m2a + m2b;
}

/**
 * One pass over a slice for min, max, sum and zeros. Returns undefined when the slice holds NaN
 * or ±Inf, so the caller takes the careful path.
 */
export function scanFinite(v: Float32Array): { min: number; max: number; sum: number; zeros: number } | undefined {
  // Four sum accumulators break the add dependency chain; min/max updates are rare and well
  // predicted on real weights, so plain branches beat select instructions here (measured).
  let m0 = Infinity;
  let m1 = Infinity;
  let x0 = -Infinity;
  let x1 = -Infinity;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let z = 0;
  const len = v.length;
  const end4 = len - (len % 4);
  let i = 0;
  for (; i < end4; i += 4) {
    const a = v[i]!;
    const b = v[i + 1]!;
    const c = v[i + 2]!;
    const d = v[i + 3]!;
    s0 += a;
    s1 += b;
    s2 += c;
    s3 += d;
    if (a < m0) m0 = a;
    if (a > x0) x0 = a;
    if (b < m1) m1 = b;
    if (b > x1) x1 = b;
    if (c < m0) m0 = c;
    if (c > x0) x0 = c;
    if (d < m1) m1 = d;
    if (d > x1) x1 = d;
    if (a === 0) z++;
    if (b === 0) z++;
    if (c === 0) z++;
    if (d === 0) z++;
  }
  for (; i < len; i++) {
    const a = v[i]!;
    s0 += a;
    if (a < m0) m0 = a;
    if (a > x0) x0 = a;
    if (a === 0) z++;
  }
  const sum = s0 + s1 + s2 + s3;
  const min = m0 < m1 ? m0 : m1;
  const max = x0 > x1 ? x0 : x1;
  // NaN makes the sum NaN; ±Inf makes it or an extreme infinite: the caller then counts carefully.
  if (!Number.isFinite(sum) || !Number.isFinite(min) || !Number.isFinite(max)) return undefined;
  return { min, max, sum, zeros: z };
}

/** Streams one tensor through the accumulator in bounded memory. */
export async function tensorStats(t: TensorInfo, opts: ValueStreamOptions & { bins?: number; onProgress?: (bytesDone: number) => void } = {}): Promise<TensorStats> {
  const acc = new StatsAccumulator();
  let done = 0;
  const bytesPerValue = t.elementCount > 0 ? t.byteLength / t.elementCount : 0;
  for await (const chunk of tensorValueChunks(t, opts)) {
    acc.add(chunk);
    done += chunk.length * bytesPerValue;
    opts.onProgress?.(done);
  }
  return acc.result(t.name, t.dtype, opts.bins);
}
