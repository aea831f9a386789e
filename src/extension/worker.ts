/**
 * Worker thread of the extension: opens checkpoints (header read + analysis) and computes tensor
 * statistics, so a 100,000-tensor header or a 1 GB tensor never blocks the extension host.
 * Keeps each opened Checkpoint by editor key so statistics can read the tensors later.
 */
import { parentPort } from 'node:worker_threads';
import type { Checkpoint } from '../core/checkpoint.js';
import { inspectDocument } from '../core/summary.js';
import { openCheckpoint } from '../formats/open.js';
import { tensorStatsParallel } from '../stats/parallelStats.js';
import { analysisOverlay } from './analysisOverlay.js';
import { checkingHeader, overlayChangesTree, viewModelHeader, viewRoots, type AnalysisOverlay } from './viewModel.js';
import { MAX_FINDING_TENSORS, MAX_PREVIEW_VALUES, type Finding, type NonFinite, type RowsAnswer } from '../shared/protocol.js';
import { TreeSession } from '../shared/treeRows.js';
import { tensorValues } from '../core/tensorValues.js';
import { understandGguf } from '../formats/gguf/understand.js';
import type { OpenOutcome, StatsOutcome, ValuesOutcome, WorkerRequest, WorkerResponse } from './workerProtocol.js';
import { CheckpointLensError } from '../core/result.js';
import { compareCheckpoints } from '../compare/compare.js';
import { renderCompareMarkdown } from '../compare/render/markdown.js';
import { pairDiffHistogram } from '../compare/histogram.js';
import { runProbe } from '../probe/probe.js';
import { clapProbeRefusal } from '../layouts/clap.js';
import { toCompareView, toProbeView } from './jobViewBuilders.js';
import type { CompareOutcome, HistogramOutcome, ProbeOutcome } from './workerProtocol.js';
import { convertCheckpoint } from '../convert/convert.js';
import type { ConvertOutcome } from './workerProtocol.js';

import { useTokenFromHost } from '../remote/tokenChannel.js';
import { withRemoteContext } from '../remote/http.js';
import { clearRemoteSources } from '../remote/source.js';
import { clearHubMemo } from '../remote/hub.js';

// Hub requests get the editor's SecretStorage token from the host (HF_TOKEN / token file otherwise);
// when it changes, what this worker read with the old one (a gated refusal included) is forgotten.
const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');
// The host answers from SecretStorage; right after a token is set it is busy reloading editors, so
// a short wait would send a request without the token and the editor would stay "gated".
const hostToken = useTokenFromHost(
  10_000,
  () => {
    clearRemoteSources();
    clearHubMemo();
  },
  (ms) => port.postMessage({ id: -1, kind: 'log', message: `the editor did not answer the Hugging Face token question within ${ms} ms; reading without its token` } satisfies WorkerResponse),
);
const opened = new Map<string, Checkpoint>();
const send = (m: WorkerResponse) => port.postMessage(m);
/** Abort controllers of the running long jobs (probe, compare, histogram), by request id. */
const running = new Map<number, AbortController>();
/** Both sides of each comparison, kept for the per-pair histograms of its panel. */
const compared = new Map<string, { a: Checkpoint; b: Checkpoint }>();
const CANCELLED = { ok: false, code: 'cancelled', message: 'Cancelled.' } as const;
const cancelledEarly = new Set<number>();

/** Runs a cancellable job: an abort (from a `cancel` request) answers `cancelled`. */
async function cancellable<T>(id: number, job: (signal: AbortSignal) => Promise<T>): Promise<T | typeof CANCELLED> {
  // A Cancel can reach the worker before its request starts (both queued): honour it.
  if (cancelledEarly.delete(id)) return CANCELLED;
  const ac = new AbortController();
  running.set(id, ac);
  try {
    // Remote (Hub/HTTP) requests made by the job are cancelled with it.
    return await withRemoteContext({ signal: ac.signal }, () => job(ac.signal));
  } catch (e) {
    if (ac.signal.aborted) return CANCELLED;
    throw e;
  } finally {
    running.delete(id);
  }
}

