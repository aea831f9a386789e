/**
 * What the webviews show for the two long jobs — the zero-shot probe (in the checkpoint editor)
 * and a comparison (in its own panel) — plus their validators. Like protocol.ts this is plain data
 * (no `vscode`, no DOM): the worker builds these views from the core reports, the webview checks
 * them before rendering. The views are smaller than the core reports on purpose: a comparison of
 * 100,000 pairs must not send 100,000 pairs to a view that shows the worst 20.
 */

import { isObj, isStr, isNum, isCount, isNumOrNull, isStrOrNull, isShape } from './validate.js';
import type { PairStatusCounts } from '../compare/types.js';

export type ProbeVerdictCode = 'aligned' | 'weak' | 'at-chance' | 'no-labels';

export interface ProbeView {
  readonly title: string;
  readonly verdict: { readonly code: ProbeVerdictCode; readonly text: string };
  readonly top1: number | null;
  readonly top5: number | null;
  readonly chance: number | null;
  readonly pValue: number | null;
  readonly images: number;
  readonly classes: number;
  /** The image set in words (the built-in set's name, or the user's folder). */
  readonly probeSet: string;
  readonly perClass: readonly { readonly label: string; readonly images: number; readonly correct: number; readonly accuracy: number }[];
  /** The execution provider that ran, and every provider tried (with why one was skipped). */
  readonly provider: string;
  readonly attempts: readonly { readonly provider: string; readonly outcome: 'used' | 'skipped' | 'failed'; readonly reason: string | null }[];
  readonly randomInitialized: readonly { readonly tower: string; readonly whole: boolean; readonly count: number }[];
  readonly timings: { readonly buildMs: number; readonly sessionCreateMs: number; readonly perImageMs: number | null; readonly totalMs: number };
  /** One line: sizes, activation and where it came from. */
  readonly model: string;
  readonly tokenizer: string;
  readonly weightsAccess: string;
}

/** The probe's state in the checkpoint editor. */
export type ProbeState =
  | { readonly kind: 'running'; readonly message: string; readonly fraction: number }
  | { readonly kind: 'done'; readonly probe: ProbeView }
  | { readonly kind: 'error'; readonly code: string; readonly message: string }
  | { readonly kind: 'cancelled' };

export type PairStatusView = 'identical' | 'equal' | 'close' | 'different' | 'shape-mismatch' | 'unreadable';

export interface ComparePairView {
  readonly key: string;
  readonly tower: string;
  readonly status: PairStatusView;
  readonly shape: readonly number[];
  readonly aNames: readonly string[];
  readonly bNames: readonly string[];
  readonly aDtype: string;
  readonly bDtype: string;
  readonly maxAbs: number | null;
  readonly relRms: number | null;
  readonly cosine: number | null;
  readonly mismatched: number | null;
  readonly notes: readonly string[];
  /** Values can be binned (not a shape mismatch, not unreadable). */
  readonly histogram: boolean;
}

export interface CompareTowerView extends PairStatusCounts {
  readonly tower: string;
  readonly onlyA: number;
  readonly onlyB: number;
  readonly allowed: boolean;
  readonly meaning: string | null;
}

export interface CompareSideView {
  /** What the user calls this side (file name, or "HEAD:path"). */
  readonly label: string;
  readonly path: string;
  readonly format: string;
  readonly layout: string | null;
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
}

