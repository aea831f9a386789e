import { byteCount, parameterCount, type Checkpoint, type TensorInfo } from '../core/checkpoint.js';
import { isKnownDType } from '../core/dtype.js';
import { tensorValueChunks } from '../core/values.js';
import { openCheckpoint } from '../formats/open.js';
import { err, ok, readError, type Result } from '../core/result.js';
import { comparePair } from './comparePair.js';
import { planPairing, type MapMode } from './mapping.js';
import type { PairPlan } from './pairing.js';
import { towerOf, dropMeaning, presenceMeaning } from './towers.js';
import type { FamilyId } from '../layouts/canonical.js';
import { verdictParts, verdictSentence } from './verdict.js';
import { TOWERS, type CompareCounts, type CompareProgress, type CompareReport, type PairResult, type SideSummary, type Tower, type TowerSummary, type UnmatchedTensor } from './types.js';

export interface CompareOptions {
  /** `auto` (default): cross-layout mapping when layouts differ. `none`: pair by name only. */
  readonly map?: MapMode;
  /** Override the per-dtype default tolerances (each independently). */
  readonly rtol?: number;
  readonly atol?: number;
  /** Towers whose tensors may be present on one side only without failing the comparison. */
  readonly allowMissing?: readonly Tower[];
  /** Bytes per read per side (default 8 MiB). */
  readonly chunkBytes?: number;
  /** Float32 budget for a transposed tensor held whole (default 64 MiB); above it, row bands. */
  readonly transposeBudgetBytes?: number;
}

export interface CompareControl {
  readonly signal?: AbortSignal;
  /** Called per pair and at most every 100 ms while a large pair streams. */
  readonly onProgress?: (p: CompareProgress) => void;
}

/** Unmatched tensors up to this size are checked for being all zeros (an added zero bias is harmless). */
const ZERO_CHECK_BYTES = 16 << 20;

/**
 * Compares two opened checkpoints: pairs tensors (by name, or through the cross-layout
 * mapping), compares every pair's values streamed in bounded memory, and builds the report.
 * Pure core (no vscode): runs in the CLI, in tests, and in a worker thread. Rejects only when
 * `signal` aborts (with the signal's reason); bad data shows up inside the report.
 */
