/**
 * The message protocol between the extension host and the checkpoint editor's webview.
 *
 * Both sides import these types, and both sides validate what they receive with the `parse*`
 * functions below: the webview is an untrusted-ish browser context (it renders attacker-controlled
 * tensor names) and the host must not act on a malformed message from it; the webview must not
 * trust that whatever arrives on `window.message` came from our host in the shape it expects.
 * Validators are hand-written (no schema library) because the model can hold 100,000+ nodes and
 * must validate in a few milliseconds inside the webview bundle; they walk the tree iteratively so
 * a hostile name with thousands of dots cannot blow the stack.
 *
 * Nothing here imports `vscode` or DOM types: it is plain data.
 */
import { isCompareState, isDiffHistogramView, isProbeState, type CompareState, type DiffHistogramView, type ProbeState } from './jobViews.js';
import type { TensorStats } from '../stats/tensorStats.js';
import { pythonString } from './text.js';
import { isObj, isStr, isNum, isCount, isNumOrNull, isStrOrNull, isShape } from './validate.js';

export type Severity = 'error' | 'warning' | 'info';
/**
 * Badge of a tower (from the analysis): `not-expected` = present but the target has no such tower;
 * `shard-missing` = what it lacks is in the index, in a shard that is not on disk (never "absent").
 */
export type TowerStatus = 'complete' | 'incomplete' | 'absent' | 'not-expected' | 'unchecked' | 'shard-missing';
/** Why a row is highlighted. `missing` rows are ghost rows: expected by the target, absent from the file. */
export type RowMark = 'missing' | 'unexpected' | 'misshaped' | 'unreadable' | 'zero';

/** One finding for the banner and the Problems panel. Text fields are plain text, never HTML. */
export interface Finding {
  readonly code: string;
  readonly severity: Severity;
  /** One sentence: what is wrong. */
  readonly message: string;
  /** One sentence in plain words: what happens if you load it anyway. */
  readonly consequence?: string;
  /** Measured facts behind the finding (at most MAX_EVIDENCE lines). */
  readonly evidence?: readonly string[];
  /** Up to MAX_FINDING_TENSORS tensor names the finding is about. */
  readonly tensors?: readonly string[];
  /** Total number of tensors concerned (may exceed `tensors.length`). */
  readonly tensorCount?: number;
  /** The code's one-line meaning from its docs entry (docs/codes), shown when hovering the code. */
  readonly help?: string;
}

export interface TensorRef {
  /** Full tensor name (the key in the state dict). */
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly shard: string | null;
  /** Byte range in the (shard) file, when the data is contiguous. */
  readonly offsets: readonly [number, number] | null;
  /** For mis-shaped tensors: the shape the target expects. */
  readonly expectedShape?: readonly number[];
  /**
   * True when nothing declares the shape (a tensor of a missing shard: the index names only its
   * shard); `shape` is then empty and must be shown as "unknown", never as `[]`.
   */
  readonly shapeUnknown?: boolean;
}

export interface ViewNode {
  /** Row label: a name segment, or a dotted run of single-child segments. */
  readonly label: string;
  /** Set on leaf rows (real tensors and ghost rows). */
  readonly tensor?: TensorRef;
  /** Tower badge (top-level nodes when an analysis ran). */
  readonly badge?: TowerStatus;
  /** The label is a grouping (a tower), not part of the tensor names below it. */
  readonly synthetic?: boolean;
  /** The children are N structurally identical numbered blocks (rendered as ×N, collapsed). */
  readonly repeat?: number;
  readonly mark?: RowMark;
  /** Plain-text reason for the mark (tooltip / details). */
  readonly note?: string;
  /** Real tensors under this node (ghost rows not counted). */
  readonly tensorCount: number;
  readonly parameters: number;
  readonly bytes: number;
  /** Ghost rows under this node. */
  readonly missingCount: number;
  readonly children?: readonly ViewNode[];
}

