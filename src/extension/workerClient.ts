/**
 * Host side of the worker thread: request/response by id, progress callbacks, and a restart when
 * the worker dies (pending requests then fail with `worker-crashed` instead of hanging).
 */
import { hubTokenEpoch } from '../remote/tokenChannel.js';
import { Worker } from 'node:worker_threads';
import type { ConvertOptions } from '../convert/convert.js';
import type { CompareOutcome, ConvertOutcome, HistogramOutcome, OpenOptions, OpenOutcome, OpenPartial, ProbeJobOptions, ProbeOutcome, RowsOutcome, StatsOutcome, ValuesOutcome, WorkerRequest, WorkerResponse } from './workerProtocol.js';
import type { TreeOp } from '../shared/protocol.js';

type Progress = (fraction: number, message?: string) => void;
type Pending = { resolve: (v: unknown) => void; onProgress?: Progress; onPartial?: (p: OpenPartial) => void };

/** A long request that can be cancelled; `result` resolves with `cancelled` after a cancel. */
export interface Job<T> {
  readonly result: Promise<T>;
  cancel(): void;
}
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

export class WorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly script: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Opens a checkpoint: `onPartial` gets the first screen (before the analysis), the promise the final model. */
  open(key: string, path: string, options: OpenOptions, onPartial?: (p: OpenPartial) => void): Promise<OpenOutcome> {
    const { result } = this.start({ op: 'open', key, path, options }, undefined, onPartial);
    return result as Promise<OpenOutcome>;
  }

  /** Applies a tree op to the opened model's tree and answers with a window of rows (null: not open). */
  tree(key: string, requestId: number, treeOp: TreeOp, start: number, end: number, selected: number): Promise<RowsOutcome> {
    return this.request({ op: 'tree', key, requestId, treeOp, start, end, selected }) as Promise<RowsOutcome>;
  }

  stats(key: string, name: string, onProgress: (fraction: number) => void): Promise<StatsOutcome> {
    return this.request({ op: 'stats', key, name }, onProgress) as Promise<StatsOutcome>;
  }

  /** The first `count` decoded (dequantised) values of a tensor of an opened checkpoint. */
  values(key: string, name: string, count: number): Promise<ValuesOutcome> {
    return this.request({ op: 'values', key, name, count }) as Promise<ValuesOutcome>;
  }

  probe(path: string, options: ProbeJobOptions, onProgress: Progress): Job<ProbeOutcome> {
    return this.job({ op: 'probe', path, options }, onProgress);
  }

  compare(key: string, a: string, b: string, labels: { a: string; b: string }, onProgress: Progress): Job<CompareOutcome> {
    return this.job({ op: 'compare', key, a, b, labels }, onProgress);
  }

  diffHistogram(key: string, pairKey: string): Job<HistogramOutcome> {
    return this.job({ op: 'diffHistogram', key, pairKey });
  }

  convert(options: ConvertOptions, onProgress: Progress): Job<ConvertOutcome> {
    return this.job({ op: 'convert', options }, onProgress);
  }

  /** True while the worker thread exists (tests check that a cancelled job's thread is gone). */
  get alive(): boolean {
    return this.worker !== null;
  }

  close(key: string): void {
    if (this.worker) void this.request({ op: 'close', key });
  }

  dispose(): void {
    const w = this.worker;
    this.worker = null;
    this.failAll('worker-stopped', 'The checkpoint worker was stopped.');
    void w?.terminate();
  }

  private ensure(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(this.script);
    w.on('message', (m: WorkerResponse) => {
      const p = this.pending.get(m.id);
      if (m.kind === 'log') return this.log(m.message);
      if (!p) return;
      if (m.kind === 'progress') p.onProgress?.(m.fraction, m.message);
      else if (m.kind === 'partial') p.onPartial?.(m.result);
      else {
        this.pending.delete(m.id);
        p.resolve(m.result);
      }
    });
    w.on('error', (e) => this.log(`worker error: ${e.stack ?? e.message}`));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = null;
      if (code !== 0) this.log(`worker exited with code ${code}`);
      this.failAll('worker-crashed', 'The checkpoint worker stopped unexpectedly (see the Checkpoint Lens output channel).');
    });
    w.unref();
    this.worker = w;
    return w;
  }

  private failAll(code: string, message: string): void {
    for (const p of this.pending.values()) p.resolve({ ok: false, code, message });
    this.pending.clear();
  }

  private request(body: Body<WorkerRequest>, onProgress?: Progress): Promise<unknown> {
    return this.start(body, onProgress).result;
  }

  private start(body: Body<WorkerRequest>, onProgress?: Progress, onPartial?: (p: OpenPartial) => void): { id: number; result: Promise<unknown> } {
    const id = this.nextId++;
    const w = this.ensure();
    const result = new Promise((resolve) => {
      this.pending.set(id, { resolve, ...(onProgress ? { onProgress } : {}), ...(onPartial ? { onPartial } : {}) });
      w.postMessage({ ...body, id, tokenEpoch: hubTokenEpoch() } as WorkerRequest);
    });
    return { id, result };
  }

  private job<T>(body: Body<WorkerRequest>, onProgress?: Progress): Job<T> {
    const { id, result } = this.start(body, onProgress);
    return {
      result: result as Promise<T>,
      cancel: () => {
        if (this.pending.has(id) && this.worker) this.worker.postMessage({ op: 'cancel', target: id, id: this.nextId++ } satisfies WorkerRequest);
      },
    };
  }
}
