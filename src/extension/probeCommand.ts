/**
 * `Checkpoint Lens: Run Zero-Shot Probe`: runs the probe (src/probe, via the worker) on the
 * checkpoint of an editor, with a cancellable progress notification, and shows the report in that
 * editor. Each run gets its own worker thread: ORT's session creation and inference block their
 * thread for seconds, which must stall neither the extension host nor the editor's worker.
 */
import { checkpointPathOf } from './hubCommands.js';
import { basename } from 'node:path';
import * as vscode from 'vscode';
import type { ProbeState } from '../shared/jobViews.js';
import type { CheckpointDocument, CheckpointEditorProvider } from './editorProvider.js';
import { readProbeSettings, readSettings } from './settings.js';
import { WorkerClient } from './workerClient.js';
import { forEditor } from './editorWording.js';
import { probeTargetName } from './targets.js';

/** After Cancel, the worker gets this long to stop at its next check before it is terminated. */
const CANCEL_GRACE_MS = 5_000;

export interface ProbeDeps {
  readonly provider: CheckpointEditorProvider;
  readonly workerScript: string;
  readonly log: vscode.LogOutputChannel;
  readonly openEditor: (uri: vscode.Uri) => Promise<void>;
}

export async function runProbeCommand(deps: ProbeDeps, doc: CheckpointDocument): Promise<ProbeState> {
  if (doc.probeJob) {
    void vscode.window.showInformationMessage('Checkpoint Lens: the zero-shot probe is already running for this checkpoint.');
    return doc.probe ?? { kind: 'running', message: 'running', fraction: 0 };
  }
  const name = basename(doc.uri.fsPath);
  const set = (state: ProbeState) => {
    doc.probe = state;
    if (state.kind === 'done') doc.lastProbeReport = state.probe;
    deps.provider.post(doc, { type: 'probe', state });
  };
  const client = new WorkerClient(deps.workerScript, (line) => deps.log.info(`[probe] ${line}`));
  let cancelled = false;
  let killTimer: NodeJS.Timeout | undefined;
  set({ kind: 'running', message: 'starting', fraction: 0 });
  const started = Date.now();
  try {
    const state = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Zero-shot probe: ${name}`, cancellable: true },
      async (progress, token) => {
        let reported = 0;
        // The editor's load target, when it names an open_clip config, is the CLI's --target (head counts, missing towers).
        const target = probeTargetName(doc.target ?? readSettings().defaultTarget);
        const options = { ...readProbeSettings(), ...(doc.probeImages ? { images: doc.probeImages } : {}), ...(target ? { target } : {}) };
        const job = client.probe(checkpointPathOf(doc.uri) ?? doc.uri.fsPath, options, (fraction, message) => {
          const f = Math.max(reported, fraction);
          progress.report({ message: message ?? '', increment: (f - reported) * 100 });
          reported = f;
          set({ kind: 'running', message: message ?? 'running', fraction: f });
        });
        const cancel = () => {
          if (cancelled) return;
          cancelled = true;
          job.cancel();
          // The probe checks its signal between phases and batches; a stuck native call is ended.
          killTimer = setTimeout(() => client.dispose(), CANCEL_GRACE_MS);
        };
        doc.probeJob = { cancel };
        token.onCancellationRequested(cancel);
        const out = await job.result;
        if (out.ok) return { kind: 'done', probe: out.probe } as const;
        if (cancelled) return { kind: 'cancelled' } as const;
        return { kind: 'error', code: out.code, message: forEditor(out.message) } as const;
      },
    );
    set(state);
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (state.kind === 'done') deps.log.info(`${doc.uri.fsPath}: probe ${state.probe.verdict.code}, top-1 ${state.probe.top1 ?? '-'}, provider ${state.probe.provider}, ${secs} s`);
    else if (state.kind === 'cancelled') deps.log.info(`${doc.uri.fsPath}: probe cancelled after ${secs} s`);
    else {
      deps.log.warn(`${doc.uri.fsPath}: probe failed: ${state.code}: ${state.message}`);
      void vscode.window.showErrorMessage(`Checkpoint Lens: zero-shot probe failed (${state.code}): ${state.message}`);
    }
    return state;
  } finally {
    clearTimeout(killTimer);
    doc.probeJob = null;
    client.dispose();
  }
}

/** Cancels the probe of the editor of `uri`, else of the active editor, else every running probe. */
export function registerCancelProbeCommand(deps: ProbeDeps, activeDoc: () => CheckpointDocument | null): vscode.Disposable {
  return vscode.commands.registerCommand('checkpointLens.cancelProbe', (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg.toString() : null;
    const target = uri ? [...deps.provider.documents].find((d) => d.uri.toString() === uri) : activeDoc();
    const docs = target?.probeJob ? [target] : [...deps.provider.documents].filter((d) => d.probeJob);
    for (const d of docs) d.probeJob?.cancel();
    return docs.length;
  });
}

/**
 * `Run Zero-Shot Probe on My Images…`: the CLI's `--images DIR [--labels FILE]` from the editor.
 * Asks for the probe set (built-in, the last folder, or a folder of class folders), then for the
 * labels (the folder names, or a labels file), remembers the choice on the editor (Run again
 * keeps it) and runs the probe. A second argument `{ images, labels? }` (paths) or `'builtin'`
 * skips the questions (for keybindings and tests).
 */
export function registerProbeImagesCommand(deps: ProbeDeps, activeDoc: () => CheckpointDocument | null): vscode.Disposable {
  return vscode.commands.registerCommand('checkpointLens.runProbeWithImages', async (arg?: unknown, set?: unknown): Promise<ProbeState | undefined> => {
    const doc = await probeTarget(deps, activeDoc, arg);
    if (!doc) return undefined;
    const chosen = set === undefined ? await askProbeSet(doc) : parseProbeSetArg(set);
    if (chosen === undefined) return undefined;
    doc.probeImages = chosen;
    return runProbeCommand(deps, doc);
  });
}

function parseProbeSetArg(set: unknown): { dir: string; labelsFile: string | null } | null | undefined {
  if (set === 'builtin' || set === null) return null;
  if (set && typeof set === 'object' && typeof (set as { images?: unknown }).images === 'string') {
    const labels = (set as { labels?: unknown }).labels;
    return { dir: (set as { images: string }).images, labelsFile: typeof labels === 'string' ? labels : null };
  }
  void vscode.window.showErrorMessage('Checkpoint Lens: the probe set must be "builtin" or { images: folder, labels?: file }.');
  return undefined;
}

type SetPick = vscode.QuickPickItem & { readonly set: 'builtin' | 'folder' | 'last' };

/** undefined = the user cancelled. */
async function askProbeSet(doc: CheckpointDocument): Promise<{ dir: string; labelsFile: string | null } | null | undefined> {
  const last = doc.probeImages;
  const items: SetPick[] = [
    ...(last ? [{ set: 'last' as const, label: `$(folder) ${basename(last.dir)}`, description: last.labelsFile ? `labels from ${basename(last.labelsFile)}` : 'labels: the folder names', detail: last.dir }] : []),
    { set: 'folder', label: '$(folder-opened) Choose a folder of class folders…', detail: 'One sub-folder per class, named by its label, holding .png / .jpg / .jpeg images.' },
    { set: 'builtin', label: '$(beaker) Built-in probe set', detail: '14 classes of generated images; no files needed.' },
  ];
  const pick = await vscode.window.showQuickPick(items, { title: 'Zero-shot probe: which images?', placeHolder: 'The probe classifies these images with the checkpoint’s own CLIP' });
  if (!pick) return undefined;
  if (pick.set === 'builtin') return null;
  if (pick.set === 'last' && last) return last;
  const folder = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    openLabel: 'Use these class folders',
    title: 'A folder with one sub-folder of images per class',
    ...(last ? { defaultUri: vscode.Uri.file(last.dir) } : {}),
  });
  const dir = folder?.[0]?.fsPath;
  if (!dir) return undefined;
  const labelItems: (vscode.QuickPickItem & { readonly file: boolean })[] = [
    { file: false, label: 'Use the folder names as labels', detail: 'The prompt for each class is "a photo of a <folder name>".' },
    { file: true, label: 'Choose a labels file…', detail: 'One label per line; every folder must be listed, and a label without a folder is a distractor prompt.' },
  ];
  const lp = await vscode.window.showQuickPick(labelItems, { title: 'Zero-shot probe: labels' });
  if (!lp) return undefined;
  if (!lp.file) return { dir, labelsFile: null };
  const file = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectMany: false, defaultUri: vscode.Uri.file(dir), openLabel: 'Use these labels', filters: { 'Labels (one per line)': ['txt', 'labels', 'csv'], 'All files': ['*'] } });
  const labelsFile = file?.[0]?.fsPath;
  return labelsFile ? { dir, labelsFile } : undefined;
}

/** The editor of `arg` (a Uri; opened if needed), else the active checkpoint editor; null (after telling the user) when it cannot be probed. */
async function probeTarget(deps: ProbeDeps, activeDoc: () => CheckpointDocument | null, arg: unknown): Promise<CheckpointDocument | null> {
  const uri = arg instanceof vscode.Uri ? arg : undefined;
  let doc = uri ? [...deps.provider.documents].find((d) => d.uri.toString() === uri.toString()) : activeDoc();
  if (uri && !doc) {
    await deps.openEditor(uri);
    doc = [...deps.provider.documents].find((d) => d.uri.toString() === uri.toString());
  }
  if (!doc) {
    void vscode.window.showWarningMessage('Checkpoint Lens: open a checkpoint in the Checkpoint Lens editor first, then run the zero-shot probe.');
    return null;
  }
  if (doc.uri.scheme !== 'file') {
    void vscode.window.showErrorMessage('Checkpoint Lens: the probe reads local files only.');
    return null;
  }
  if (doc.state.kind === 'ready' && doc.state.model.probeUnavailable) {
    void vscode.window.showWarningMessage(`Checkpoint Lens: ${doc.state.model.probeUnavailable}`);
    return null;
  }
  return doc;
}

/** The command: the editor of `uri` (opened if needed), else the active checkpoint editor; the probe set last chosen for it. */
export function registerProbeCommand(deps: ProbeDeps, activeDoc: () => CheckpointDocument | null): vscode.Disposable {
  return vscode.commands.registerCommand('checkpointLens.runProbe', async (arg?: unknown): Promise<ProbeState | undefined> => {
    const doc = await probeTarget(deps, activeDoc, arg);
    return doc ? runProbeCommand(deps, doc) : undefined;
  });
}
