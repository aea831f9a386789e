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
  // Ctrl-C: cancel in-flight requests so the command reports remote-cancelled; a command with
  // nothing remote (or one that does not stop within 2 s) exits as before.
  const onInt = () => {
    ctl.abort();
    // A command with its own Ctrl-C handling (convert removes its temporary file, probe stops its
    // session) cleans up and exits with its own code: do not cut it short.
    if (process.listenerCount('SIGINT') > 0) return;
    if (remoteStats.requests === 0) process.exit(130);
    setTimeout(() => process.exit(130), 2000).unref();
  };
  process.once('SIGINT', onInt);
  const onProgress = showProgress() ? (p: { url: string; received: number; total: number }) => progressLine(`fetching ${p.url.split('/').pop()} ${formatBytes(p.received)} / ${formatBytes(p.total)}`) : undefined;
  // Many small requests (a 200-shard index, value samples) get a running count after a second.
  const started = Date.now();
  let shown = 0;
  let visible = false;
  const ticker = showProgress()
    ? setInterval(() => {
        if (Date.now() - started < 1000 || remoteStats.requests === shown) return;
        shown = remoteStats.requests;
        visible = true;
        progressLine(`remote: ${remoteStats.requests} requests, ${formatBytes(remoteStats.bytesReceived)}${remoteStats.retries ? `, ${remoteStats.retries} retries` : ''}`);
      }, 250)
    : undefined;
  ticker?.unref();
  // The count lives on stderr's last line: clear it before the command prints its result.
  const write = process.stdout.write;
  if (ticker) {
    process.stdout.write = function (this: NodeJS.WriteStream, ...a: unknown[]) {
      if (visible) {
        visible = false;
        progressDone();
      }
      return (write as (...x: unknown[]) => boolean).apply(this, a);
    } as typeof process.stdout.write;
  }
  try {
    return await withRemoteContext({ signal: ctl.signal, ...(onProgress ? { onProgress } : {}) }, run);
  } catch (e) {
    if (!(e instanceof CheckpointLensError) || !e.code.startsWith('remote-')) throw e;
    progressDone();
    writeError(`${e.code}: ${e.message}`);
    return 2;
  } finally {
    if (ticker) {
      clearInterval(ticker);
      process.stdout.write = write;
      if (visible) progressDone();
    }
    process.removeListener('SIGINT', onInt);
    if (process.env.CHECKPOINT_LENS_NET_STATS === '1') process.stderr.write(`checkpoint-lens: network: ${remoteStats.requests} requests, ${remoteStats.bytesReceived} bytes received, ${remoteStats.retries} retries\n`);
  }
}