export async function compareCheckpoints(a: Checkpoint, b: Checkpoint, opts: CompareOptions = {}, ctl: CompareControl = {}): Promise<CompareReport> {
  const started = performance.now();
  const signal = ctl.signal;
  signal?.throwIfAborted();
  const pairing = planPairing(a, b, opts.map ?? 'auto');
  const override = { ...(opts.rtol !== undefined ? { rtol: opts.rtol } : {}), ...(opts.atol !== undefined ? { atol: opts.atol } : {}) };
  const pairBytes = (p: PairPlan) => p.a.sources.reduce((s, t) => s + t.byteLength, 0) + p.b.sources.reduce((s, t) => s + t.byteLength, 0);
  const bytesTotal = pairing.pairs.reduce((s, p) => s + pairBytes(p), 0);
  let bytesDone = 0;
  let bytesRead = 0;
  let lastTick = 0;
  const report = (pairsDone: number, current?: string) =>
    ctl.onProgress?.({ pairsDone, pairsTotal: pairing.pairs.length, bytesDone: Math.min(bytesDone, bytesTotal), bytesTotal, ...(current !== undefined ? { current } : {}) });

  const results: PairResult[] = [];
  for (const [i, plan] of pairing.pairs.entries()) {
    signal?.throwIfAborted();
    report(i, plan.key);
    const before = bytesDone;
    const r = await comparePair(plan, {
      ...(opts.rtol !== undefined || opts.atol !== undefined ? { tolerance: override } : {}),
      ...(signal ? { signal } : {}),
      ...(opts.chunkBytes !== undefined ? { chunkBytes: opts.chunkBytes } : {}),
      ...(opts.transposeBudgetBytes !== undefined ? { transposeBudgetBytes: opts.transposeBudgetBytes } : {}),
      ...(pairing.matching === 'name' && pairing.layoutA ? { keyFamily: pairing.layoutA } : {}),
      onBytes: (n) => {
        bytesRead += n;
        bytesDone += n;
        const now = performance.now();
        if (now - lastTick > 100) {
          lastTick = now;
          report(i, plan.key);
        }
      },
    });
    // A pair that was re-read (bytes differed, then values) still advances by its size once.
    bytesDone = before + pairBytes(plan);
    results.push(r);
  }
  report(pairing.pairs.length);

  const onlyA = await describeUnmatched(pairing.onlyA, pairing.layoutA, signal);
  const onlyB = await describeUnmatched(pairing.onlyB, pairing.layoutB, signal);
  const allow = new Set<Tower>(opts.allowMissing ?? []);
  const towers = towerSummaries(results, onlyA, onlyB, allow);

  const pairedUnreadable = new Set(results.filter((r) => r.status === 'unreadable').flatMap((r) => [...r.a.names, ...r.b.names]));
  const strayUnreadable = [...a.unreadable, ...b.unreadable].filter((u) => !pairedUnreadable.has(u.name)).length;
  const counts: CompareCounts = {
    matched: results.length,
    identical: results.filter((r) => r.status === 'identical').length,
    equal: results.filter((r) => r.status === 'equal').length,
    close: results.filter((r) => r.status === 'close').length,
    different: results.filter((r) => r.status === 'different').length,
    shapeMismatch: results.filter((r) => r.status === 'shape-mismatch').length,
    unreadable: results.filter((r) => r.status === 'unreadable').length + strayUnreadable,
    onlyA: onlyA.length,
    onlyB: onlyB.length,
    transformed: results.filter((r) => r.a.transform !== 'identity' || r.b.transform !== 'identity').length,
  };
  const harmless = new Set(onlyB.filter((u) => u.harmless).map((u) => u.name));
  const blockingDrops = towers.some((t) => !t.allowed && (t.onlyA.length > 0 || t.onlyB.some((n) => !harmless.has(n))));
  const equivalent = counts.different === 0 && counts.shapeMismatch === 0 && counts.unreadable === 0 && !blockingDrops;
  const worst = rankWorst(results);
  const partial: Omit<CompareReport, 'verdict'> = {
    schemaVersion: 1,
    a: sideSummary(a, pairing.layoutA),
    b: sideSummary(b, pairing.layoutB),
    matching: pairing.matching,
    tolerance: override,
    allowMissing: TOWERS.filter((t) => allow.has(t)),
    counts,
    towers,
    pairs: results,
    worst,
    onlyA,
    onlyB,
    notes: [
      ...(pairing.matching === 'canonical' ? [`paired through the cross-layout mapping: A is ${pairing.layoutA ?? 'unknown'}, B is ${pairing.layoutB ?? 'unknown'} (keys are OpenAI/open_clip names)`] : []),
      ...pairing.notes,
    ],
    timing: { seconds: (performance.now() - started) / 1000, bytesRead },
  };
  const { plain, parts } = verdictParts(verdictSentence(partial, equivalent));
  return { ...partial, verdict: { equivalent, sentence: plain, parts } };
}

/** Opens both paths and compares them; an unreadable side is an error value (exit 2 in the CLI). */
export async function compareFiles(pathA: string, pathB: string, opts: CompareOptions = {}, ctl: CompareControl = {}): Promise<Result<CompareReport>> {
  const [ra, rb] = await Promise.all([openCheckpoint(pathA), openCheckpoint(pathB)]);
  if (!ra.ok) return err(readError(ra.error.code, `A (${pathA}): ${ra.error.message}`, ra.error.file ?? pathA));
  if (!rb.ok) return err(readError(rb.error.code, `B (${pathB}): ${rb.error.message}`, rb.error.file ?? pathB));
  return ok(await compareCheckpoints(ra.value, rb.value, opts, ctl));
}

