/**
 * The status bar summary of a loaded checkpoint, as plain data (no `vscode`): unit-tested.
 * Something that was not checked says "not checked", never a check mark.
 */
import type { ViewModel } from '../shared/protocol.js';
import { familyLabel, plural } from '../shared/text.js';

const compact = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));
export function statusSummary(m: Omit<ViewModel, 'roots'>): { text: string; tooltip: string } {
  const errors = m.findings.filter((f) => f.severity === 'error').length;
  const warnings = m.findings.filter((f) => f.severity === 'warning').length;
  const fam = familyLabel(m.family, m.variant);
  const family = fam ? ` · ${fam}` : '';
  const verdict = errors ? `$(error) ${errors}` : warnings ? `$(warning) ${warnings}` : m.notChecked ? '$(question) not checked' : '$(check) 0';
  const extra = m.notChecked && (errors || warnings) ? ' · not checked' : '';
  const counts = `${plural(m.tensorCount, 'tensor')}, ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
  const tooltip = m.notChecked ? `${counts}. Not checked: ${m.notChecked}. Click to show findings.` : `${counts}. Click to show findings.`;
  return { text: `$(layers) ${compact(m.parameterCount)} params${family} · ${verdict}${extra}`, tooltip };
}
