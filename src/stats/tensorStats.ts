import type { TensorInfo } from '../core/checkpoint.js';
import { tensorValueChunks, type ValueStreamOptions } from '../core/values.js';

export interface Histogram {
  /** Bin edges: bins+1 numbers from min to max of the finite values. */
  readonly edges: number[];
  readonly counts: number[];
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

const FINE_BINS = 1024;

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
  private readonly scratch = new Uint32Array(FINE_BINS);

  add(v: Float32Array): void {
    const len = v.length;
    this.total += len;
    if (len === 0) return;
    const a = scanFinite(v);
    if (a === undefined) {
      this.addWithNonFinite(v);
      return;
    }
    this.zeros += a.zeros;
    this.merge(v, len, a.min, a.max, a.sum / len);
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
    const last = FINE_BINS - 1;
    let m2 = 0;
    const len = v.length;
    for (let i = 0; i < len; i++) {
      const x = v[i]!;
      // Non-finite values fail this test (NaN - NaN and Inf - Inf are NaN), so they are skipped.
      if (x - x === 0) {
        const d = x - cMean;
        m2 += d * d;
        const b = ((x - cMin) * scale) | 0;
        counts[b > last ? last : b]!++;
      }
    }
    this.fine.push({ lo: cMin, hi: cMax, counts: counts.slice() });
    const n = this.n + finite;
    const delta = cMean - this.mean;
    this.mean += (delta * finite) / n;
    this.m2 += m2 + (delta * delta * this.n * finite) / n;
    this.n = n;
    if (cMin < this.min) this.min = cMin;
    if (cMax > this.max) this.max = cMax;
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
 * One branch-free pass over a chunk with four independent accumulators (the loop-carried
 * dependencies, not memory, bound a naive loop). Returns undefined when the chunk holds NaN or
 * ±Inf (the sum or the extremes stop being finite), so the caller takes the careful path.
 */
function scanFinite(v: Float32Array): { min: number; max: number; sum: number; zeros: number } | undefined {
  let m0 = Infinity, m1 = Infinity, m2 = Infinity, m3 = Infinity;
  let x0 = -Infinity, x1 = -Infinity, x2 = -Infinity, x3 = -Infinity;
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  let z = 0;
  const len = v.length;
  const end4 = len - (len % 4);
  let i = 0;
  for (; i < end4; i += 4) {
    const a = v[i]!, b = v[i + 1]!, c = v[i + 2]!, d = v[i + 3]!;
    s0 += a; s1 += b; s2 += c; s3 += d;
    m0 = a < m0 ? a : m0; m1 = b < m1 ? b : m1; m2 = c < m2 ? c : m2; m3 = d < m3 ? d : m3;
    x0 = a > x0 ? a : x0; x1 = b > x1 ? b : x1; x2 = c > x2 ? c : x2; x3 = d > x3 ? d : x3;
    z += (a === 0 ? 1 : 0) + (b === 0 ? 1 : 0) + (c === 0 ? 1 : 0) + (d === 0 ? 1 : 0);
  }
  for (; i < len; i++) {
    const a = v[i]!;
    s0 += a;
    m0 = a < m0 ? a : m0;
    x0 = a > x0 ? a : x0;
    z += a === 0 ? 1 : 0;
  }
  const sum = s0 + s1 + s2 + s3;
  const min = Math.min(m0, m1, m2, m3);
  const max = Math.max(x0, x1, x2, x3);
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
