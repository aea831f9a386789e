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