export interface ViewModel {
  /** File name (or index file name) shown as the title. */
  readonly title: string;
  readonly path: string;
  readonly format: string;
  /** Model family and variant from the analysis, e.g. `open_clip` / `ViT-B-16`. */
  readonly family: string | null;
  readonly variant: string | null;
  /** The load target the findings were computed against, e.g. `open_clip ViT-B-16`. */
  readonly target: string | null;
  readonly tensorCount: number;
  readonly unreadableCount: number;
  readonly parameterCount: number;
  readonly byteCount: number;
  readonly fileCount: number;
  readonly dtypes: readonly { readonly dtype: string; readonly parameters: number }[];
  /** Sorted: errors first. */
  readonly findings: readonly Finding[];
  readonly roots: readonly ViewNode[];
  /** First MAX_METADATA entries of the checkpoint metadata, values cut to 500 chars. */
  readonly metadata: readonly (readonly [string, string])[];
  /** True when the analysis engine was not available and the tree is the generic name tree. */
  readonly genericTree: boolean;
  /** Non-tensor entries of a PyTorch checkpoint (optimizer summary, epoch, args…), first MAX_METADATA. */
  readonly extras?: readonly (readonly [string, string])[];
  /**
   * Set when the completeness of the file against a model could not be checked (no recognised
   * layout, no analysis): the reason in plain words. The views then say "not checked", never ✓.
   */
  readonly notChecked?: string;
  /** Set when the zero-shot probe cannot run on this file: the reason (the button is disabled with it). */
  readonly probeUnavailable?: string;
  /**
   * Set on the first screen, sent as soon as the header is read, while the model analysis still
   * runs: what is still being checked, in plain words. The findings are then the file's integrity
   * problems only, and the views say "checking…", never ✓ nor "not checked".
   */
  readonly checking?: string;
}

/**
 * What the webview receives of a model: everything but the tree. The rows travel in windows
 * (`tree` request → `rows` answer): the host keeps the tree, the webview holds one window of rows.
 */
export interface ViewHeader extends Omit<ViewModel, 'roots'> {
  /** Nodes in the whole tree (all rows expanded). */
  readonly nodeCount: number;
  /** Characters of the longest tensor shape text (sizes the shape column). */
  readonly shapeChars: number;
}

/** One visible row of the tree (a node without its children). */
export interface RowView {
  /** The node's pre-order index in the host's tree (stable until the next model). */
  readonly node: number;
  readonly depth: number;
  /** Position of the parent row among the visible rows, or -1 (top level). */
  readonly parentPos: number;
  readonly hasChildren: boolean;
  readonly expanded: boolean;
  /** Full dotted path (the tensor name for tensor rows). */
  readonly path: string;
  readonly view: ViewNode;
}

/** What a `tree` request asks the host to do before it answers with the rows of its window. */
export type TreeOp =
  | { readonly kind: 'rows' }
  | { readonly kind: 'toggle'; readonly node: number; readonly open: boolean }
  | { readonly kind: 'expandAll' }
  | { readonly kind: 'collapseAll' }
  | { readonly kind: 'filter'; readonly text: string; readonly regex: boolean }
  /** Opens the ancestors of a tensor (clearing a filter that hides it) and focuses it. */
  | { readonly kind: 'reveal'; readonly name: string }
  /** Type-to-find: the first visible row from position `from` on (wrapping) whose label starts with `prefix`. */
  | { readonly kind: 'find'; readonly prefix: string; readonly from: number };

/** The most rows one `tree` request may ask for (a screen is ~40). */
export const MAX_ROW_WINDOW = 1000;

/** Statistics of one tensor as the webview receives them (the core's TensorStats without dtype). */
export type StatsView = Readonly<Omit<TensorStats, 'dtype'>>;

/** How many first values the details pane shows, and the most a `values` message may carry. */
export const PREVIEW_VALUES = 16;
export const MAX_PREVIEW_VALUES = 64;
/** A non-finite value, as text (JSON has no NaN or Infinity). */
export type NonFinite = 'NaN' | 'Infinity' | '-Infinity';

