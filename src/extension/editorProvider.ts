/**
 * The custom readonly editor: one webview per checkpoint, fed by the worker thread.
 * Glue only — reading, analysis and view-model building happen in the worker.
 */
import { plural } from '../shared/text.js';
import { randomBytes } from 'node:crypto';
import { basename, dirname } from 'node:path';
import * as vscode from 'vscode';
import { parseWebviewMessage, PREVIEW_VALUES, type Finding, type HostMessage, type RowsAnswer, type ViewHeader, type WebviewCommand } from '../shared/protocol.js';
import type { ProbeState, ProbeView } from '../shared/jobViews.js';
import { failureState } from './failure.js';
import { forEditor } from './editorWording.js';
import { codeTarget, SHOW_CODE_COMMAND, withCodeHelp } from './codeLinks.js';
import { findingsMarkdown } from './findingsMarkdown.js';
import { probeMarkdown } from './probeMarkdown.js';
import { diagnosticText } from './diagnosticText.js';
import { makeNonce, webviewHtml } from './html.js';
import { readSettings } from './settings.js';
import { isTargetSyntax } from './targets.js';
import { checkpointPathOf } from './hubCommands.js';
import type { WorkerClient } from './workerClient.js';

export const VIEW_TYPE = 'checkpointLens.editor';
/** How long the checked model may take before the first screen ("checking…") is shown instead. */
const FIRST_SCREEN_WAIT_MS = 120;
/**
 * From this many tensors on, the first screen is shown as soon as it comes: the analysis of such a
 * file takes far longer than FIRST_SCREEN_WAIT_MS (0.3 s and more for 100,000 tensors), so waiting
 * would only delay the first rows.
 */
const FIRST_SCREEN_NOW_TENSORS = 20_000;
export const PYTORCH_VIEW_TYPE = 'checkpointLens.editor.pytorch';

type DocState =
  | { readonly kind: 'loading'; readonly reason: 'open' | 'reload' }
  /**
   * The first screen, while the analysis runs (`model.checking` set: the integrity problems only).
   * The tree is the worker's and answers row requests already.
   */
  | { readonly kind: 'checking'; readonly model: ViewHeader; readonly millis: number }
  /** The model without its tree: the worker keeps the tree and answers the webview's row requests. */
  | { readonly kind: 'ready'; readonly model: ViewHeader; readonly millis: number }
  | { readonly kind: 'failed'; readonly message: Extract<HostMessage, { type: 'failure' }> };

let nextKey = 1;

export class CheckpointDocument implements vscode.CustomDocument {
  readonly key = `doc${nextKey++}`;
  state: DocState = { kind: 'loading', reason: 'open' };
  /** Counts loads: the answers of a load that a newer one replaced are dropped. */
  loadId = 0;
  /**
   * The first window of the tree shown, while no tree operation has changed it: a webview that
   * (re)starts gets it with the model, so its first screen needs no row request (the worker may
   * be busy with the analysis).
   */
  firstRows: RowsAnswer | null = null;
  /** Whether the webview was sent the first screen ("checking…") of the current load. */
  checkingShown = false;
  /** When the editor was opened (performance.now()): the log says when its webview and model came. */
  shownAt = 0;
  /** Per-editor target chosen with `Set Load Target…`; null → the setting. */
  target: string | null = null;
  panel: vscode.WebviewPanel | null = null;
  /** Last zero-shot probe state shown in this editor (replayed when the webview is recreated). */
  probe: ProbeState | null = null;
  /** Full name of the row selected in the tree (reported by the webview), or null. */
  selected: string | null = null;
  /** A tensor to select once the webview shows the model (it may be re-created when revealed). */
  revealPending: string | null = null;
  /** The last finished probe report (kept through a cancelled re-run, for Copy as Markdown). */
  lastProbeReport: ProbeView | null = null;
  /** The probe set chosen with `Run Zero-Shot Probe on My Images…` (null = the built-in set); Run again keeps it. */
  probeImages: { readonly dir: string; readonly labelsFile: string | null } | null = null;
  /** The running probe, if any. */
  probeJob: { cancel(): void } | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly onDisposeEmitter = new vscode.EventEmitter<void>();
  readonly onDidDispose = this.onDisposeEmitter.event;

  constructor(readonly uri: vscode.Uri) {}

  track(d: vscode.Disposable): void {
    this.disposables.push(d);
  }

  dispose(): void {
    this.onDisposeEmitter.fire();
    for (const d of this.disposables.splice(0)) d.dispose();
    this.onDisposeEmitter.dispose();
  }
}