/** Progress messages are throttled: ORT batches and compare chunks can report very often. */
function progressSender(id: number): (fraction: number, message: string) => void {
  let last = 0;
  let lastMessage = '';
  return (fraction, message) => {
    const now = performance.now();
    if (message === lastMessage && now - last < 200) return;
    last = now;
    lastMessage = message;
    send({ id, kind: 'progress', fraction: Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0)), message });
  };
}

const PHASE_SHARE = { build: [0, 0.3], session: [0.3, 0.4], images: [0.4, 0.5], run: [0.5, 1] } as const;

/** Registered for the whole request (opening included), so a Cancel during the open is not lost. */
async function probe(req: Extract<WorkerRequest, { op: 'probe' }>): Promise<ProbeOutcome> {
  return cancellable(req.id, (signal) => probeJob(req, signal));
}

async function probeJob(req: Extract<WorkerRequest, { op: 'probe' }>, signal: AbortSignal): Promise<ProbeOutcome> {
  const r = await openCheckpoint(req.path);
  signal.throwIfAborted();
  if (!r.ok) return { ok: false, code: r.error.code, message: r.error.message };
  // CLAP (an audio tower instead of the image tower): refused before anything is built.
  const clap = clapProbeRefusal(r.value.tensors.map((t) => t.name));
  if (clap) return { ok: false, code: clap.code, message: clap.message };
  const progress = progressSender(req.id);
  const o = req.options;
  const out = await (
    runProbe(
      r.value,
      {
        ...(o.providerOrder.length ? { providerOrder: o.providerOrder } : {}),
        ...(o.tokenizer ? { tokenizer: o.tokenizer } : {}),
        ...(o.threads ? { threads: o.threads } : {}),
        ...(o.target ? { target: o.target } : {}),
        ...(o.images ? { images: { dir: o.images.dir, ...(o.images.labelsFile ? { labelsFile: o.images.labelsFile } : {}) } } : {}),
      },
      {
        signal,
        onProgress: (p) => {
          const [lo, hi] = PHASE_SHARE[p.phase] ?? [0, 1];
          progress(lo + (hi - lo) * (p.total ? p.done / p.total : 0), p.message);
        },
      },
    )
  );
  if (!out.ok) return { ok: false, code: out.error.code, message: out.error.message };
  const title = req.path.split(/[\\/]/).pop() ?? req.path;
  return { ok: true, probe: toProbeView(out.report, title) };
}

async function compare(req: Extract<WorkerRequest, { op: 'compare' }>): Promise<CompareOutcome> {
  compared.delete(req.key);
  return cancellable(req.id, (signal) => compareJob(req, signal));
}

async function compareJob(req: Extract<WorkerRequest, { op: 'compare' }>, signal: AbortSignal): Promise<CompareOutcome> {
  const [ra, rb] = await Promise.all([openCheckpoint(req.a), openCheckpoint(req.b)]);
  signal.throwIfAborted();
  if (!ra.ok) return { ok: false, code: ra.error.code, message: `A (${req.labels.a}): ${ra.error.message}` };
  if (!rb.ok) return { ok: false, code: rb.error.code, message: `B (${req.labels.b}): ${rb.error.message}` };
  const progress = progressSender(req.id);
  const out = await compareCheckpoints(ra.value, rb.value, { map: 'auto' }, {
    signal,
    onProgress: (p) => progress(p.bytesTotal ? p.bytesDone / p.bytesTotal : p.pairsTotal ? p.pairsDone / p.pairsTotal : 0, `${p.pairsDone} / ${p.pairsTotal} pairs`),
  });
  compared.set(req.key, { a: ra.value, b: rb.value });
  return { ok: true, view: toCompareView(out, req.labels), markdown: renderCompareMarkdown(out) };
}

async function diffHistogram(req: Extract<WorkerRequest, { op: 'diffHistogram' }>): Promise<HistogramOutcome> {
  const c = compared.get(req.key);
  if (!c) return { ok: false, code: 'not-open', message: 'The comparison is not loaded any more; run it again.' };
  const out = await cancellable(req.id, (signal) => pairDiffHistogram(c.a, c.b, req.pairKey, { bins: 64, map: 'auto', signal }));
  if ('code' in out) return out;
  if (!out.ok) return { ok: false, code: out.error.code, message: out.error.message };
  const hgm = out.value;
  return { ok: true, histogram: { key: hgm.key, edges: hgm.edges, counts: hgm.counts, maxAbs: hgm.maxAbs, count: hgm.count, nonFinite: hgm.nonFinite } };
}

