/**
 * Editor glue for `convert` (src/convert): "Complete from another checkpoint…" (pick a donor) and
 * "Convert to … layout", as commands, editor-title actions and Quick Fixes on the findings a donor
 * can fix. The converted file opens beside the old one and the probe is offered. Thin: every
 * decision is in src/convert.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import type { ConvertOptions } from '../convert/convert.js';
import { sourceView, type ConvertTargetKind } from '../convert/layoutAdapter.js';
import { COMPLETABLE_FINDINGS, completionTarget, conversionTargets, outputFolderFor, TARGET_LABEL } from '../convert/suggest.js';
import { openCheckpoint } from '../formats/open.js';
import { WorkerClient } from './workerClient.js';
import type { ConvertOutcome } from './workerProtocol.js';

export interface ConvertDeps {
  readonly log: vscode.LogOutputChannel;
  readonly workerScript: string;
  readonly activeUri: () => vscode.Uri | undefined;
  readonly openBeside: (uri: vscode.Uri) => Promise<void>;
}

async function familyOf(path: string) {
  const r = await openCheckpoint(path);
  return r.ok ? sourceView(r.value).view.family : 'unknown';
}

async function run(deps: ConvertDeps, input: vscode.Uri, opts: Omit<ConvertOptions, 'input' | 'output'>): Promise<void> {
  const output = outputFolderFor(input.fsPath, opts.to, existsSync);
  // Off the extension host: its own worker thread (header parses, casts and transposes stay off the host).
  const client = new WorkerClient(deps.workerScript, (line) => deps.log.info(`[convert] ${line}`));
  let outcome: ConvertOutcome;
  try {
    outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Converting to ${TARGET_LABEL[opts.to]}`, cancellable: true }, async (progress, token) => {
      let last = 0;
      const job = client.convert({ ...opts, input: input.fsPath, output }, (f, message) => {
        progress.report({ message: message ?? '', increment: Math.max(0, f - last) * 100 });
        last = Math.max(last, f);
      });
      token.onCancellationRequested(() => job.cancel());
      return job.result;
    });
  } finally {
    client.dispose();
  }
  if (!outcome.ok && 'code' in outcome) {
    if (outcome.code !== 'cancelled') void vscode.window.showErrorMessage(`Checkpoint Lens: ${outcome.code}: ${outcome.message}`);
    return;
  }
  const r = outcome;
  if (!r.ok) {
    deps.log.warn(`convert ${input.fsPath}: ${r.error.code}: ${r.error.message}`);
    const missing = r.error.missing?.length ? ` (${r.error.missing.length} tensors still missing; see the output log)` : '';
    if (r.error.missing) for (const m of r.error.missing) deps.log.info(`  missing ${m.name} [${m.shape.join(', ')}] (${m.tower})`);
    const pick = r.error.code === 'convert-incomplete' && !opts.donors?.length ? await vscode.window.showErrorMessage(`Checkpoint Lens: ${r.error.message}${missing}`, 'Complete from another checkpoint…') : await vscode.window.showErrorMessage(`Checkpoint Lens: ${r.error.code}: ${r.error.message}${missing}`);
    if (pick) await vscode.commands.executeCommand('checkpointLens.completeFromCheckpoint', input);
    return;
  }
  const rep = r.report;
  deps.log.info(`convert ${input.fsPath} → ${rep.output}: ${rep.tensors} tensors, verified (${rep.verification.spotChecks} values spot-checked)`);
  for (const n of [...rep.notes, ...rep.assumed]) deps.log.info(`  ${n}`);
  const out = vscode.Uri.file(rep.output);
  await deps.openBeside(out);
  const choice = await vscode.window.showInformationMessage(`Checkpoint Lens: wrote ${vscode.workspace.asRelativePath(out, false)} (${rep.tensors} tensors, verified). Run the zero-shot probe on it?`, 'Run Probe');
  if (choice) await vscode.commands.executeCommand('checkpointLens.runProbe', out);
}

const localUri = (deps: ConvertDeps, arg: unknown): vscode.Uri | undefined => {
  const uri = arg instanceof vscode.Uri ? arg : deps.activeUri();
  if (!uri) void vscode.window.showWarningMessage('Checkpoint Lens: open a checkpoint first.');
  else if (uri.scheme !== 'file') void vscode.window.showErrorMessage('Checkpoint Lens: only local files can be converted.');
  return uri?.scheme === 'file' ? uri : undefined;
};

export function registerConvertCommands(deps: ConvertDeps): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('checkpointLens.completeFromCheckpoint', async (arg?: unknown) => {
      const uri = localUri(deps, arg);
      if (!uri) return;
      const donor = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Take missing tensors from this checkpoint', title: 'Complete from another checkpoint (same model, any layout)', filters: { Checkpoints: ['safetensors', 'json', 'bin', 'pt', 'pth', 'ckpt'] } });
      if (!donor?.[0]) return;
      await run(deps, uri, { to: completionTarget(await familyOf(uri.fsPath)), donors: [donor[0].fsPath] });
    }),
    vscode.commands.registerCommand('checkpointLens.convertLayout', async (arg?: unknown, to?: ConvertTargetKind) => {
      const uri = localUri(deps, arg);
      if (!uri) return;
      let target = to;
      if (!target) {
        const picked = await vscode.window.showQuickPick(
          conversionTargets(await familyOf(uri.fsPath)).map((k) => ({ label: `Convert to ${TARGET_LABEL[k]} layout`, k })),
          { title: 'Convert checkpoint layout (a new, verified file beside this one)' },
        );
        target = picked?.k;
      }
      if (target) await run(deps, uri, { to: target });
    }),
    vscode.languages.registerCodeActionsProvider(
      { scheme: 'file' },
      {
        provideCodeActions(document, _range, context) {
          const diags = context.diagnostics.filter((d) => d.source === 'Checkpoint Lens' && COMPLETABLE_FINDINGS.includes(String(typeof d.code === 'object' ? d.code.value : d.code)));
          if (!diags.length) return [];
          const complete = new vscode.CodeAction('Complete from another checkpoint…', vscode.CodeActionKind.QuickFix);
          complete.diagnostics = diags;
          complete.isPreferred = true;
          complete.command = { title: complete.title, command: 'checkpointLens.completeFromCheckpoint', arguments: [document.uri] };
          const convert = new vscode.CodeAction('Convert to another layout…', vscode.CodeActionKind.QuickFix);
          convert.diagnostics = diags;
          convert.command = { title: convert.title, command: 'checkpointLens.convertLayout', arguments: [document.uri] };
          return [complete, convert];
        },
      },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
  ];
}