function sideSummary(c: Checkpoint, layout: string | undefined): SideSummary {
  return {
    path: c.path,
    format: c.format,
    ...(layout !== undefined ? { layout } : {}),
    tensors: c.tensors.length,
    parameters: parameterCount(c.tensors),
    bytes: byteCount(c.tensors),
    unreadable: c.unreadable.length,
  };
}

async function describeUnmatched(ts: readonly TensorInfo[], family: FamilyId | undefined, signal?: AbortSignal): Promise<UnmatchedTensor[]> {
  const out: UnmatchedTensor[] = [];
  for (const t of ts) {
    const tower = towerOf(t.name, family);
    const base = { name: t.name, dtype: t.dtype, shape: t.shape, tower };
    // An added all-zero bias changes no output (timm's converter adds `head.bias` = 0).
    if (/(^|\.|_)bias$/.test(t.name) && t.byteLength <= ZERO_CHECK_BYTES && isKnownDType(t.dtype)) {
      let zero = true;
      try {
        for await (const v of tensorValueChunks(t, signal ? { signal } : {})) {
          for (let i = 0; i < v.length && zero; i++) if (v[i] !== 0) zero = false;
          if (!zero) break;
        }
      } catch (e) {
        if (signal?.aborted) throw e;
        zero = false;
      }
      out.push({ ...base, allZero: zero, harmless: zero });
    } else {
      out.push(base);
    }
  }
  return out;
}

function towerSummaries(results: readonly PairResult[], onlyA: readonly UnmatchedTensor[], onlyB: readonly UnmatchedTensor[], allow: ReadonlySet<Tower>): TowerSummary[] {
  const out: TowerSummary[] = [];
  for (const tower of TOWERS) {
    const rs = results.filter((r) => r.tower === tower);
    const a = onlyA.filter((u) => u.tower === tower).map((u) => u.name);
    const bList = onlyB.filter((u) => u.tower === tower);
    const b = bList.map((u) => u.name);
    if (!rs.length && !a.length && !b.length) continue;
    const n = (s: PairResult['status']) => rs.filter((r) => r.status === s).length;
    const harmfulB = bList.filter((u) => !u.harmless).map((u) => u.name);
    // Both sides differ in this tower: say both, never "B drops" when B mostly adds.
    const meaning = a.length && harmfulB.length ? presenceMeaning(a, harmfulB) : a.length ? dropMeaning(tower, 'A') : harmfulB.length ? dropMeaning(tower, 'B') : undefined;
    out.push({
      tower,
      matched: rs.length,
      identical: n('identical'),
      equal: n('equal'),
      close: n('close'),
      different: n('different'),
      shapeMismatch: n('shape-mismatch'),
      unreadable: n('unreadable'),
      onlyA: a,
      onlyB: b,
      allowed: tower === 'buffers' || allow.has(tower),
      ...(meaning !== undefined ? { meaning } : {}),
    });
  }
  return out;
}

const STATUS_RANK: Record<PairResult['status'], number> = { unreadable: 0, 'shape-mismatch': 1, different: 2, close: 3, equal: 4, identical: 5 };

/** Worst first: status, then scale-free RMS difference, then max abs diff, then key (stable). */
export function rankWorst(results: readonly PairResult[], limit = 20): string[] {
  return results
    .filter((r) => r.status !== 'identical' && r.status !== 'equal')
    .sort((x, y) => {
      const s = STATUS_RANK[x.status] - STATUS_RANK[y.status];
      if (s) return s;
      const rx = x.stats ? (x.stats.relRms ?? Infinity) : 0;
      const ry = y.stats ? (y.stats.relRms ?? Infinity) : 0;
      if (rx !== ry) return ry > rx ? 1 : -1;
      const mx = x.stats?.maxAbs ?? 0;
      const my = y.stats?.maxAbs ?? 0;
      if (mx !== my) return my - mx;
      return x.key < y.key ? -1 : x.key > y.key ? 1 : 0;
    })
    .slice(0, limit)
    .map((r) => r.key);
}