export interface CompareView {
  readonly equivalent: boolean;
  /** The verdict sentence split into prose and tensor names (names are set as code). */
  readonly parts: readonly ({ readonly text: string } | { readonly name: string })[];
  readonly a: CompareSideView;
  readonly b: CompareSideView;
  readonly matching: 'name' | 'canonical';
  readonly counts: { readonly matched: number; readonly identical: number; readonly equal: number; readonly close: number; readonly different: number; readonly shapeMismatch: number; readonly unreadable: number; readonly onlyA: number; readonly onlyB: number };
  readonly towers: readonly CompareTowerView[];
  /** The worst pairs (at most MAX_WORST), worst first. */
  readonly worst: readonly ComparePairView[];
  /** Unmatched tensors (at most MAX_UNMATCHED per side; the counts say how many in all). */
  readonly onlyA: readonly { readonly name: string; readonly tower: string; readonly dtype: string; readonly shape: readonly number[]; readonly harmless: boolean }[];
  readonly onlyB: readonly { readonly name: string; readonly tower: string; readonly dtype: string; readonly shape: readonly number[]; readonly harmless: boolean }[];
  readonly notes: readonly string[];
  readonly seconds: number;
}

export interface DiffHistogramView {
  readonly key: string;
  readonly edges: readonly number[];
  readonly counts: readonly number[];
  readonly maxAbs: number;
  readonly count: number;
  readonly nonFinite: number;
}

export const MAX_WORST = 20;
export const MAX_UNMATCHED = 200;
export const MAX_CLASSES = 1000;

// ---------------------------------------------------------------------------------------------
// Validation (the webview checks what it renders; see protocol.ts for why hand-written).

const isBool = (x: unknown): x is boolean => typeof x === 'boolean';
const isFraction = (x: unknown): x is number => isNum(x) && x >= 0 && x <= 1;
const arrayOf = <T>(x: unknown, max: number, f: (y: unknown) => y is T): x is T[] => Array.isArray(x) && x.length <= max && x.every(f);

const VERDICTS: readonly unknown[] = ['aligned', 'weak', 'at-chance', 'no-labels'];
const OUTCOMES: readonly unknown[] = ['used', 'skipped', 'failed'];
const STATUSES: readonly unknown[] = ['identical', 'equal', 'close', 'different', 'shape-mismatch', 'unreadable'];

export function isProbeView(x: unknown): x is ProbeView {
  if (!isObj(x) || !isObj(x.verdict) || !isObj(x.timings)) return false;
  const t = x.timings;
  return (
    isStr(x.title) &&
    VERDICTS.includes(x.verdict.code) &&
    isStr(x.verdict.text) &&
    isNumOrNull(x.top1) &&
    isNumOrNull(x.top5) &&
    isNumOrNull(x.chance) &&
    isNumOrNull(x.pValue) &&
    isCount(x.images) &&
    isCount(x.classes) &&
    isStr(x.probeSet) &&
    arrayOf(x.perClass, MAX_CLASSES, (c): c is ProbeView['perClass'][number] => isObj(c) && isStr(c.label) && isCount(c.images) && isCount(c.correct) && isFraction(c.accuracy)) &&
    isStr(x.provider) &&
    arrayOf(x.attempts, 16, (a): a is ProbeView['attempts'][number] => isObj(a) && isStr(a.provider) && OUTCOMES.includes(a.outcome) && isStrOrNull(a.reason)) &&
    arrayOf(x.randomInitialized, 16, (r): r is ProbeView['randomInitialized'][number] => isObj(r) && isStr(r.tower) && isBool(r.whole) && isCount(r.count)) &&
    isNum(t.buildMs) &&
    isNum(t.sessionCreateMs) &&
    isNumOrNull(t.perImageMs) &&
    isNum(t.totalMs) &&
    isStr(x.model) &&
    isStr(x.tokenizer) &&
    isStr(x.weightsAccess)
  );
}

export function isProbeState(x: unknown): x is ProbeState {
  if (!isObj(x)) return false;
  switch (x.kind) {
    case 'running':
      return isStr(x.message) && isFraction(x.fraction);
    case 'done':
      return isProbeView(x.probe);
    case 'error':
      return isStr(x.code) && isStr(x.message);
    case 'cancelled':
      return true;
    default:
      return false;
  }
}

