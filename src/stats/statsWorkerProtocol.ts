import type { DType } from '../core/dtype.js';
import type { StatsState } from './tensorStats.js';

/** One worker's share of a contiguous tensor: a byte range on element (and chunk) boundaries. */
export interface StatsWorkerJob {
  readonly file: string;
  readonly offset: number;
  readonly length: number;
  readonly dtype: DType;
  readonly chunkBytes: number;
}

export type StatsWorkerMessage =
  | { readonly type: 'progress'; readonly bytes: number }
  | { readonly type: 'done'; readonly state: StatsState }
  /** A failure while reading/computing (not a start-up failure): the main thread reports it as is. */
  | { readonly type: 'error'; readonly message: string };
