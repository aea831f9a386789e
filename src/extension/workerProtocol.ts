/**
 * Messages between the extension host and its worker thread (same trust domain: both are our
 * code, so these are typed but not re-validated; the webview protocol is in src/shared/protocol.ts).
 */
import type { Finding, HostMessage, RowsAnswer, StatsView, TreeOp, ValuesView, ViewHeader } from '../shared/protocol.js';
import type { CompareView, DiffHistogramView, ProbeView } from '../shared/jobViews.js';
import type { ProviderName } from '../probe/providers.js';
import type { ConvertOptions, ConvertReport } from '../convert/convert.js';
import type { ConvertError } from '../convert/types.js';

export interface OpenOptions {
  /** Load target id chosen by the user or the `checkpointLens.defaultTarget` setting ('auto' = detect). */
  readonly target: string;
  /** Upper bound on tensor bytes the analysis may read for value checks. */
  readonly valueCheckBudgetBytes: number;
}

/** Probe settings read on the host (`checkpointLens.probe.*`). */
export interface ProbeJobOptions {
  /** Provider order for `auto`; empty = the platform's default order. */
  readonly providerOrder: readonly ProviderName[];
  /** Tokenizer file or directory; null = one beside the checkpoint, else the built-in prompt ids. */
  readonly tokenizer: string | null;
  /** ORT intra-op threads; null = ORT's choice. */
  readonly threads: number | null;
  /** The user's own probe set (`--images DIR [--labels FILE]` of the CLI); absent = the built-in set. */
  readonly images?: { readonly dir: string; readonly labelsFile: string | null };
  /** open_clip config name from the editor's load target (`openclip:NAME`), the CLI's `--target`. */
  readonly target?: string;
}

/** Stamped by the client on every request: the host's Hub-token epoch (see `hubTokenEpoch`). */
interface Stamp {
  readonly tokenEpoch?: number;
}

export type WorkerRequest = Stamp &
  (
  | { readonly id: number; readonly op: 'open'; readonly key: string; readonly path: string; readonly options: OpenOptions }
  | { readonly id: number; readonly op: 'stats'; readonly key: string; readonly name: string }
  | { readonly id: number; readonly op: 'values'; readonly key: string; readonly name: string; readonly count: number }
  | { readonly id: number; readonly op: 'close'; readonly key: string }
  /** A window of the opened model's tree rows (the worker keeps the tree; see docs/editor.md). */
  | { readonly id: number; readonly op: 'tree'; readonly key: string; readonly requestId: number; readonly treeOp: TreeOp; readonly start: number; readonly end: number; readonly selected: number }
  | { readonly id: number; readonly op: 'probe'; readonly path: string; readonly options: ProbeJobOptions }
  | { readonly id: number; readonly op: 'compare'; readonly key: string; readonly a: string; readonly b: string; readonly labels: { readonly a: string; readonly b: string } }
  | { readonly id: number; readonly op: 'diffHistogram'; readonly key: string; readonly pairKey: string }
  | { readonly id: number; readonly op: 'convert'; readonly options: ConvertOptions }
  /** Aborts the request `target` (probe, compare, histogram): it then answers `cancelled`. */
  | { readonly id: number; readonly op: 'cancel'; readonly target: number });

/** The first screen of an `open`, sent before its analysis runs (`model.checking` is set). */
export interface OpenPartial {
  readonly model: ViewHeader;
  /** The first window of rows. */
  readonly rows: RowsAnswer;
  readonly millis: number;
}

export type OpenOutcome =
  /**
   * The model without its tree (the worker keeps the tree and answers `tree` requests), with its
   * first window of rows, or `keepTree` when the tree of the first screen stands.
   */
  | { readonly ok: true; readonly model: ViewHeader; readonly findings: readonly Finding[]; readonly millis: number; readonly rows?: RowsAnswer; readonly keepTree?: boolean }
  | { readonly ok: false; readonly code: string; readonly message: string };

/** The `rows` message for the webview, or null when the model is not open any more. */
export type RowsOutcome = Extract<HostMessage, { type: 'rows' }> | null;

export type StatsOutcome = { readonly ok: true; readonly stats: StatsView } | { readonly ok: false; readonly code: string; readonly message: string };

export type ValuesOutcome = { readonly ok: true; readonly values: ValuesView } | { readonly ok: false; readonly code: string; readonly message: string };

type Failed = { readonly ok: false; readonly code: string; readonly message: string };
export type ProbeOutcome = { readonly ok: true; readonly probe: ProbeView } | Failed;
export type CompareOutcome = { readonly ok: true; readonly view: CompareView; readonly markdown: string } | Failed;
export type HistogramOutcome = { readonly ok: true; readonly histogram: DiffHistogramView } | Failed;
/** `convert`: the report, or the converter's error (with what is still missing); `cancelled` after a Cancel. */
export type ConvertOutcome = { readonly ok: true; readonly report: ConvertReport } | { readonly ok: false; readonly error: ConvertError } | Failed;

export type WorkerResponse =
  | { readonly id: number; readonly kind: 'done'; readonly result: OpenOutcome | RowsOutcome | StatsOutcome | ValuesOutcome | ProbeOutcome | CompareOutcome | HistogramOutcome | ConvertOutcome | null }
  | { readonly id: number; readonly kind: 'progress'; readonly fraction: number; readonly message?: string }
  /** The first screen of an `open` (its final answer follows). */
  | { readonly id: number; readonly kind: 'partial'; readonly result: OpenPartial }
  | { readonly id: number; readonly kind: 'log'; readonly message: string };