function isPairView(x: unknown): x is ComparePairView {
  return (
    isObj(x) &&
    isStr(x.key) &&
    isStr(x.tower) &&
    STATUSES.includes(x.status) &&
    isShape(x.shape) &&
    arrayOf(x.aNames, 16, isStr) &&
    arrayOf(x.bNames, 16, isStr) &&
    isStr(x.aDtype) &&
    isStr(x.bDtype) &&
    isNumOrNull(x.maxAbs) &&
    isNumOrNull(x.relRms) &&
    isNumOrNull(x.cosine) &&
    (x.mismatched === null || isCount(x.mismatched)) &&
    arrayOf(x.notes, 32, isStr) &&
    isBool(x.histogram)
  );
}

const isTowerView = (x: unknown): x is CompareTowerView =>
  isObj(x) &&
  isStr(x.tower) &&
  ['matched', 'identical', 'equal', 'close', 'different', 'shapeMismatch', 'unreadable', 'onlyA', 'onlyB'].every((k) => isCount(x[k])) &&
  isBool(x.allowed) &&
  isStrOrNull(x.meaning);

const isSideView = (x: unknown): x is CompareSideView =>
  isObj(x) && isStr(x.label) && isStr(x.path) && isStr(x.format) && isStrOrNull(x.layout) && isCount(x.tensors) && isCount(x.parameters) && isCount(x.bytes);

const isUnmatched = (x: unknown): x is CompareView['onlyA'][number] => isObj(x) && isStr(x.name) && isStr(x.tower) && isStr(x.dtype) && isShape(x.shape) && isBool(x.harmless);

export function isCompareView(x: unknown): x is CompareView {
  if (!isObj(x) || !isObj(x.counts)) return false;
  const c = x.counts;
  return (
    isBool(x.equivalent) &&
    arrayOf(x.parts, 10_000, (p): p is CompareView['parts'][number] => isObj(p) && (isStr(p.text) || isStr(p.name))) &&
    isSideView(x.a) &&
    isSideView(x.b) &&
    (x.matching === 'name' || x.matching === 'canonical') &&
    ['matched', 'identical', 'equal', 'close', 'different', 'shapeMismatch', 'unreadable', 'onlyA', 'onlyB'].every((k) => isCount(c[k])) &&
    arrayOf(x.towers, 16, isTowerView) &&
    arrayOf(x.worst, MAX_WORST, isPairView) &&
    arrayOf(x.onlyA, MAX_UNMATCHED, isUnmatched) &&
    arrayOf(x.onlyB, MAX_UNMATCHED, isUnmatched) &&
    arrayOf(x.notes, 1000, isStr) &&
    isNum(x.seconds)
  );
}

export function isDiffHistogramView(x: unknown): x is DiffHistogramView {
  return (
    isObj(x) &&
    isStr(x.key) &&
    arrayOf(x.edges, 4097, isNum) &&
    arrayOf(x.counts, 4096, isCount) &&
    (x.counts.length === 0 ? x.edges.length === 0 : x.edges.length === x.counts.length + 1) &&
    isNum(x.maxAbs) &&
    isCount(x.count) &&
    isCount(x.nonFinite)
  );
}

/** The comparison panel's state. */
export type CompareState =
  | { readonly kind: 'running'; readonly title: string; readonly message: string; readonly fraction: number }
  | { readonly kind: 'done'; readonly view: CompareView }
  | { readonly kind: 'error'; readonly title: string; readonly code: string; readonly message: string }
  | { readonly kind: 'cancelled'; readonly title: string };

export function isCompareState(x: unknown): x is CompareState {
  if (!isObj(x)) return false;
  switch (x.kind) {
    case 'running':
      return isStr(x.title) && isStr(x.message) && isFraction(x.fraction);
    case 'done':
      return isCompareView(x.view);
    case 'error':
      return isStr(x.title) && isStr(x.code) && isStr(x.message);
    case 'cancelled':
      return isStr(x.title);
    default:
      return false;
  }
}
