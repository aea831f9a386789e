/**
 * The comparison panel: runs `compareCheckpoints` in a worker of its own (kept while the panel
 * is open, for per-pair histograms), with a cancellable progress notification, and renders the
 * report with the editor's webview bundle (`compare` messages).
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { CompareState } from '../shared/jobViews.js';
import { parseWebviewMessage, type HostMessage } from '../shared/protocol.js';
import { makeNonce, webviewHtml } from './html.js';
import { WorkerClient } from './workerClient.js';

export const COMPARE_VIEW_TYPE = 'checkpointLens.compare';
const CANCEL_GRACE_MS = 5_000;

export interface CompareSide {
  readonly path: string;
  /** What the user calls it: a workspace-relative path, or `HEAD:path`. */
  readonly label: string;
}

/** Plain-language help for opening errors users can fix. */
export function explainCompareError(code: string, message: string): string {
  // The reader already says "run git lfs pull"; for HEAD the object must be in the local LFS store.
  if (code === 'git-lfs-pointer' && message.startsWith('A (HEAD:'))
    return `${message} HEAD stores this file in Git LFS; Checkpoint Lens smudges it with git-lfs when git-lfs is installed and the object has been fetched (\`git lfs fetch\`).`;
  return message;
}

let nextKey = 1;

export class ComparePanels {
  /** Open panels and their last state (for the in-host tests). */
  readonly panels = new Set<{ title: string; state: CompareState }>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly workerScript: string,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  /** Compares A and B in a new panel; resolves with the final state. `cleanup` runs when the panel closes. */
  async compare(a: CompareSide, b: CompareSide, cleanup?: () => Promise<void>): Promise<CompareState> {
    const title = `${a.label} ↔ ${b.label}`;
    const ext = this.context.extensionUri;
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, `Compare: ${title}`, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(ext, 'dist'), vscode.Uri.joinPath(ext, 'media')],
    });
    const webview = panel.webview;
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'editor.css')).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    const client = new WorkerClient(this.workerScript, (line) => this.log.info(`[compare] ${line}`));
    const key = `cmp${nextKey++}`;
    const entry: { title: string; state: CompareState } = { title, state: { kind: 'running', title, message: 'opening both files', fraction: 0 } };
    this.panels.add(entry);
    const post = (m: HostMessage) => void webview.postMessage(m);
    const set = (state: CompareState) => {
      entry.state = state;
      post({ type: 'compare', state });
    };
    let closed = false;
    let markdown = '';
    let cancel: () => void = () => {};
    panel.onDidDispose(() => {
      closed = true;
      cancel();
      this.panels.delete(entry);
      client.dispose();
      void cleanup?.().catch(() => undefined);
    });
    webview.onDidReceiveMessage(async (raw) => {
      const m = parseWebviewMessage(raw);
      if (!m) return this.log.warn('ignored a malformed message from the comparison view');
      if (m.type === 'ready') return post({ type: 'compare', state: entry.state });
      if (m.type === 'runCommand' && m.command === 'copyMarkdown') {
        if (!markdown) return;
        await vscode.env.clipboard.writeText(markdown);
        vscode.window.setStatusBarMessage('Copied the comparison as Markdown', 2000);
        return;
      }
      if (m.type === 'requestDiffHistogram') {
        const r = await client.diffHistogram(key, m.key).result;
        post(r.ok ? { type: 'diffHistogram', requestId: m.requestId, histogram: r.histogram } : { type: 'diffHistogramError', requestId: m.requestId, code: r.code, message: r.message });
      }
    });

    const started = Date.now();
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    const state = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Comparing ${title}`, cancellable: true }, async (progress, token) => {
      let reported = 0;
      const job = client.compare(key, a.path, b.path, { a: a.label, b: b.label }, (fraction, message) => {
        const f = Math.max(reported, fraction);
        progress.report({ message: message ?? '', increment: (f - reported) * 100 });
        reported = f;
        set({ kind: 'running', title, message: message ?? '', fraction: f });
      });
      cancel = () => {
        if (cancelled) return;
        cancelled = true;
        job.cancel();
        killTimer = setTimeout(() => client.dispose(), CANCEL_GRACE_MS);
      };
      token.onCancellationRequested(cancel);
      const out = await job.result;
      clearTimeout(killTimer);
      if (out.ok) {
        markdown = out.markdown;
        return { kind: 'done', view: out.view } as const;
      }
      if (cancelled) return { kind: 'cancelled', title } as const;
      return { kind: 'error', title, code: out.code, message: explainCompareError(out.code, out.message) } as const;
    });
    if (!closed) set(state);
    else entry.state = state;
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (state.kind === 'done') this.log.info(`compare ${title}: ${state.view.equivalent ? 'equivalent' : 'different'}, ${state.view.counts.matched} pairs, ${secs} s`);
    else if (state.kind === 'error') {
      this.log.warn(`compare ${title}: ${state.code}: ${state.message}`);
      void vscode.window.showErrorMessage(`Checkpoint Lens: cannot compare (${state.code}): ${state.message}`);
    }
    return state;
  }
}