/** The first decoded values of one tensor (dequantised when `dequantized`). */
export interface ValuesView {
  readonly name: string;
  /** The stored type (GGUF: Q4_K…). */
  readonly dtype: string;
  readonly dequantized: boolean;
  /** Elements in the whole tensor (`values` holds the first min(count, PREVIEW_VALUES)). */
  readonly elementCount: number;
  readonly values: readonly (number | NonFinite)[];
}

export type FailureState = 'deleted' | 'truncated' | 'unreadable';

/** Host → webview. */
export type HostMessage =
  | { readonly type: 'loading'; readonly title: string; readonly reason: 'open' | 'reload' }
  /**
   * A model to show. `rows`: the first window of its tree (so the first screen needs no round
   * trip). `keepTree`: the tree is the one already shown (the analysis finished and changed no
   * row): only the header, findings and banner change; rows, scroll, selection and filter stay.
   */
  | { readonly type: 'model'; readonly model: ViewHeader; readonly rows?: RowsAnswer; readonly keepTree?: boolean }
  /**
   * The answer to a `tree` request: rows [start, start + rows.length) of the visible list (after
   * the request's op), its length `total`, and `version`, which changes whenever the visible list does.
   */
  | {
      readonly type: 'rows';
      readonly requestId: number;
      readonly version: number;
      readonly total: number;
      readonly start: number;
      readonly rows: readonly RowView[];
      /** Matching nodes while a filter is on, else null. */
      readonly matches: number | null;
      /** The filter's error (an invalid regex); the previous filter stays. */
      readonly filterError: string | null;
      /** Position of the row the op focuses (reveal, find), or -1. */
      readonly focus: number;
      /** Position of the request's `selected` node in the visible list, or -1. */
      readonly selectedPos: number;
    }
  | { readonly type: 'failure'; readonly state: FailureState; readonly title: string; readonly code: string; readonly message: string }
  | { readonly type: 'statsProgress'; readonly requestId: number; readonly fraction: number }
  | { readonly type: 'stats'; readonly requestId: number; readonly stats: StatsView }
  | { readonly type: 'statsError'; readonly requestId: number; readonly code: string; readonly message: string }
  | { readonly type: 'values'; readonly requestId: number; readonly values: ValuesView }
  | { readonly type: 'valuesError'; readonly requestId: number; readonly code: string; readonly message: string }
  | { readonly type: 'reveal'; readonly name: string }
  | { readonly type: 'probe'; readonly state: ProbeState }
  | { readonly type: 'compare'; readonly state: CompareState }
  | { readonly type: 'diffHistogram'; readonly requestId: number; readonly histogram: DiffHistogramView }
  | { readonly type: 'diffHistogramError'; readonly requestId: number; readonly code: string; readonly message: string };

/** A `rows` answer (also the first window carried by a `model` message). */
export type RowsAnswer = Extract<HostMessage, { type: 'rows' }>;

/** Webview → host. */
export type WebviewMessage =
  | { readonly type: 'ready' }
  /** Do `op`, then send rows [start, end) of the visible tree (`selected`: the selected node, or -1). */
  | { readonly type: 'tree'; readonly requestId: number; readonly op: TreeOp; readonly start: number; readonly end: number; readonly selected: number }
  | { readonly type: 'requestStats'; readonly requestId: number; readonly name: string }
  /** The first PREVIEW_VALUES decoded values of a tensor (sent when a tensor row is selected). */
  | { readonly type: 'requestValues'; readonly requestId: number; readonly name: string }
  | { readonly type: 'copy'; readonly what: 'name' | 'python'; readonly text: string }
  | { readonly type: 'runCommand'; readonly command: WebviewCommand }
  | { readonly type: 'requestDiffHistogram'; readonly requestId: number; readonly key: string }
  /** The tensor (or group path) now selected in the tree, or null. */
  | { readonly type: 'selected'; readonly name: string | null }
  /** A finding's code chip was clicked: open its docs entry (and select what the finding is about). */
  | { readonly type: 'openCode'; readonly code: string; readonly tensor: string | null };

