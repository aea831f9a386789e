/**
 * Host side of the worker thread: request/response by id, progress callbacks, and a restart when
 * the worker dies (pending requests then fail with `worker-crashed` instead of hanging).
 */
import { Worker } from 'node:worker_threads';
import type { OpenOptions, OpenOutcome, StatsOutcome, WorkerRequest, WorkerResponse } from './workerProtocol.js';

type Pending = { resolve: (v: unknown) => void; onProgress?: (f: number) => void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

export class WorkerClient {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly script: string,
    private readonly log: (line: string) => void,
  ) {}

  open(key: string, path: string, options: OpenOptions): Promise<OpenOutcome> {
    return this.request({ op: 'open', key, path, options }) as Promise<OpenOutcome>;
  }

  stats(key: string, name: string, onProgress: (fraction: number) => void): Promise<StatsOutcome> {
    return this.request({ op: 'stats', key, name }, onProgress) as Promise<StatsOutcome>;
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
      if (m.kind === 'progress') p.onProgress?.(m.fraction);
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

  private request(body: Body<WorkerRequest>, onProgress?: (f: number) => void): Promise<unknown> {
    const id = this.nextId++;
    const w = this.ensure();
    return new Promise((resolve) => {
      this.pending.set(id, { resolve, ...(onProgress ? { onProgress } : {}) });
      w.postMessage({ ...body, id } as WorkerRequest);
    });
  }
}
