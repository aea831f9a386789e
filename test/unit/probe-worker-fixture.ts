// Runs runProbe inside a worker_thread (as the editor does) and posts the report back.
import { parentPort, workerData } from 'node:worker_threads';
import { openCheckpoint } from '../../src/formats/open.js';
import { runProbe } from '../../src/probe/probe.js';

async function main(): Promise<void> {
  const { path, cacheDir } = workerData as { path: string; cacheDir: string };
  const ck = await openCheckpoint(path);
  if (!ck.ok) throw new Error(ck.error.message);
  const r = await runProbe(ck.value, { provider: 'cpu', cacheDir }, { onProgress: (p) => parentPort!.postMessage({ progress: p.phase }) });
  parentPort!.postMessage({ result: r.ok ? { ok: true, verdict: r.report.verdict.code, provider: r.report.provider } : { ok: false, code: r.error.code } });
}

main().catch((e: unknown) => parentPort!.postMessage({ error: String(e) }));