/** The only commands a webview may ask for (the host maps them to fixed command ids). */
export type WebviewCommand = 'setLoadTarget' | 'showFindings' | 'runProbe' | 'cancelProbe' | 'copyMarkdown' | 'copyProbeMarkdown' | 'runProbeWithImages' | 'compareWith';
const WEBVIEW_COMMANDS: readonly unknown[] = ['setLoadTarget', 'showFindings', 'runProbe', 'cancelProbe', 'copyMarkdown', 'copyProbeMarkdown', 'runProbeWithImages', 'compareWith'];

export const MAX_FINDING_TENSORS = 50;
export const MAX_METADATA = 100;
export const MAX_EVIDENCE = 10;
const MAX_NODES = 2_000_000;

// ---------------------------------------------------------------------------------------------
// Validation. Each parser returns the message typed, or null when anything is off.

const isSeverity = (x: unknown): x is Severity => x === 'error' || x === 'warning' || x === 'info';
const optional = <T>(x: unknown, f: (y: unknown) => y is T): boolean => x === undefined || f(x);

function isFinding(x: unknown): x is Finding {
  return (
    isObj(x) &&
    isStr(x.code) &&
    isSeverity(x.severity) &&
    isStr(x.message) &&
    optional(x.consequence, isStr) &&
    (x.evidence === undefined || (Array.isArray(x.evidence) && x.evidence.length <= MAX_EVIDENCE && x.evidence.every(isStr))) &&
    optional(x.tensorCount, isCount) &&
    (x.help === undefined || (isStr(x.help) && x.help.length <= 300)) &&
    (x.tensors === undefined || (Array.isArray(x.tensors) && x.tensors.length <= MAX_FINDING_TENSORS && x.tensors.every(isStr)))
  );
}

function isTensorRef(x: unknown): x is TensorRef {
  return (
    isObj(x) &&
    isStr(x.name) &&
    isStr(x.dtype) &&
    isShape(x.shape) &&
    isStrOrNull(x.shard) &&
    (x.offsets === null || (Array.isArray(x.offsets) && x.offsets.length === 2 && x.offsets.every(isCount))) &&
    optional(x.expectedShape, isShape) &&
    (x.shapeUnknown === undefined || x.shapeUnknown === true)
  );
}

const MARKS: readonly unknown[] = ['missing', 'unexpected', 'misshaped', 'unreadable', 'zero'];
const BADGES: readonly unknown[] = ['complete', 'incomplete', 'absent', 'not-expected', 'unchecked', 'shard-missing'];

function isNodeShallow(x: unknown): x is ViewNode {
  return (
    isObj(x) &&
    isStr(x.label) &&
    optional(x.tensor, isTensorRef) &&
    (x.badge === undefined || BADGES.includes(x.badge)) &&
    optional(x.synthetic, (y): y is boolean => typeof y === 'boolean') &&
    optional(x.repeat, isCount) &&
    (x.mark === undefined || MARKS.includes(x.mark)) &&
    optional(x.note, isStr) &&
    isCount(x.tensorCount) &&
    isCount(x.parameters) &&
    isCount(x.bytes) &&
    isCount(x.missingCount) &&
    (x.children === undefined || Array.isArray(x.children))
  );
}

/** Validates a node forest without recursion. */
function isForest(roots: unknown): roots is ViewNode[] {
  if (!Array.isArray(roots)) return false;
  const stack: unknown[] = [...roots];
  let seen = 0;
  while (stack.length) {
    const n = stack.pop();
    if (++seen > MAX_NODES || !isNodeShallow(n)) return false;
    if (n.children) for (const c of n.children) stack.push(c);
  }
  return true;
}

