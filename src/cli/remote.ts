import { CheckpointLensError } from '../core/result.js';
import { setRemoteWarningListener, withRemoteContext, remoteStats } from '../remote/http.js';
import { formatBytes, progressDone, progressLine, safeText, showProgress, writeError } from './output.js';

/**
 * CLI glue for URLs: remote warnings go to stderr, long fetches show progress (TTY only), Ctrl-C
 * cancels in-flight requests, and a remote failure that escapes a command prints its stable code.
 */
export async function withCliRemote(run: () => Promise<number>): Promise<number> {
  setRemoteWarningListener((code, message) => process.stderr.write(`checkpoint-lens: warning: ${code}: ${safeText(message)}\n`));
  const ctl = new AbortController();
  const onInt = () => {
    if (ctl.signal.aborted) process.exit(130);
    ctl.abort();
  };
  process.once('SIGINT', onInt);
  const onProgress = showProgress() ? (p: { url: string; received: number; total: number }) => progressLine(`fetching ${p.url.split('/').pop()} ${formatBytes(p.received)} / ${formatBytes(p.total)}`) : undefined;
  try {
    return await withRemoteContext({ signal: ctl.signal, ...(onProgress ? { onProgress } : {}) }, run);
  } catch (e) {
    if (!(e instanceof CheckpointLensError) || !e.code.startsWith('remote-')) throw e;
    progressDone();
    writeError(`${e.code}: ${e.message}`);
    return 2;
  } finally {
    process.removeListener('SIGINT', onInt);
    if (process.env.CHECKPOINT_LENS_NET_STATS === '1') process.stderr.write(`checkpoint-lens: network: ${remoteStats.requests} requests, ${remoteStats.bytesReceived} bytes received, ${remoteStats.retries} retries\n`);
  }
}
