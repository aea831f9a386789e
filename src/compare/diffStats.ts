import type { DiffStats, Tolerance } from './types.js';

/**
 * Streaming accumulator of difference statistics over aligned value chunks (A is the
 * reference). One pass, float64 sums; order-independent except for which index wins a tie
 * of max abs diff, so callers may feed blocks in any order as long as `offset` is the flat
 * index of the block's first element.
 *
 * Non-finite values: equal non-finite pairs (NaN/NaN, +Inf/+Inf) count as equal (numpy's
 * equal_nan); any other pair with a non-finite side is a mismatch and is left out of the
 * numeric sums so one Inf does not turn every statistic into NaN.
 */
export class DiffAccumulator {
  private count = 0;
  private maxAbs = 0;
  private maxAbsAt = -1;
  private maxRel = 0;
  private sumSq = 0;
  private sumSqA = 0;
  private sumSqB = 0;
  private dot = 0;
  private mismatched = 0;
  private nonFinite = 0;

  constructor(private readonly tol: Tolerance) {}

  /** `a` and `b` have equal length; `offset` is the flat index of a[0]. */
  add(a: Float32Array, b: Float32Array, offset: number): void {
    // Fast pass assuming every value is finite; a non-finite value makes `sumSq` non-finite, and
    // the block is then redone with the careful loop. Math.abs and the ternary compile without
    // branches: with data-dependent signs, `d < 0 ? -d : d` mispredicts and runs 4-5x slower.
    const n = a.length;
    const { rtol, atol } = this.tol;
    let maxAbs = this.maxAbs;
    let maxAbsAt = this.maxAbsAt;
    let maxRel = this.maxRel;
    let sumSq = 0;
    let sumSqA = 0;
    let sumSqB = 0;
    let dot = 0;
    let mismatched = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      // Doubles: the difference of two float32 values never overflows here.
      const d = x - y;
      const ad = Math.abs(d);
      const ax = Math.abs(x);
      sumSq += d * d;
      sumSqA += x * x;
      sumSqB += y * y;
      dot += x * y;
      // Rarely taken once a maximum is found, so well predicted.
      if (ad > maxAbs) {
        maxAbs = ad;
        maxAbsAt = offset + i;
      }
      mismatched += ad > atol + rtol * ax ? 1 : 0;
      if (ad > maxRel * ax && ax !== 0) maxRel = ad / ax;
    }
    if (!Number.isFinite(sumSq + sumSqA + sumSqB)) {
      this.addCareful(a, b, offset);
      return;
    }
    this.commit(n, maxAbs, maxAbsAt, maxRel, sumSq, sumSqA, sumSqB, dot, mismatched);
  }

  private addCareful(a: Float32Array, b: Float32Array, offset: number): void {
    const n = a.length;
    const { rtol, atol } = this.tol;
    let maxAbs = this.maxAbs;
    let maxAbsAt = this.maxAbsAt;
    let maxRel = this.maxRel;
    let sumSq = 0;
    let sumSqA = 0;
    let sumSqB = 0;
    let dot = 0;
    let mismatched = 0;
    for (let i = 0; i < n; i++) {
      const x = a[i]!;
      const y = b[i]!;
      const d = x - y;
      if (d - d !== 0) {
        // d is NaN or ±Inf, so at least one side is non-finite.
        if (x === y || (x !== x && y !== y)) continue;
        this.nonFinite++;
        mismatched++;
        continue;
      }
      const ad = Math.abs(d);
      const ax = Math.abs(x);
      sumSq += d * d;
      sumSqA += x * x;
      sumSqB += y * y;
      dot += x * y;
      if (ad > maxAbs) {
        maxAbs = ad;
        maxAbsAt = offset + i;
      }
      if (ad > atol + rtol * ax) mismatched++;
      if (ad > maxRel * ax && ax !== 0) maxRel = ad / ax;
    }
    this.commit(n, maxAbs, maxAbsAt, maxRel, sumSq, sumSqA, sumSqB, dot, mismatched);
  }

  private commit(n: number, maxAbs: number, maxAbsAt: number, maxRel: number, sumSq: number, sumSqA: number, sumSqB: number, dot: number, mismatched: number): void {
    this.count += n;
    this.maxAbs = maxAbs;
    this.maxAbsAt = maxAbsAt;
    this.maxRel = maxRel;
    this.sumSq += sumSq;
    this.sumSqA += sumSqA;
    this.sumSqB += sumSqB;
    this.dot += dot;
    this.mismatched += mismatched;
  }

  result(): DiffStats {
    const n = Math.max(1, this.count);
    const rms = Math.sqrt(this.sumSq / n);
    const rmsA = Math.sqrt(this.sumSqA / n);
    const denom = Math.sqrt(this.sumSqA) * Math.sqrt(this.sumSqB);
    // Both all-zero (or empty): identical directions by convention; one all-zero: orthogonal.
    const cosine = denom > 0 ? this.dot / denom : this.sumSqA === 0 && this.sumSqB === 0 ? 1 : 0;
    return {
      count: this.count,
      maxAbs: this.maxAbs,
      maxAbsAt: this.maxAbsAt,
      maxRel: this.maxRel,
      rms,
      relRms: rmsA > 0 ? rms / rmsA : rms === 0 ? 0 : null,
      cosine: Math.max(-1, Math.min(1, cosine)),
      mismatched: this.mismatched,
      nonFiniteMismatch: this.nonFinite,
    };
  }
}

/** Statistics of a byte-identical pair, without decoding it. */
export function identicalStats(count: number): DiffStats {
  return { count, maxAbs: 0, maxAbsAt: -1, maxRel: 0, rms: 0, relRms: 0, cosine: 1, mismatched: 0, nonFiniteMismatch: 0 };
}
