/**
 * Markdown view of a loading-log explanation for the `Explain Loading Log` command. Parsing and
 * the meaning (towers, findings) come from the analysis engine shared with the CLI's
 * `explain-log`; this module only renders, escaping every key because logs quote
 * attacker-controlled tensor names.
 */
import { explainLog, parseLoadLog, type LogExplanation } from '../analysis/explainLog.js';

/** Inline code that stays inert in Markdown whatever the text contains (backticks, HTML, links). */
export function mdCode(s: string): string {
  const clean = s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  const ticks = Math.max(0, ...[...clean.matchAll(/`+/g)].map((m) => m[0].length)) + 1;
  const fence = '`'.repeat(ticks);
  return `${fence} ${clean} ${fence}`;
}

/** Plain prose from the engine (messages) may still quote names: escape Markdown/HTML metacharacters. */
export function mdText(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/[\\`*_{}\[\]()#+\-.!<>|~&]/g, (c) => `\\${c}`);
}

export function explanationMarkdown(ex: LogExplanation): string {
  const p = ex.parsed;
  const out: string[] = ['# Loading log, explained', ''];
  if (!p.sources.length) {
    out.push('No loading messages were recognised. Paste the full warning printed by `load_state_dict`, `from_pretrained` or timm.');
    return out.join('\n') + '\n';
  }
  out.push(`Log from ${p.sources.join(', ')}${p.modelClass ? `, model ${mdCode(p.modelClass)}` : ''}: **${p.missing.length} missing**, **${p.unexpected.length} unexpected**, **${p.mismatched.length} shape-mismatched** tensor(s); names in the ${mdText(ex.family)} layout.`, '');
  if (ex.towers.length) {
    out.push('| tower | missing | unexpected | mismatched |', '|---|---:|---:|---:|');
    for (const t of ex.towers) out.push(`| ${t.tower}${t.wholeMissing ? ' (whole tower missing)' : ''} | ${t.missing} | ${t.unexpected} | ${t.mismatched} |`);
    out.push('');
  }
  out.push('## What it means', '');
  for (const f of ex.findings) {
    out.push(`- **${f.severity}** ${mdCode(f.code)}: ${mdText(f.message)}`);
    for (const e of f.evidence?.slice(0, 5) ?? []) out.push(`  - ${mdText(e)}`);
    if (f.tensors?.length) out.push(`  - ${f.tensors.slice(0, 10).map(mdCode).join(', ')}${(f.tensorCount ?? f.tensors.length) > 10 ? `, … (${f.tensorCount ?? f.tensors.length} in all)` : ''}`);
  }
  out.push('', 'Open the checkpoint with **Checkpoint Lens** to see where these tensors belong (ghost rows mark the missing ones).');
  return out.join('\n') + '\n';
}

export function explainLoadingLog(text: string): string {
  return explanationMarkdown(explainLog(parseLoadLog(text.slice(0, 16 << 20))));
}

/** True when `text` holds a message the log parser recognises (transformers, PyTorch, timm). */
export function looksLikeLoadingLog(text: string | undefined): boolean {
  return !!text && text.trim().length > 0 && parseLoadLog(text.slice(0, 16 << 20)).sources.length > 0;
}

/** The untitled editor offered when there is no log to explain yet. */
export const PASTE_HERE = '# Paste the loading log below (missing / unexpected keys, size mismatch), then run "Checkpoint Lens: Explain Loading Log" again.\n\n';
