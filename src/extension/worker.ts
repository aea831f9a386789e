/**
 * Worker thread of the extension: opens checkpoints (header read + analysis) and computes tensor
 * statistics, so a 100,000-tensor header or a 1 GB tensor never blocks the extension host.
 * Keeps each opened Checkpoint by editor key so statistics can read the tensors later.
 */
import { parentPort } from 'node:worker_threads';
import type { Checkpoint } from '../core/checkpoint.js';
import { inspectDocument } from '../core/summary.js';
import { openCheckpoint } from '../formats/open.js';
import { tensorStats } from '../stats/tensorStats.js';
import { analysisOverlay } from './analysisOverlay.js';
import { buildViewModel, type AnalysisOverlay } from './viewModel.js';
import type { Finding } from '../shared/protocol.js';
import type { OpenOutcome, StatsOutcome, WorkerRequest, WorkerResponse } from './workerProtocol.js';
import { CheckpointLensError } from '../core/result.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
const opened = new Map<string, Checkpoint>();
const send = (m: WorkerResponse) => port.postMessage(m);

async function open(req: Extract<WorkerRequest, { op: 'open' }>): Promise<OpenOutcome> {
  const t0 = performance.now();
  const r = await openCheckpoint(req.path);
  if (!r.ok) {
    opened.delete(req.key);
    return { ok: false, code: r.error.code, message: r.error.message };
  }
  opened.set(req.key, r.value);
  const doc = inspectDocument(r.value);
  let overlay: AnalysisOverlay | null = null;
  let extra: Finding[] = [];
  try {
    const o = await analysisOverlay(r.value, req.options);
    if (o.ok) overlay = o.overlay;
    // A bad target must not hide the file: show the tree and say why there is no comparison.
    else extra = [{ code: o.code, severity: 'error', message: o.message }];
  } catch (e) {
    // The editor still shows the file when the analysis fails; the failure is logged and shown.
    send({ id: req.id, kind: 'log', message: `analysis failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
    extra = [{ code: 'analysis-failed', severity: 'warning', message: 'The model analysis failed on this file; the tree shows tensor names only (details in the Checkpoint Lens output channel).' }];
  }
  let model = buildViewModel(doc, overlay);
  if (extra.length) model = { ...model, findings: [...extra, ...model.findings] };
  return { ok: true, model, findings: model.findings, millis: performance.now() - t0 };
}

async function stats(req: Extract<WorkerRequest, { op: 'stats' }>): Promise<StatsOutcome> {
  const ckpt = opened.get(req.key);
  if (!ckpt) return { ok: false, code: 'not-open', message: 'The checkpoint is not open any more; reopen it.' };
  const t = ckpt.tensors.find((x) => x.name === req.name);
  if (!t) return { ok: false, code: 'tensor-not-found', message: 'This tensor has no readable data in the file (missing or unreadable).' };
  let last = 0;
  const s = await tensorStats(t, {
    bins: 64,
    onProgress: (done) => {
      const f = t.byteLength ? done / t.byteLength : 1;
      if (f - last >= 0.05) {
        last = f;
        send({ id: req.id, kind: 'progress', fraction: Math.min(1, f) });
      }
    },
  });
  return { ok: true, stats: { name: s.name, count: s.count, min: s.min, max: s.max, mean: s.mean, std: s.std, nan: s.nan, posInf: s.posInf, negInf: s.negInf, zeros: s.zeros, histogram: s.histogram } };
}

port.on('message', async (req: WorkerRequest) => {
  try {
    switch (req.op) {
      case 'open':
        send({ id: req.id, kind: 'done', result: await open(req) });
        return;
      case 'stats':
        send({ id: req.id, kind: 'done', result: await stats(req) });
        return;
      case 'close':
        opened.delete(req.key);
        send({ id: req.id, kind: 'done', result: null });
        return;
    }
  } catch (e) {
    const code = e instanceof CheckpointLensError ? e.code : 'internal-error';
    const message = e instanceof Error ? e.message : String(e);
    send({ id: req.id, kind: 'done', result: { ok: false, code, message } });
  }
});