export interface EditorServices {
  readonly context: vscode.ExtensionContext;
  readonly worker: WorkerClient;
  readonly log: vscode.LogOutputChannel;
  readonly diagnostics: vscode.DiagnosticCollection;
  /** Called whenever the active checkpoint editor or its state changes. */
  readonly onActiveChanged: (doc: CheckpointDocument | null) => void;
}

const SEVERITY: Record<Finding['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** One line per finding in the Problems panel; the detail under it (related information); the code is a link. */
export function findingDiagnostic(f: Finding, doc?: vscode.Uri): vscode.Diagnostic {
  const text = diagnosticText(f);
  const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), text.summary, SEVERITY[f.severity]);
  if (doc && text.details.length) d.relatedInformation = text.details.map((line) => new vscode.DiagnosticRelatedInformation(new vscode.Location(doc, new vscode.Range(0, 0, 0, 0)), line));
  // The code is a link: reveal the editor, select the tensor concerned, open the code's docs entry.
  d.code = doc ? { value: f.code, target: codeTarget(doc, f.code, f.tensors?.[0] ?? null) } : f.code;
  d.source = 'Checkpoint Lens';
  return d;
}

export class CheckpointEditorProvider implements vscode.CustomReadonlyEditorProvider<CheckpointDocument> {
  readonly documents = new Set<CheckpointDocument>();
  active: CheckpointDocument | null = null;

  constructor(private readonly s: EditorServices) {}

  openCustomDocument(uri: vscode.Uri): CheckpointDocument {
    const doc = new CheckpointDocument(uri);
    doc.shownAt = performance.now();
    this.documents.add(doc);
    doc.onDidDispose(() => {
      this.documents.delete(doc);
      this.s.diagnostics.delete(doc.uri);
      this.s.worker.close(doc.key);
      if (this.active === doc) this.setActive(null);
    });
    // The read starts now, while VS Code creates the webview (one editor per document): the
    // worker reads the header in parallel with the webview's start instead of after it.
    this.startLoad(doc);
    return doc;
  }

