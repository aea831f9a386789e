/**
 * Codes link to their docs, and Problems entries lead to the tensor.
 *
 * VS Code gives a custom editor no way to learn which Problems entry was clicked (the range is
 * dropped: microsoft/vscode#205209, #211351), so each diagnostic's code is a link
 * (`code: { value, target }`) to the command `checkpointLens.showCode`: it reveals the checkpoint's
 * editor, selects the tensor (or tower) the finding is about, and opens the code's entry in the
 * bundled docs/codes/*.md beside it. The editor's finding chips run the same command.
 */
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { codeDocEntry, type CodeDocEntry } from '../core/codeDocs.js';
import type { Finding } from '../shared/protocol.js';

export const SHOW_CODE_COMMAND = 'checkpointLens.showCode';

let index: unknown = null;

/** Reads dist/codeDocs.json (written by the build) once. */
export function loadCodeDocs(extensionUri: vscode.Uri): void {
  try {
    index = JSON.parse(readFileSync(vscode.Uri.joinPath(extensionUri, 'dist', 'codeDocs.json').fsPath, 'utf8'));
  } catch {
    index = null;
  }
}

export function codeDoc(code: string): CodeDocEntry | null {
  return codeDocEntry(index, code);
}

/** Findings with each code's one-line meaning (`help`, the hover text of the editor's code chips). */
export function withCodeHelp<M extends { readonly findings: readonly Finding[] }>(model: M): M {
  const help = (f: Finding): Finding => {
    const summary = f.help ?? codeDoc(f.code)?.summary;
    return summary ? { ...f, help: summary } : f;
  };
  return { ...model, findings: model.findings.map(help) };
}

/** The `command:` URI of a diagnostic's code link. */
export function codeTarget(doc: vscode.Uri, code: string, tensor: string | null): vscode.Uri {
  return vscode.Uri.parse(`command:${SHOW_CODE_COMMAND}?${encodeURIComponent(JSON.stringify([doc.toString(), code, tensor]))}`);
}

/** Opens the docs entry of `code` beside the editor (the Markdown source at the entry's heading). */
export async function openCodeDocs(extensionUri: vscode.Uri, code: string): Promise<boolean> {
  const e = codeDoc(code);
  if (!e) {
    void vscode.window.showInformationMessage(`Checkpoint Lens: no docs entry for the code ${code.slice(0, 80)}.`);
    return false;
  }
  const uri = vscode.Uri.joinPath(extensionUri, ...e.file.split('/'));
  const pos = new vscode.Position(e.line - 1, 0);
  await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: false, selection: new vscode.Range(pos, pos) });
  return true;
}
