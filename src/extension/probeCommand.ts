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
import { readProbeSettings } from './settings.js';
import { WorkerClient } from './workerClient.js';
import { forEditor } from './editorWording.js';

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
        const job = client.probe(checkpointPathOf(doc.uri) ?? doc.uri.fsPath, readProbeSettings(), (fraction, message) => {
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

/** The command: the editor of `uri` (opened if needed), else the active checkpoint editor. */
export function registerProbeCommand(deps: ProbeDeps, activeDoc: () => CheckpointDocument | null): vscode.Disposable {
  return vscode.commands.registerCommand('checkpointLens.runProbe', async (arg?: unknown): Promise<ProbeState | undefined> => {
    const uri = arg instanceof vscode.Uri ? arg : undefined;
    let doc = uri ? [...deps.provider.documents].find((d) => d.uri.toString() === uri.toString()) : activeDoc();
    if (uri && !doc) {
      await deps.openEditor(uri);
      doc = [...deps.provider.documents].find((d) => d.uri.toString() === uri.toString());
    }
    if (!doc) {
      void vscode.window.showWarningMessage('Checkpoint Lens: open a checkpoint in the Checkpoint Lens editor first, then run the zero-shot probe.');
      return undefined;
    }
    if (doc.uri.scheme !== 'file') {
      void vscode.window.showErrorMessage('Checkpoint Lens: the probe reads local files only.');
      return undefined;
    }
    if (doc.state.kind === 'ready' && doc.state.model.probeUnavailable) {
      void vscode.window.showWarningMessage(`Checkpoint Lens: ${doc.state.model.probeUnavailable}`);
      return undefined;
    }
    return runProbeCommand(deps, doc);
  });
}
