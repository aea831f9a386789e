/**
 * Messages between the extension host and its worker thread (same trust domain: both are our
 * code, so these are typed but not re-validated; the webview protocol is in src/shared/protocol.ts).
 */
import type { Finding, StatsView, ViewModel } from '../shared/protocol.js';

export interface OpenOptions {
  /** Load target id chosen by the user or the `checkpointLens.defaultTarget` setting ('auto' = detect). */
  readonly target: string;
  /** Upper bound on tensor bytes the analysis may read for value checks. */
  readonly valueCheckBudgetBytes: number;
}

export type WorkerRequest =
  | { readonly id: number; readonly op: 'open'; readonly key: string; readonly path: string; readonly options: OpenOptions }
  | { readonly id: number; readonly op: 'stats'; readonly key: string; readonly name: string }
  | { readonly id: number; readonly op: 'close'; readonly key: string };

export type OpenOutcome =
  | { readonly ok: true; readonly model: ViewModel; readonly findings: readonly Finding[]; readonly millis: number }
  | { readonly ok: false; readonly code: string; readonly message: string };

export type StatsOutcome = { readonly ok: true; readonly stats: StatsView } | { readonly ok: false; readonly code: string; readonly message: string };

export type WorkerResponse =
  | { readonly id: number; readonly kind: 'done'; readonly result: OpenOutcome | StatsOutcome | null }
  | { readonly id: number; readonly kind: 'progress'; readonly fraction: number }
  | { readonly id: number; readonly kind: 'log'; readonly message: string };
