// Worker-thread entry (bundled to dist/statsWorker.js): statistics of one byte range of a tensor.
import { parentPort, workerData } from 'node:worker_threads';
import type { TensorInfo } from '../core/checkpoint.js';
import { elementsIn } from '../core/decode.js';
import { tensorValueChunks } from '../core/values.js';
import { StatsAccumulator } from './tensorStats.js';
import type { StatsWorkerJob, StatsWorkerMessage } from './statsWorkerProtocol.js';

async function main(job: StatsWorkerJob): Promise<StatsWorkerMessage> {
  const elements = elementsIn(job.dtype, job.length);
  // The part as a tensor of its own, so it streams (and decodes) exactly like the whole would.
  const part: TensorInfo = {
    name: 'part',
    dtype: job.dtype,
    shape: [elements],
    elementCount: elements,
    byteLength: job.length,
    data: { kind: 'contiguous', file: job.file, offset: job.offset, length: job.length },
  };
  const acc = new StatsAccumulator();
  const bytesPerValue = elements > 0 ? job.length / elements : 0;
  for await (const chunk of tensorValueChunks(part, { chunkBytes: job.chunkBytes })) {
    acc.add(chunk);
    post({ type: 'progress', bytes: chunk.length * bytesPerValue });
  }
  return { type: 'done', state: acc.exportState() };
}

function post(m: StatsWorkerMessage): void {
  if (m.type === 'done') parentPort?.postMessage(m, m.state.fine.map((f) => f.counts.buffer as ArrayBuffer));
  else parentPort?.postMessage(m);
}

main(workerData as StatsWorkerJob).then(post, (e: unknown) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) }));
