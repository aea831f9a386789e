import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { isRemotePath } from '../remote/ref.js';
import type { TensorInfo } from '../core/checkpoint.js';
import { chunkAlignment } from '../core/decode.js';
import { DTYPE_BITS } from '../core/dtype.js';
import type { ValueStreamOptions } from '../core/values.js';
import { StatsAccumulator, tensorStats, type StatsState, type TensorStats } from './tensorStats.js';
import type { StatsWorkerJob, StatsWorkerMessage } from './statsWorkerProtocol.js';

export interface ParallelStatsOptions extends ValueStreamOptions {
  readonly bins?: number;
  readonly onProgress?: (bytesDone: number) => void;
  /** Worker threads to use at most (default: min(available cores, 4)). */
  readonly threads?: number;
  /** Tensors smaller than this stay on the calling thread (default 64 MiB): start-up is ~30 ms. */
  readonly minParallelBytes?: number;
  /** The bundled worker entry (default: statsWorker.js next to the running bundle). */
  readonly workerPath?: string;
  /** Told how many threads computed the result (1 when it ran, or fell back, on this thread). */
  readonly onThreads?: (threads: number) => void;
}

const MAX_THREADS = 4;
const DEFAULT_MIN_BYTES = 64 << 20;
const DEFAULT_CHUNK = 8 << 20;

/**
 * Statistics of one tensor, split across worker threads when that pays: a large contiguous tensor
 * of a byte-aligned dtype, more than one core, and a worker bundle that starts. Anything else (and
 * a worker that fails to start) runs `tensorStats` on this thread, so the answer never depends on
 * whether threads were available.
 *
 * Parts start on multiples of the stream's chunk size, so every worker sees exactly the chunks the
 * single-thread pass would: the fine histograms (and so the final bins) are identical, and only
 * the order of the mean/M2 merges differs (a rounding-level difference).
 */
export async function tensorStatsParallel(t: TensorInfo, opts: ParallelStatsOptions = {}): Promise<TensorStats> {
  const plan = planParts(t, opts);
  const outcome = plan ? await runWorkers(plan, opts) : 'unavailable';
  if (outcome === 'unavailable') {
    opts.onThreads?.(1);
    return tensorStats(t, opts);
  }
  opts.onThreads?.(outcome.length);
  return StatsAccumulator.fromStates(outcome).result(t.name, t.dtype, opts.bins);
}

interface Plan {
  readonly workerPath: string;
  readonly jobs: readonly StatsWorkerJob[];
}

/** The jobs for a parallel run, or undefined when this tensor should stay on one thread. */
export function planParts(t: TensorInfo, opts: ParallelStatsOptions = {}): Plan | undefined {
  const d = t.data;
  if (d.kind !== 'contiguous') return undefined;
  // A remote file streams by ranges on this thread (its source and cache live here).
  if (isRemotePath(d.file)) return undefined;
  // Sub-byte dtypes pack elements across bytes; they are rare and small, so they stay simple.
  if (DTYPE_BITS[t.dtype] % 8 !== 0) return undefined;
  if (d.length < (opts.minParallelBytes ?? DEFAULT_MIN_BYTES)) return undefined;
  const threads = Math.min(opts.threads ?? availableParallelism(), MAX_THREADS);
  if (threads < 2) return undefined;
  const workerPath = opts.workerPath ?? defaultWorkerPath();
  if (!workerPath || !existsSync(workerPath)) return undefined;
  // The same chunk size tensorByteChunks uses, so part boundaries fall on its chunk boundaries.
  const align = chunkAlignment(t.dtype);
  const chunk = Math.max(align, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK) / align) * align);
  const chunks = Math.ceil(d.length / chunk);
  const parts = Math.min(threads, chunks);
  if (parts < 2) return undefined;
  const jobs: StatsWorkerJob[] = [];
  for (let p = 0; p < parts; p++) {
    const start = Math.floor((chunks * p) / parts) * chunk;
    const end = Math.min(d.length, Math.floor((chunks * (p + 1)) / parts) * chunk);
    if (end > start) jobs.push({ file: d.file, offset: d.offset + start, length: end - start, dtype: t.dtype, chunkBytes: chunk });
  }
  return { workerPath, jobs };
}

function defaultWorkerPath(): string | undefined {
  // In the bundle (CommonJS) __dirname is dist/, where statsWorker.js is built next to cli.js.
  return typeof __dirname === 'string' ? join(__dirname, 'statsWorker.js') : undefined;
}

/**
 * Runs the jobs; resolves with their states in job order, or 'unavailable' when a worker could
 * not start (so the caller falls back). A failure reported by a running worker (e.g. the file
 * shrank) rejects with that error; an abort terminates all workers and rejects with the reason.
 */
function runWorkers(plan: Plan, opts: ParallelStatsOptions): Promise<StatsState[] | 'unavailable'> {
  return new Promise((resolve, reject) => {
    opts.signal?.throwIfAborted();
    const states: (StatsState | undefined)[] = plan.jobs.map(() => undefined);
    const workers: Worker[] = [];
    let remaining = plan.jobs.length;
    let done = 0;
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      opts.signal?.removeEventListener('abort', onAbort);
      for (const w of workers) void w.terminate();
      f();
    };
    const onAbort = () => finish(() => reject(opts.signal?.reason ?? new Error('aborted')));
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    plan.jobs.forEach((job, i) => {
      let w: Worker;
      try {
        w = new Worker(plan.workerPath, { workerData: job });
      } catch {
        finish(() => resolve('unavailable'));
        return;
      }
      workers.push(w);
      w.on('message', (m: StatsWorkerMessage) => {
        if (m.type === 'progress') {
          done += m.bytes;
          opts.onProgress?.(done);
        } else if (m.type === 'error') {
          finish(() => reject(new Error(m.message)));
        } else {
          states[i] = m.state;
          if (--remaining === 0) finish(() => resolve(states as StatsState[]));
        }
      });
      // An uncaught error or an exit without a result means the worker itself could not run
      // (missing or broken bundle, no memory for a thread): the single-thread path still can.
      w.on('error', () => finish(() => resolve('unavailable')));
      w.on('exit', () => {
        if (states[i] === undefined) finish(() => resolve('unavailable'));
      });
    });
  });
}