function isHeaderFields(x: Record<string, unknown>): boolean {
  return (
    isStr(x.title) &&
    isStr(x.path) &&
    isStr(x.format) &&
    isStrOrNull(x.family) &&
    isStrOrNull(x.variant) &&
    isStrOrNull(x.target) &&
    isCount(x.tensorCount) &&
    isCount(x.unreadableCount) &&
    isCount(x.parameterCount) &&
    isCount(x.byteCount) &&
    isCount(x.fileCount) &&
    typeof x.genericTree === 'boolean' &&
    Array.isArray(x.dtypes) &&
    x.dtypes.every((d) => isObj(d) && isStr(d.dtype) && isCount(d.parameters)) &&
    Array.isArray(x.findings) &&
    x.findings.every(isFinding) &&
    Array.isArray(x.metadata) &&
    x.metadata.length <= MAX_METADATA &&
    x.metadata.every((m) => Array.isArray(m) && m.length === 2 && isStr(m[0]) && isStr(m[1])) &&
    (x.extras === undefined || (Array.isArray(x.extras) && x.extras.length <= MAX_METADATA && x.extras.every((m) => Array.isArray(m) && m.length === 2 && isStr(m[0]) && isStr(m[1])))) &&
    optional(x.notChecked, isStr) &&
    optional(x.probeUnavailable, isStr) &&
    optional(x.checking, isStr)
  );
}

export function isViewModel(x: unknown): x is ViewModel {
  return isObj(x) && isHeaderFields(x) && isForest(x.roots);
}

export function isViewHeader(x: unknown): x is ViewHeader {
  return isObj(x) && isHeaderFields(x) && isCount(x.nodeCount) && isCount(x.shapeChars) && !('roots' in x);
}

function isRowView(x: unknown): x is RowView {
  return (
    isObj(x) &&
    isCount(x.node) &&
    isCount(x.depth) &&
    Number.isInteger(x.parentPos) &&
    (x.parentPos as number) >= -1 &&
    typeof x.hasChildren === 'boolean' &&
    typeof x.expanded === 'boolean' &&
    isStr(x.path) &&
    isNodeShallow(x.view) &&
    x.view.children === undefined
  );
}

const isPos = (x: unknown): boolean => Number.isInteger(x) && (x as number) >= -1;

function isTreeOp(x: unknown): x is TreeOp {
  if (!isObj(x)) return false;
  switch (x.kind) {
    case 'rows':
    case 'expandAll':
    case 'collapseAll':
      return true;
    case 'toggle':
      return isCount(x.node) && typeof x.open === 'boolean';
    case 'filter':
      return isStr(x.text) && x.text.length <= 10_000 && typeof x.regex === 'boolean';
    case 'reveal':
      return isStr(x.name);
    case 'find':
      return isStr(x.prefix) && x.prefix.length <= 1000 && isCount(x.from);
    default:
      return false;
  }
}

function isStatsView(x: unknown): x is StatsView {
  if (!isObj(x) || !isObj(x.histogram)) return false;
  const h = x.histogram;
  return (
    isStr(x.name) &&
    isCount(x.count) &&
    isNumOrNull(x.min) &&
    isNumOrNull(x.max) &&
    isNumOrNull(x.mean) &&
    isNumOrNull(x.std) &&
    isCount(x.nan) &&
    isCount(x.posInf) &&
    isCount(x.negInf) &&
    isCount(x.zeros) &&
    Array.isArray(h.edges) &&
    h.edges.every(isNum) &&
    Array.isArray(h.counts) &&
    h.counts.every(isCount) &&
    h.counts.length <= 4096 &&
    (h.counts.length === 0 ? h.edges.length === 0 : h.edges.length === h.counts.length + 1)
  );
}

const NON_FINITE: readonly unknown[] = ['NaN', 'Infinity', '-Infinity'];

export function isValuesView(x: unknown): x is ValuesView {
  return (
    isObj(x) &&
    isStr(x.name) &&
    isStr(x.dtype) &&
    typeof x.dequantized === 'boolean' &&
    isCount(x.elementCount) &&
    Array.isArray(x.values) &&
    x.values.length <= MAX_PREVIEW_VALUES &&
    x.values.every((v) => isNum(v) || NON_FINITE.includes(v))
  );
}

const FAILURES: readonly unknown[] = ['deleted', 'truncated', 'unreadable'];

function isRowsAnswer(x: unknown): x is RowsAnswer {
  return (
    isObj(x) &&
    x.type === 'rows' &&
    isCount(x.requestId) &&
    isCount(x.version) &&
    isCount(x.total) &&
    isCount(x.start) &&
    Array.isArray(x.rows) &&
    x.rows.length <= MAX_ROW_WINDOW &&
    x.rows.every(isRowView) &&
    (x.matches === null || isCount(x.matches)) &&
    isStrOrNull(x.filterError) &&
    isPos(x.focus) &&
    isPos(x.selectedPos)
  );
}