  private startLoad(doc: CheckpointDocument): void {
    void this.load(doc, 'open').catch((e: unknown) => this.s.log.error(`${doc.uri.fsPath}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
  }

  async resolveCustomEditor(doc: CheckpointDocument, panel: vscode.WebviewPanel): Promise<void> {
    doc.panel = panel;
    const ext = this.s.context.extensionUri;
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(ext, 'dist'), vscode.Uri.joinPath(ext, 'media')] };
    webview.html = webviewHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'dist', 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(ext, 'media', 'editor.css')).toString(),
      nonce: makeNonce((n) => randomBytes(n)),
    });
    doc.track(webview.onDidReceiveMessage((raw) => void this.onMessage(doc, raw)));
    doc.track(
      panel.onDidChangeViewState(() => {
        if (panel.active) this.setActive(doc);
        else if (this.active === doc) this.setActive(null);
      }),
    );
    doc.track(panel.onDidDispose(() => (doc.panel = null)));
    this.watch(doc);
    if (panel.active) this.setActive(doc);
    // The load began in openCustomDocument and is not awaited: VS Code shows the webview only
    // once this method resolves. The webview says "Reading…" and, when it says `ready`, gets
    // the state reached so far (replay), then the first screen and the checked model as they
    // come. A document whose load never began (not expected) starts it here.
    if (doc.loadId === 0) this.startLoad(doc);
  }

  /** Re-reads the checkpoint (file changed, target changed). */
  async load(doc: CheckpointDocument, reason: 'open' | 'reload'): Promise<void> {
    const title = basename(doc.uri.fsPath);
    const loadId = ++doc.loadId;
    const current = () => this.documents.has(doc) && doc.loadId === loadId;
    doc.state = { kind: 'loading', reason };
    doc.firstRows = null;
    this.post(doc, { type: 'loading', title, reason });
    // A local file, or a Hub/HTTP file (checkpoint-lens-hub: URI) read by ranges.
    const path = checkpointPathOf(doc.uri);
    if (path === undefined) {
      this.fail(doc, { type: 'failure', state: 'unreadable', title, code: 'not-a-local-file', message: 'Checkpoint Lens reads local files only; this file lives in a virtual file system.' });
      return;
    }
    const settings = readSettings();
    const target = doc.target ?? settings.defaultTarget;
    // The first screen (header, integrity problems, first rows) comes before the analysis — shown
    // only when the analysis takes longer than FIRST_SCREEN_WAIT_MS, so a small file is painted
    // once, checked, instead of flashing "checking…" and the plain tree.
    let firstScreenTimer: NodeJS.Timeout | undefined;
    doc.checkingShown = false;
    const outcome = await this.s.worker.open(doc.key, path, { target: isTargetSyntax(target) ? target : 'auto', valueCheckBudgetBytes: settings.valueCheckBudgetBytes }, (p) => {
      if (!current() || doc.state.kind !== 'loading') return;
      doc.state = { kind: 'checking', model: withCodeHelp(p.model), millis: p.millis };
      doc.firstRows = p.rows;
      this.s.log.info(`${basename(doc.uri.fsPath)}: first screen after ${p.millis.toFixed(0)} ms in the worker (${(performance.now() - doc.shownAt).toFixed(0)} ms after the editor opened); checking the model`);
      const wait = p.model.tensorCount >= FIRST_SCREEN_NOW_TENSORS ? 0 : FIRST_SCREEN_WAIT_MS;
      firstScreenTimer = setTimeout(() => {
        if (!current() || doc.state.kind !== 'checking') return;
        doc.checkingShown = true;
        this.post(doc, { type: 'model', model: doc.state.model, ...(doc.firstRows ? { rows: doc.firstRows } : {}) });
        if (this.active === doc) this.s.onActiveChanged(doc);
      }, wait);
    });
    clearTimeout(firstScreenTimer);
    if (!current()) return;
    if (!outcome.ok) {
      this.s.log.warn(`${doc.uri.fsPath}: ${outcome.code}: ${outcome.message}`);
      this.fail(doc, { type: 'failure', state: failureState(outcome.code), title, code: outcome.code, message: forEditor(outcome.message) });
      return;
    }
    this.s.log.info(`${doc.uri.fsPath}: ${outcome.model.tensorCount} tensors, ${plural(outcome.findings.length, 'finding')}, ${outcome.millis.toFixed(0)} ms in the worker`);
    // keepTree only where the webview shows the first screen's tree (posted, or replayed to it).
    const shown = doc.checkingShown;
    doc.state = { kind: 'ready', model: withCodeHelp(outcome.model), millis: outcome.millis };
    this.s.diagnostics.set(doc.uri, outcome.findings.map((f) => findingDiagnostic(f, doc.uri)));
    if (!outcome.keepTree) doc.firstRows = outcome.rows ?? null;
    this.post(doc, { type: 'model', model: doc.state.model, ...(outcome.rows ? { rows: outcome.rows } : {}), ...(outcome.keepTree && shown ? { keepTree: true } : {}) });
    if (this.active === doc) this.s.onActiveChanged(doc);
  }

  private fail(doc: CheckpointDocument, message: Extract<HostMessage, { type: 'failure' }>): void {
    doc.state = { kind: 'failed', message };
    const text = diagnosticText({ code: message.code, severity: 'error', message: message.message });
    const d = new vscode.Diagnostic(new vscode.Range(0, 0, 0, 0), text.summary, vscode.DiagnosticSeverity.Error);
    if (text.details.length) d.relatedInformation = text.details.map((line) => new vscode.DiagnosticRelatedInformation(new vscode.Location(doc.uri, new vscode.Range(0, 0, 0, 0)), line));
    d.code = { value: message.code, target: codeTarget(doc.uri, message.code, null) };
    d.source = 'Checkpoint Lens';
    this.s.diagnostics.set(doc.uri, [d]);
    this.post(doc, message);
    if (this.active === doc) this.s.onActiveChanged(doc);
  }

  private setActive(doc: CheckpointDocument | null): void {
    this.active = doc;
    this.s.onActiveChanged(doc);
  }

  post(doc: CheckpointDocument, m: HostMessage): void {
    void doc.panel?.webview.postMessage(m);
  }

  /** Sends the current state again (the webview was (re)created and said `ready`). */
  private replay(doc: CheckpointDocument): void {
    const title = basename(doc.uri.fsPath);
    const st = doc.state;
    if (st.kind === 'loading') this.post(doc, { type: 'loading', title, reason: st.reason });
    // With the first window while no tree operation changed it; else the webview asks for the rows it shows.
    else if (st.kind === 'ready' || st.kind === 'checking') {
      if (st.kind === 'checking') doc.checkingShown = true;
      this.post(doc, { type: 'model', model: st.model, ...(doc.firstRows ? { rows: doc.firstRows } : {}) });
    }
    else this.post(doc, st.message);
    if (doc.probe) this.post(doc, { type: 'probe', state: doc.probe });
    if (st.kind === 'ready' && doc.revealPending) this.post(doc, { type: 'reveal', name: doc.revealPending });
  }

  /** Selects `name` in the editor's tree now, or as soon as its webview shows the model. */
  reveal(doc: CheckpointDocument, name: string): void {
    doc.revealPending = name;
    this.post(doc, { type: 'reveal', name });
  }

  private async onMessage(doc: CheckpointDocument, raw: unknown): Promise<void> {
    const m = parseWebviewMessage(raw);
    if (!m) {
      this.s.log.warn('ignored a malformed message from the webview');
      return;
    }
    switch (m.type) {
      case 'ready':
        this.s.log.info(`${basename(doc.uri.fsPath)}: webview ready ${(performance.now() - doc.shownAt).toFixed(0)} ms after the editor opened (${doc.state.kind})`);
        this.replay(doc);
        return;
      case 'tree': {
        // The worker answers in request order, and so do we (the webview relies on it).
        if (doc.state.kind !== 'ready' && doc.state.kind !== 'checking') return;
        if (m.op.kind !== 'rows') doc.firstRows = null;
        const rows = await this.s.worker.tree(doc.key, m.requestId, m.op, m.start, m.end, m.selected);
        if (rows) this.post(doc, rows);
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(m.text);
        vscode.window.setStatusBarMessage(m.what === 'name' ? 'Copied tensor name' : 'Copied Python key access', 2000);
        return;
      case 'runCommand': {
        if (m.command === 'cancelProbe') {
          doc.probeJob?.cancel();
          return;
        }
        if (m.command === 'copyMarkdown') {
          if (doc.state.kind !== 'ready') return;
          await vscode.env.clipboard.writeText(findingsMarkdown(doc.state.model));
          vscode.window.setStatusBarMessage('Copied the findings as Markdown', 2000);
          return;
        }
        if (m.command === 'copyProbeMarkdown') {
          const report = doc.probe?.kind === 'done' ? doc.probe.probe : doc.lastProbeReport;
          if (!report) return;
          await vscode.env.clipboard.writeText(probeMarkdown(report));
          vscode.window.setStatusBarMessage('Copied the probe report as Markdown', 2000);
          return;
        }
        const ids: Record<Exclude<WebviewCommand, 'cancelProbe' | 'copyMarkdown' | 'copyProbeMarkdown'>, string> = { setLoadTarget: 'checkpointLens.setLoadTarget', showFindings: 'checkpointLens.showFindings', runProbe: 'checkpointLens.runProbe', runProbeWithImages: 'checkpointLens.runProbeWithImages', compareWith: 'checkpointLens.compareWith' };
        await vscode.commands.executeCommand(ids[m.command], ...(m.command === 'runProbe' || m.command === 'runProbeWithImages' || m.command === 'compareWith' ? [doc.uri] : []));
        return;
      }
      case 'requestDiffHistogram':
        return; // only the comparison panel answers these
      case 'selected':
        doc.selected = m.name;
        if (m.name === doc.revealPending) doc.revealPending = null;
        return;
      case 'openCode':
        await vscode.commands.executeCommand(SHOW_CODE_COMMAND, doc.uri.toString(), m.code, m.tensor);
        return;
      case 'requestValues': {
        const r = await this.s.worker.values(doc.key, m.name, PREVIEW_VALUES);
        this.post(doc, r.ok ? { type: 'values', requestId: m.requestId, values: r.values } : { type: 'valuesError', requestId: m.requestId, code: r.code, message: r.message });
        return;
      }
      case 'requestStats': {
        const r = await this.s.worker.stats(doc.key, m.name, (fraction) => this.post(doc, { type: 'statsProgress', requestId: m.requestId, fraction }));
        this.post(doc, r.ok ? { type: 'stats', requestId: m.requestId, stats: r.stats } : { type: 'statsError', requestId: m.requestId, code: r.code, message: r.message });
        return;
      }
    }
  }

  /**
   * Reloads when the file (or, for a sharded model, any file next to the index) changes — a
   * checkpoint being written by training fires many events, so reloads are debounced.
   */
  private watch(doc: CheckpointDocument): void {
    if (doc.uri.scheme !== 'file') return;
    const dir = vscode.Uri.file(dirname(doc.uri.fsPath));
    const name = basename(doc.uri.fsPath);
    const sharded = name.endsWith('.index.json');
    const pattern = new vscode.RelativePattern(dir, sharded ? '*.safetensors*' : name);
    const w = vscode.workspace.createFileSystemWatcher(pattern);
    let timer: NodeJS.Timeout | undefined;
    const schedule = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.load(doc, 'reload'), readSettings().reloadDebounceMs);
    };
    doc.track(w.onDidChange(schedule));
    doc.track(w.onDidCreate(schedule));
    doc.track(w.onDidDelete(schedule));
    doc.track(w);
    doc.track({ dispose: () => clearTimeout(timer) });
  }
}
