import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import { AUTO_TARGET } from './targets.js';

export interface Settings {
  readonly defaultTarget: string;
  readonly valueCheckBudgetBytes: number;
  readonly reloadDebounceMs: number;
}

/** Reads `checkpointLens.*`, clamping values so a bad setting cannot disable the editor. */
export function readSettings(): Settings {
  const c = vscode.workspace.getConfiguration('checkpointLens');
  const mb = c.get<number>('valueCheckBudgetMB', 64);
  const debounce = c.get<number>('reloadDebounceMs', 500);
  return {
    defaultTarget: c.get<string>('defaultTarget', AUTO_TARGET) || AUTO_TARGET,
    valueCheckBudgetBytes: Math.round(Math.min(65536, Math.max(0, Number.isFinite(mb) ? mb : 64)) * 1024 * 1024),
    reloadDebounceMs: Math.min(60_000, Math.max(50, Number.isFinite(debounce) ? debounce : 500)),
  };
}

const PROVIDERS = ['cpu', 'cuda', 'dml', 'coreml', 'webgpu'] as const;
type Provider = (typeof PROVIDERS)[number];

/** `checkpointLens.probe.*`: unknown provider names and duplicates are dropped, not fatal. */
export function readProbeSettings(): { providerOrder: Provider[]; tokenizer: string | null; threads: number | null } {
  const c = vscode.workspace.getConfiguration('checkpointLens.probe');
  const raw = c.get<unknown>('providers', []);
  const providerOrder = Array.isArray(raw) ? [...new Set(raw.filter((p): p is Provider => (PROVIDERS as readonly unknown[]).includes(p)))] : [];
  const tok = (c.get<string>('tokenizerPath', '') ?? '').trim();
  // A relative tokenizer path is relative to the first workspace folder.
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const tokenizer = !tok ? null : isAbsolute(tok) || !root ? tok : join(root, tok);
  const threads = c.get<number>('threads', 0);
  return { providerOrder, tokenizer, threads: Number.isInteger(threads) && threads > 0 ? Math.min(threads, 256) : null };
}