export function parseHostMessage(x: unknown): HostMessage | null {
  if (!isObj(x)) return null;
  switch (x.type) {
    case 'loading':
      return isStr(x.title) && (x.reason === 'open' || x.reason === 'reload') ? (x as HostMessage) : null;
    case 'model':
      return isViewHeader(x.model) && (x.rows === undefined || isRowsAnswer(x.rows)) && (x.keepTree === undefined || typeof x.keepTree === 'boolean') ? (x as HostMessage) : null;
    case 'rows':
      return isRowsAnswer(x) ? (x as HostMessage) : null;
    case 'failure':
      return FAILURES.includes(x.state) && isStr(x.title) && isStr(x.code) && isStr(x.message) ? (x as HostMessage) : null;
    case 'statsProgress':
      return isCount(x.requestId) && isNum(x.fraction) ? (x as HostMessage) : null;
    case 'stats':
      return isCount(x.requestId) && isStatsView(x.stats) ? (x as HostMessage) : null;
    case 'statsError':
      return isCount(x.requestId) && isStr(x.code) && isStr(x.message) ? (x as HostMessage) : null;
    case 'values':
      return isCount(x.requestId) && isValuesView(x.values) ? (x as HostMessage) : null;
    case 'valuesError':
      return isCount(x.requestId) && isStr(x.code) && isStr(x.message) ? (x as HostMessage) : null;
    case 'reveal':
      return isStr(x.name) ? (x as HostMessage) : null;
    case 'probe':
      return isProbeState(x.state) ? (x as HostMessage) : null;
    case 'compare':
      return isCompareState(x.state) ? (x as HostMessage) : null;
    case 'diffHistogram':
      return isCount(x.requestId) && isDiffHistogramView(x.histogram) ? (x as HostMessage) : null;
    case 'diffHistogramError':
      return isCount(x.requestId) && isStr(x.code) && isStr(x.message) ? (x as HostMessage) : null;
    default:
      return null;
  }
}

export function parseWebviewMessage(x: unknown): WebviewMessage | null {
  if (!isObj(x)) return null;
  switch (x.type) {
    case 'ready':
      return { type: 'ready' };
    case 'tree':
      return isCount(x.requestId) && isTreeOp(x.op) && isCount(x.start) && isCount(x.end) && x.end >= x.start && x.end - x.start <= MAX_ROW_WINDOW && isPos(x.selected)
        ? { type: 'tree', requestId: x.requestId, op: x.op, start: x.start, end: x.end, selected: x.selected as number }
        : null;
    case 'requestStats':
      return isCount(x.requestId) && isStr(x.name) ? { type: 'requestStats', requestId: x.requestId, name: x.name } : null;
    case 'requestValues':
      return isCount(x.requestId) && isStr(x.name) ? { type: 'requestValues', requestId: x.requestId, name: x.name } : null;
    case 'copy':
      return (x.what === 'name' || x.what === 'python') && isStr(x.text) ? { type: 'copy', what: x.what, text: x.text } : null;
    case 'runCommand':
      return WEBVIEW_COMMANDS.includes(x.command) ? { type: 'runCommand', command: x.command as WebviewCommand } : null;
    case 'requestDiffHistogram':
      return isCount(x.requestId) && isStr(x.key) ? { type: 'requestDiffHistogram', requestId: x.requestId, key: x.key } : null;
    case 'selected':
      return x.name === null || isStr(x.name) ? { type: 'selected', name: x.name } : null;
    case 'openCode':
      return isStr(x.code) && x.code.length <= 80 && (x.tensor === null || isStr(x.tensor)) ? { type: 'openCode', code: x.code, tensor: x.tensor } : null;
    default:
      return null;
  }
}

/** `state_dict["name"]`, with invisible characters of the name written as escapes (same key). */
export function pythonKeyAccess(name: string, variable = 'state_dict'): string {
  return `${variable}[${pythonString(name)}]`;
}
