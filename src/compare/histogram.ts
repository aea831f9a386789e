import type { Checkpoint } from '../core/checkpoint.js';
import { err, ok, readError, type Result } from '../core/result.js';
import { comparePair, forEachAligned } from './comparePair.js';
import { planPairing, type MapMode } from './mapping.js';

/** Histogram of b − a over one matched pair, for the comparison view's selected-pair chart. */
export interface DiffHistogram {
  readonly key: string;
  /** bins + 1 edges, symmetric around 0: [−maxAbs, +maxAbs]. */
  readonly edges: number[];
  readonly counts: number[];
  readonly maxAbs: number;
  /** Elements binned (equal NaN/Inf pairs go to the zero bin). */
  readonly count: number;
  /** Elements where a or b is NaN/Inf (not binned). */
  readonly nonFinite: number;
}

export interface HistogramOptions {
  readonly map?: MapMode;
  readonly bins?: number;
  readonly signal?: AbortSignal;
}

/**
 * Two streamed passes over one pair (the same pairing as `compareCheckpoints`): the first finds
 * the range (max abs diff), the second bins b − a. Errors as values: `pair-not-found` when no
 * pair has that key, `pair-not-comparable` for shape mismatches and unreadable pairs.
 */
export async function pairDiffHistogram(a: Checkpoint, b: Checkpoint, key: string, opts: HistogramOptions = {}): Promise<Result<DiffHistogram>> {
  const bins = Math.max(1, Math.min(4096, Math.floor(opts.bins ?? 64)));
  const plan = planPairing(a, b, opts.map ?? 'auto').pairs.find((p) => p.key === key);
  if (!plan) return err(readError('pair-not-found', `no matched pair is keyed ${JSON.stringify(key)}`));
  const signal = opts.signal ? { signal: opts.signal } : {};
  const first = await comparePair(plan, signal);
  if (!first.stats) return err(readError('pair-not-comparable', `${key}: ${first.status}${first.notes.length ? ` (${first.notes.join('; ')})` : ''}`));
  const maxAbs = first.stats.maxAbs;
  const counts = new Array<number>(bins).fill(0);
  let count = 0;
  let nonFinite = 0;
  const scale = maxAbs > 0 ? bins / (2 * maxAbs) : 0;
  await forEachAligned(
    plan,
    (x, y) => {
      for (let i = 0; i < x.length; i++) {
        const d = y[i]! - x[i]!;
        if (d - d !== 0) {
          // Equal infinities or NaN/NaN are "no difference"; the rest is not binned.
          if (x[i] === y[i] || (x[i] !== x[i] && y[i] !== y[i])) {
            counts[Math.min(bins - 1, Math.floor(bins / 2))]!++;
            count++;
          } else nonFinite++;
          continue;
        }
        const k = scale === 0 ? Math.floor(bins / 2) : Math.min(bins - 1, Math.max(0, Math.floor((d + maxAbs) * scale)));
        counts[k]!++;
        count++;
      }
    },
    signal,
  );
  const edges = Array.from({ length: bins + 1 }, (_, i) => -maxAbs + (2 * maxAbs * i) / bins);
  return ok({ key, edges, counts, maxAbs, count, nonFinite });
}
