/**
 * Extension entry point: registers the custom editor, commands, diagnostics, status bar and
 * output channel. Everything that reads or understands checkpoints runs in the worker thread.
 */
import * as vscode from 'vscode';
import { CheckpointEditorProvider, PYTORCH_VIEW_TYPE, VIEW_TYPE, type CheckpointDocument } from './editorProvider.js';
import { explainLoadingLog, looksLikeLoadingLog, PASTE_HERE } from './loadingLog.js';
import { registerConvertCommands } from './convertCommand.js';
import { readSettings } from './settings.js';
import { isTargetSyntax, LOAD_TARGETS } from './targets.js';
import { WorkerClient } from './workerClient.js';
import { statusSummary } from './statusText.js';
import { plural } from '../shared/text.js';
import { loadCodeDocs, openCodeDocs, SHOW_CODE_COMMAND } from './codeLinks.js';
import { registerCancelProbeCommand, registerProbeCommand, registerProbeImagesCommand } from './probeCommand.js';
import { ComparePanels, type CompareSide } from './comparePanel.js';
import { headVersion } from './gitHead.js';
import { HUB_SCHEME, registerHubCommands } from './hubCommands.js';
import { registerOpenDemoCommand } from './demoCommand.js';
import type { CompareState, ProbeState } from '../shared/jobViews.js';

/** PyTorch files open in the PyTorch flavour of the editor (offered through "Open With…"). */
const isPyTorchPath = (p: string) => /\.(bin|pt|pth|ckpt)$/i.test(p) || /\.bin\.index\.json$/i.test(p);
const CHECKPOINT_FILTERS = { Checkpoints: ['safetensors', 'json', 'bin', 'pt', 'pth', 'ckpt', 'gguf'], 'All files': ['*'] };

/** Returned from `activate` so the in-host test suite can look at the editor's state. */
export interface CheckpointLensApi {
  readonly viewType: string;
  /** State of each open checkpoint editor. */
  editors(): { uri: string; state: CheckpointDocument['state']['kind']; findings: string[]; target: string | null; tensorCount: number | null; extras: string[]; selected: string | null; notChecked: string | null }[];
  /** Resolves when no open editor is loading any more (or after `timeoutMs`). */
  idle(timeoutMs?: number): Promise<boolean>;
  readonly statusBarText: () => string;
  /** Last zero-shot probe state of the editor of `uri`. */
  probeState(uri: string): ProbeState | null;
  /** Open comparison panels and their state. */
  comparisons(): { title: string; state: CompareState }[];
  /** What the webview of `uri` was given (its view model or failure message), as JSON. */
  modelText(uri: string): string | null;
  /** The lines written to the Checkpoint Lens output channel in this session (the last 2000). */
  logText(): string;
}