/** `convert` (src/convert): streamed, atomic, verified; a Cancel removes the temporary file. */
async function convert(req: Extract<WorkerRequest, { op: 'convert' }>): Promise<ConvertOutcome> {
  const progress = progressSender(req.id);
  return cancellable(req.id, async (signal) => {
    const r = await convertCheckpoint(req.options, { signal, onProgress: (p) => progress(p.bytesTotal ? p.bytesDone / p.bytesTotal : 0, `${p.tensorsDone} / ${p.tensorsTotal} tensors`) });
    return r.ok ? { ok: true, report: r.report } : { ok: false, error: r.error };
  });
}

/** The trees of the opened models: the webview asks for windows of rows (never the whole tree crosses a thread). */
const trees = new Map<string, TreeSession>();

/** Rows sent with a model, so the first screen needs no round trip (more than a tall window shows). */
const FIRST_WINDOW = 160;

function firstWindow(s: TreeSession): RowsAnswer {
  return s.handle(0, { kind: 'rows' }, 0, FIRST_WINDOW, -1);
}

/**
 * Opens a checkpoint in two steps. As soon as the header is read: the first screen (summary, the
 * file's integrity problems, the plain name tree and its first rows, "checking…") goes out as a
 * `partial` answer. Then the analysis runs; its answer is the final model. When the analysis
 * changes no row (no towers, marks or ghost rows), the tree of the first screen stays
 * (`keepTree`): the user's scrolling, expansion and filter are kept.
 */
/** The newest open request of each editor: opens of one editor may finish out of order (two quick reloads of a remote file). */
const newestOpen = new Map<string, number>();
const SUPERSEDED = { ok: false, code: 'cancelled', message: 'Superseded by a newer open of the same editor.' } as const;

async function open(req: Extract<WorkerRequest, { op: 'open' }>): Promise<OpenOutcome> {
  const t0 = performance.now();
  newestOpen.set(req.key, req.id);
  const superseded = () => newestOpen.get(req.key) !== req.id;
  const r = await openCheckpoint(req.path);
  // An older open finishing after a newer one must not replace its tree (the newer one would then
  // answer "superseded" and the editor would show the older one's answer or none).
  if (superseded()) return SUPERSEDED;
  if (!r.ok) {
    opened.delete(req.key);
    trees.delete(req.key);
    return { ok: false, code: r.error.code, message: r.error.message };
  }
  opened.set(req.key, r.value);
  const doc = inspectDocument(r.value);
  const first = new TreeSession({ ...checkingHeader(doc), roots: viewRoots(doc, null) });
  trees.set(req.key, first);
  send({ id: req.id, kind: 'partial', result: { model: first.header, rows: firstWindow(first), millis: performance.now() - t0 } });
  // Row requests for the first screen that came meanwhile are answered before the analysis starts.
  await new Promise((resolve) => setImmediate(resolve));
  let overlay: AnalysisOverlay | null = null;
  let extra: Finding[] = [];
  try {
    if (r.value.format === 'gguf' || r.value.format === 'gguf-split') {
      // GGUF: its own understanding (llama-style layout, mmproj checks) instead of the CLIP analysis.
      const g = await understandGguf(r.value);
      extra = g.findings.map((f) => ({ code: f.code, severity: f.severity, message: f.message, ...(f.tensors ? { tensors: f.tensors.slice(0, MAX_FINDING_TENSORS), tensorCount: f.tensors.length } : {}) }));
    } else {
      const o = await analysisOverlay(r.value, req.options);
      if (o.ok) overlay = o.overlay;
      // A bad target must not hide the file: show the tree and say why there is no comparison.
      else extra = [{ code: o.code, severity: 'error', message: o.message }];
    }
  } catch (e) {
    // The editor still shows the file when the analysis fails; the failure is logged and shown.
    send({ id: req.id, kind: 'log', message: `analysis failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}` });
    extra = [{ code: 'analysis-failed', severity: 'warning', message: 'The model analysis failed on this file; the tree shows tensor names only (details in the Checkpoint Lens output channel).' }];
  }
  let header = viewModelHeader(doc, overlay);
  if (extra.length) header = { ...header, findings: [...extra, ...header.findings] };
  // The file was closed or reopened meanwhile: this answer is not shown (the newer open answers).
  if (superseded()) return SUPERSEDED;
  if (!overlayChangesTree(overlay)) return { ok: true, model: first.setHeader(header), findings: header.findings, millis: performance.now() - t0, keepTree: true };
  const s = new TreeSession({ ...header, roots: viewRoots(doc, overlay) });
  trees.set(req.key, s);
  return { ok: true, model: s.header, findings: header.findings, millis: performance.now() - t0, rows: firstWindow(s) };
}

