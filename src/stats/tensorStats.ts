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
    let cMin = Infinity;
    let cMax = -Infinity;
    let sum = 0;
    let finite = 0;
    let zeros = 0;
    let nonFinite = 0;
    for (let i = 0; i < len; i++) {
      const x = v[i]!;
      // Finite check via x - x === 0 is the fastest branch in V8 for the common case.
      if (x - x === 0) {
        sum += x;
        if (x < cMin) cMin = x;
        if (x > cMax) cMax = x;
        if (x === 0) zeros++;
      } else {
        nonFinite++;
      }
    }
    finite = len - nonFinite;
    if (nonFinite > 0) {
      for (let i = 0; i < len; i++) {
        const x = v[i]!;
        if (x !== x) this.nan++;
        else if (x === Infinity) this.posInf++;
        else if (x === -Infinity) this.negInf++;
      }
    }
    this.zeros += zeros;
    if (finite === 0) return;
    const cMean = sum / finite;
    let m2 = 0;
    const counts = this.scratch;
    counts.fill(0);
    const range = cMax - cMin;
    const scale = range > 0 ? FINE_BINS / range : 0;
    const last = FINE_BINS - 1;
    for (let i = 0; i < len; i++) {
      const x = v[i]!;
      if (x - x === 0) {
        const d = x - cMean;
        m2 += d * d;
        const b = ((x - cMin) * scale) | 0;
        counts[b > last ? last : b]!++;
      }
    }
    this.fine.push({ lo: cMin, hi: cMax, counts: counts.slice() });
    // Merge (Chan et al.).
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
