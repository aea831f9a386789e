/**
 * The editor's findings as Markdown (Copy as Markdown): a heading with the file and target, one
 * bullet per finding with its code, consequence, evidence and the tensors concerned. Names go in
 * code spans with invisible characters escaped (never live Markdown). Pure: unit-tested.
 */
import type { ViewModel } from '../shared/protocol.js';
import { familyLabel, markdownCode, markdownText, plural } from '../shared/text.js';

const ICON = { error: '❌', warning: '⚠️', info: 'ℹ️' } as const;

export function findingsMarkdown(m: Omit<ViewModel, 'roots'>): string {
  const out: string[] = [];
  const fam = familyLabel(m.family, m.variant);
  out.push(`### Checkpoint Lens: ${markdownCode(m.title)}`, '');
  out.push(`${markdownText(m.format)} · ${plural(m.tensorCount, 'tensor')}${fam ? ` · ${markdownText(fam)}` : ''}${m.target ? ` · target ${markdownCode(m.target)}` : ''}`, '');
  if (m.notChecked) out.push(`- ❔ **Not checked:** ${markdownText(m.notChecked)}.`);
  if (!m.findings.length && !m.notChecked) out.push('- ✅ No findings: every tensor the target expects is present with the right shape.');
  for (const f of m.findings) {
    out.push(`- ${ICON[f.severity]} ${markdownCode(f.code)} — ${markdownText(f.message)}`);
    if (f.consequence) out.push(`  ${markdownText(f.consequence)}`);
    for (const e of f.evidence ?? []) out.push(`  - ${markdownText(e)}`);
    if (f.tensors?.length) {
      const more = (f.tensorCount ?? f.tensors.length) - Math.min(f.tensors.length, 5);
      out.push(`  - tensors: ${f.tensors.slice(0, 5).map(markdownCode).join(', ')}${more > 0 ? ` and ${more} more` : ''}`);
    }
  }
  return `${out.join('\n')}\n`;
}