/** The output channel, keeping a copy of its recent lines for `logText()` (tests check what is logged). */
function recordingLog(channel: vscode.LogOutputChannel, lines: string[]): vscode.LogOutputChannel {
  const written = new Set(['trace', 'debug', 'info', 'warn', 'error', 'append', 'appendLine', 'replace']);
  return new Proxy(channel, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target) as unknown;
      if (typeof v !== 'function') return v;
      if (typeof prop !== 'string' || !written.has(prop)) return v.bind(target);
      return (...args: unknown[]) => {
        lines.push(args.map((a) => (a instanceof Error ? a.stack ?? a.message : String(a))).join(' '));
        if (lines.length > 2000) lines.splice(0, lines.length - 2000);
        return (v as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

export function activate(context: vscode.ExtensionContext): CheckpointLensApi {
  const logLines: string[] = [];
  const log = recordingLog(vscode.window.createOutputChannel('Checkpoint Lens', { log: true }), logLines);
  const diagnostics = vscode.languages.createDiagnosticCollection('checkpoint-lens');
  const status = vscode.window.createStatusBarItem('checkpointLens.status', vscode.StatusBarAlignment.Right, 100);
  status.name = 'Checkpoint Lens';
  status.command = 'checkpointLens.showFindings';
  const workerScript = vscode.Uri.joinPath(context.extensionUri, 'dist', 'worker.js').fsPath;
  const worker = new WorkerClient(workerScript, (line) => log.info(line));

  const updateStatus = (doc: CheckpointDocument | null) => {
    if (!doc) return status.hide();
    const st = doc.state;
    if (st.kind === 'loading') {
      status.text = '$(loading~spin) Checkpoint Lens';
      status.tooltip = 'Reading the checkpoint…';
    } else if (st.kind === 'checking') {
      status.text = '$(loading~spin) checking…';
      status.tooltip = `${plural(st.model.tensorCount, 'tensor')} read; ${st.model.checking ?? 'checking the model'}.`;
    } else if (st.kind === 'failed') {
      status.text = `$(error) ${st.message.state}`;
      status.tooltip = `${st.message.code}: ${st.message.message}`;
    } else {
      const sum = statusSummary(st.model);
      status.text = sum.text;
      status.tooltip = sum.tooltip;
    }
    status.show();
  };

  loadCodeDocs(context.extensionUri);
  const provider = new CheckpointEditorProvider({ context, worker, log, diagnostics, onActiveChanged: updateStatus });
  const activeDoc = (): CheckpointDocument | null => provider.active ?? (provider.documents.size === 1 ? [...provider.documents][0]! : null);
  const openEditor = async (uri: vscode.Uri) => {
    await vscode.commands.executeCommand('vscode.openWith', uri, isPyTorchPath(uri.path) ? PYTORCH_VIEW_TYPE : VIEW_TYPE);
  };
  const comparisons = new ComparePanels(context, workerScript, log);
  const sideOf = (uri: vscode.Uri): CompareSide => ({ path: uri.fsPath, label: vscode.workspace.asRelativePath(uri, false) });
  /** A URI from a command argument: explorer (Uri), SCM view (resource state), or the active editor. */
  const uriArg = (arg: unknown): vscode.Uri | undefined => {
    if (arg instanceof vscode.Uri) return arg;
    const r = (arg as { resourceUri?: unknown } | undefined)?.resourceUri;
    if (r instanceof vscode.Uri) return r;
    return activeDoc()?.uri;
  };
  /** The other open checkpoints first (most likely what is meant), then a file dialog. */
  const pickCompareTarget = async (a: vscode.Uri): Promise<vscode.Uri | undefined> => {
    const title = `Compare ${vscode.workspace.asRelativePath(a, false)} with…`;
    const dialog = async () => (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Compare', title, filters: CHECKPOINT_FILTERS }))?.[0];
    const open = [...provider.documents].filter((d) => d.uri.toString() !== a.toString() && d.uri.scheme === 'file');
    if (!open.length) return dialog();
    const items: (vscode.QuickPickItem & { uri?: vscode.Uri })[] = [
      ...open.map((d) => ({ label: `$(file-binary) ${vscode.workspace.asRelativePath(d.uri, false)}`, description: 'open in Checkpoint Lens', uri: d.uri })),
      { label: '', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(folder-opened) Choose a file…' },
    ];
    const pick = await vscode.window.showQuickPick(items, { title, placeHolder: 'An open checkpoint, or a file' });
    if (!pick) return undefined;
    return pick.uri ?? dialog();
  };
  const localOnly = (uris: vscode.Uri[]) => {
    const bad = uris.find((u) => u.scheme !== 'file');
    if (bad) void vscode.window.showErrorMessage('Checkpoint Lens: only local files can be compared.');
    return !bad;
  };

  context.subscriptions.push(
    log,
    diagnostics,
    status,
    { dispose: () => worker.dispose() },
    vscode.window.registerCustomEditorProvider(VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: false, webviewOptions: { retainContextWhenHidden: false } }),
    // Same editor, offered through "Open With…" for PyTorch files (read by a registered opener, never unpickled).
    vscode.window.registerCustomEditorProvider(PYTORCH_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: false, webviewOptions: { retainContextWhenHidden: false } }),

    vscode.commands.registerCommand('checkpointLens.inspect', async (arg?: vscode.Uri) => {
      let uri = arg instanceof vscode.Uri ? arg : undefined;
      if (!uri) {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Inspect', filters: CHECKPOINT_FILTERS });
        uri = picked?.[0];
      }
      if (uri) await openEditor(uri);
    }),

    ...registerHubCommands({ context, openEditor, compare: (a, b) => comparisons.compare(a, b), activeLocalUri: () => { const u = uriArg(undefined); return u?.scheme === 'file' ? u : undefined; }, reloadRemote: () => { for (const doc of provider.documents) if (doc.uri.scheme === HUB_SCHEME) void provider.load(doc, 'reload'); } }),
    registerProbeCommand({ provider, workerScript, log, openEditor }, activeDoc),
    registerProbeImagesCommand({ provider, workerScript, log, openEditor }, activeDoc),
    registerOpenDemoCommand(context),
    registerCancelProbeCommand({ provider, workerScript, log, openEditor }, activeDoc),

    vscode.commands.registerCommand('checkpointLens.compareWith', async (arg?: unknown, second?: unknown): Promise<CompareState | undefined> => {
      const a = uriArg(arg);
      if (!a) {
        void vscode.window.showWarningMessage('Checkpoint Lens: select a checkpoint (Explorer or an open Checkpoint Lens editor) to compare.');
        return undefined;
      }
      // A second URI (tests, other extensions) skips the file dialog.
      const b = second instanceof vscode.Uri ? second : await pickCompareTarget(a);
      if (!b || !localOnly([a, b])) return undefined;
      return comparisons.compare(sideOf(a), sideOf(b));
    }),

    vscode.commands.registerCommand('checkpointLens.compareSelected', async (arg?: unknown, selected?: unknown): Promise<CompareState | undefined> => {
      const uris = Array.isArray(selected) ? selected.filter((u): u is vscode.Uri => u instanceof vscode.Uri) : [];
      if (uris.length !== 2) {
        void vscode.window.showWarningMessage(`Checkpoint Lens: select exactly two checkpoints in the Explorer to compare (${uris.length || (arg ? 1 : 0)} selected).`);
        return undefined;
      }
      if (!localOnly(uris)) return undefined;
      return comparisons.compare(sideOf(uris[0]!), sideOf(uris[1]!));
    }),

    vscode.commands.registerCommand('checkpointLens.compareWithHead', async (arg?: unknown): Promise<CompareState | undefined> => {
      const uri = uriArg(arg);
      if (!uri || !localOnly([uri])) return undefined;
      const head = await headVersion(uri.fsPath);
      if (!head.ok) {
        void vscode.window.showErrorMessage(`Checkpoint Lens: cannot compare with HEAD (${head.code}): ${head.message}`);
        return { kind: 'error', title: `HEAD ↔ ${vscode.workspace.asRelativePath(uri, false)}`, code: head.code, message: head.message };
      }
      // HEAD is A (the reference), the working file is B: "what did my change do?".
      return comparisons.compare({ path: head.path, label: head.label }, sideOf(uri), head.dispose);
    }),

    vscode.commands.registerCommand('checkpointLens.showFindings', async () => {
      const doc = activeDoc();
      if (!doc || doc.state.kind !== 'ready') {
        await vscode.commands.executeCommand('workbench.actions.view.problems');
        return;
      }
      const findings = doc.state.model.findings;
      if (!findings.length) {
        void vscode.window.showInformationMessage('Checkpoint Lens: no findings for this checkpoint.');
        return;
      }
      const icon = { error: '$(error)', warning: '$(warning)', info: '$(info)' } as const;
      const pick = await vscode.window.showQuickPick(
        findings.map((f) => ({ label: `${icon[f.severity]} ${f.message}`, description: f.code, detail: f.consequence, finding: f })),
        { title: 'Checkpoint Lens: findings', matchOnDescription: true },
      );
      const first = pick?.finding.tensors?.[0];
      if (first) provider.reveal(doc, first);
    }),

    vscode.commands.registerCommand('checkpointLens.setLoadTarget', async (targetId?: string) => {
      const doc = activeDoc();
      let id = typeof targetId === 'string' ? targetId : undefined;
      if (!id) {
        const current = doc?.target ?? readSettings().defaultTarget;
        const pick = await vscode.window.showQuickPick(
          LOAD_TARGETS.map((t) => ({ label: t.label, detail: t.detail, description: t.id === current ? '(current)' : '', id: t.id })),
          { title: 'Checkpoint Lens: compare this checkpoint against…' },
        );
        id = pick?.id;
      }
      if (!id) return;
      if (!isTargetSyntax(id)) {
        void vscode.window.showErrorMessage(`Checkpoint Lens: unknown load target "${id.slice(0, 80)}".`);
        return;
      }
      if (!doc) {
        await vscode.workspace.getConfiguration('checkpointLens').update('defaultTarget', id, vscode.ConfigurationTarget.Global);
        void vscode.window.showInformationMessage(`Checkpoint Lens: default load target set to ${id}.`);
        return;
      }
      doc.target = id;
      await provider.load(doc, 'reload');
    }),

    vscode.commands.registerCommand('checkpointLens.explainLoadingLog', async (text?: string): Promise<vscode.TextDocument | undefined> => {
      // Multi-line on every path: an argument, the selection, the whole active text document,
      // the clipboard when it holds a loading log, else an untitled editor to paste into.
      let log = typeof text === 'string' ? text : undefined;
      const editor = vscode.window.activeTextEditor;
      if (log === undefined && editor) log = editor.selection.isEmpty ? (editor.document.languageId === 'markdown' ? undefined : editor.document.getText()) : editor.document.getText(editor.selection);
      if (!log?.trim() || !looksLikeLoadingLog(log)) {
        const clip = await vscode.env.clipboard.readText();
        if (looksLikeLoadingLog(clip)) log = clip;
      }
      if (!log?.trim()) {
        const pad = await vscode.workspace.openTextDocument({ language: 'log', content: PASTE_HERE });
        await vscode.window.showTextDocument(pad, { preview: false });
        void vscode.window.showInformationMessage('Checkpoint Lens: paste the loading log into this editor, then run Explain Loading Log again.');
        return undefined;
      }
      const md = await vscode.workspace.openTextDocument({ language: 'markdown', content: explainLoadingLog(log) });
      // Rendered, not Markdown source (the built-in preview); the source if the preview is unavailable.
      try {
        await vscode.commands.executeCommand('markdown.showPreview', md.uri);
      } catch {
        await vscode.window.showTextDocument(md, { preview: true });
      }
      return md;
    }),

    vscode.commands.registerCommand(SHOW_CODE_COMMAND, async (docUri?: unknown, code?: unknown, tensor?: unknown) => {
      if (typeof code !== 'string') return false;
      const uri = typeof docUri === 'string' ? vscode.Uri.parse(docUri) : undefined;
      let doc = uri ? [...provider.documents].find((d) => d.uri.toString() === uri.toString()) : undefined;
      if (uri && !doc) {
        await openEditor(uri);
        doc = [...provider.documents].find((d) => d.uri.toString() === uri.toString());
      }
      if (doc) {
        doc.panel?.reveal(doc.panel.viewColumn, false);
        // reveal() returns before the panel takes focus; opening the docs first would let the
        // panel's late focus hide them (no active text editor). Wait (bounded) for it.
        for (let i = 0; i < 40 && doc.panel && !doc.panel.active; i++) await new Promise((r) => setTimeout(r, 50));
        // The webview may still be loading: wait (bounded) for the model before selecting.
        for (let i = 0; i < 100 && (doc.state.kind === 'loading' || doc.state.kind === 'checking'); i++) await new Promise((r) => setTimeout(r, 100));
        if (typeof tensor === 'string') provider.reveal(doc, tensor);
      }
      return openCodeDocs(context.extensionUri, code);
    }),

    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('checkpointLens')) return;
      for (const doc of provider.documents) void provider.load(doc, 'reload');
    }),
  );
  // convert (src/convert): "Complete from another checkpoint…", "Convert to another layout…", Quick Fixes.
  context.subscriptions.push(
    ...registerConvertCommands({
      log,
      workerScript,
      activeUri: () => activeDoc()?.uri,
      openBeside: async (uri) => {
        await vscode.commands.executeCommand('vscode.openWith', uri, isPyTorchPath(uri.path) ? PYTORCH_VIEW_TYPE : VIEW_TYPE, vscode.ViewColumn.Beside);
      },
    }),
  );
  log.info('Checkpoint Lens activated');

  return {
    viewType: VIEW_TYPE,
    editors: () =>
      [...provider.documents].map((d) => ({
        uri: d.uri.toString(),
        state: d.state.kind,
        findings: d.state.kind === 'ready' ? d.state.model.findings.map((f) => f.code) : d.state.kind === 'failed' ? [d.state.message.code] : [],
        target: d.target,
        tensorCount: d.state.kind === 'ready' ? d.state.model.tensorCount : null,
        extras: d.state.kind === 'ready' ? (d.state.model.extras ?? []).map(([k]) => k) : [],
        selected: d.selected,
        notChecked: d.state.kind === 'ready' ? (d.state.model.notChecked ?? null) : null,
      })),
    idle: async (timeoutMs = 30_000) => {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        if ([...provider.documents].every((d) => d.state.kind !== 'loading' && d.state.kind !== 'checking')) return true;
        await new Promise((r) => setTimeout(r, 50));
      }
      return false;
    },
    statusBarText: () => status.text,
    probeState: (uri) => [...provider.documents].find((d) => d.uri.toString() === uri)?.probe ?? null,
    comparisons: () => [...comparisons.panels].map((p) => ({ title: p.title, state: p.state })),
    modelText: (uri) => {
      const d = [...provider.documents].find((x) => x.uri.toString() === uri);
      return d ? JSON.stringify(d.state.kind === 'ready' ? d.state.model : d.state.kind === 'failed' ? d.state.message : null) : null;
    },
    logText: () => logLines.join('\n'),
  };
}

export function deactivate(): void {}