async function stats(req: Extract<WorkerRequest, { op: 'stats' }>): Promise<StatsOutcome> {
  const ckpt = opened.get(req.key);
  if (!ckpt) return { ok: false, code: 'not-open', message: 'The checkpoint is not open any more; reopen it.' };
  const t = ckpt.tensors.find((x) => x.name === req.name);
  if (!t) return { ok: false, code: 'tensor-not-found', message: 'This tensor has no readable data in the file (missing or unreadable).' };
  let last = 0;
  // Large tensors are split across worker threads (falls back to this thread when they cannot start).
  const s = await tensorStatsParallel(t, {
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

/** The first values of a tensor (the details pane): reads only the bytes or quantised blocks that hold them. */
async function values(req: Extract<WorkerRequest, { op: 'values' }>): Promise<ValuesOutcome> {
  const ckpt = opened.get(req.key);
  if (!ckpt) return { ok: false, code: 'not-open', message: 'The checkpoint is not open any more; reopen it.' };
  const t = ckpt.tensors.find((x) => x.name === req.name);
  if (!t) return { ok: false, code: 'tensor-not-found', message: 'This tensor has no readable data in the file (missing or unreadable).' };
  // Decoding errors (an undecodable GGUF type, a truncated file) are CheckpointLensErrors: the handler answers their code.
  const r = await tensorValues(t, 0, Math.max(0, Math.min(MAX_PREVIEW_VALUES, Math.floor(req.count))));
  return { ok: true, values: { name: t.name, dtype: r.dtype, dequantized: t.encoding !== undefined, elementCount: t.elementCount, values: r.values as (number | NonFinite)[] } };
}

port.on('message', async (req: WorkerRequest) => {
  hostToken.seeEpoch(req.tokenEpoch);
  try {
    switch (req.op) {
      case 'open':
        send({ id: req.id, kind: 'done', result: await open(req) });
        return;
      case 'stats':
        send({ id: req.id, kind: 'done', result: await stats(req) });
        return;
      case 'values':
        send({ id: req.id, kind: 'done', result: await values(req) });
        return;
      case 'tree':
        send({ id: req.id, kind: 'done', result: trees.get(req.key)?.handle(req.requestId, req.treeOp, req.start, req.end, req.selected) ?? null });
        return;
      case 'close':
        newestOpen.delete(req.key);
        opened.delete(req.key);
        trees.delete(req.key);
        compared.delete(req.key);
        send({ id: req.id, kind: 'done', result: null });
        return;
      case 'probe':
        send({ id: req.id, kind: 'done', result: await probe(req) });
        return;
      case 'compare':
        send({ id: req.id, kind: 'done', result: await compare(req) });
        return;
      case 'diffHistogram':
        send({ id: req.id, kind: 'done', result: await diffHistogram(req) });
        return;
      case 'convert':
        send({ id: req.id, kind: 'done', result: await convert(req) });
        return;
      case 'cancel': {
        const ac = running.get(req.target);
        if (ac) ac.abort();
        else if (cancelledEarly.size < 1000) cancelledEarly.add(req.target);
        send({ id: req.id, kind: 'done', result: null });
        return;
      }
    }
  } catch (e) {
    const code = e instanceof CheckpointLensError ? e.code : 'internal-error';
    const message = e instanceof Error ? e.message : String(e);
    send({ id: req.id, kind: 'done', result: { ok: false, code, message } });
  }
});
