/**
 * What a finding says in the Problems panel: a one-line summary as the diagnostic's message (the
 * row a person scans), and the detail — the rest of the message, what happens if you load it
 * anyway, the measured evidence, the tensors concerned — as related-information lines under it.
 * The code link beside the row opens the code's docs entry. Pure (no `vscode`): unit-tested.
 */
import type { Finding } from '../shared/protocol.js';
import { visibleText } from '../shared/text.js';

/** The longest summary; longer first sentences are cut at a clause, else at a word, with "…". */
export const SUMMARY_MAX = 160;
/** Tensors named under a diagnostic (the editor's Show selects the first; the docs say the rest). */
const TENSORS_LISTED = 5;

/** One line: the message's first sentence (its clause or words up to SUMMARY_MAX), escapes visible. */
export function summaryLine(message: string): string {
  const flat = visibleText(message.replace(/\s*\n\s*/g, ' ').trim());
  const end = flat.search(/[.!?](\s|$)/);
  let first = end >= 0 ? flat.slice(0, end + 1) : flat;
  if (first.length <= SUMMARY_MAX) return first;
  // A clause boundary (`;` or `,`) late enough to keep the point, else the last word boundary.
  const window = first.slice(0, SUMMARY_MAX);
  const clause = Math.max(window.lastIndexOf('; '), window.lastIndexOf(', '));
  const word = window.lastIndexOf(' ');
  const cut = clause >= SUMMARY_MAX * 0.5 ? clause : word > 0 ? word : SUMMARY_MAX - 1;
  let head = first.slice(0, cut).replace(/[\s,;:]+$/, '');
  // Not ending on a dangling little word ("… and the…").
  for (let prev = ''; prev !== head; ) {
    prev = head;
    head = head.replace(/\s+(?:and|or|the|a|an|of|to|in|its|their|with|for|so|but)$/i, '');
  }
  return `${head}…`;
}

export interface DiagnosticText {
  readonly summary: string;
  /** Lines shown under the summary (related information), in order; empty when the summary says it all. */
  readonly details: readonly string[];
}

export function diagnosticText(f: Finding): DiagnosticText {
  const summary = summaryLine(f.message);
  const full = visibleText(f.message.replace(/\s*\n\s*/g, ' ').trim());
  const details: string[] = [];
  if (full !== summary) details.push(full);
  if (f.consequence) details.push(`If loaded anyway: ${visibleText(f.consequence)}`);
  for (const e of f.evidence ?? []) details.push(visibleText(e));
  const names = f.tensors ?? [];
  const count = f.tensorCount ?? names.length;
  if (names.length) {
    const shown = names.slice(0, TENSORS_LISTED).map(visibleText).join(', ');
    details.push(`${count === 1 ? 'Tensor' : `${count} tensors`}: ${shown}${count > TENSORS_LISTED ? ', …' : ''} (the code link selects ${names.length === 1 && count === 1 ? 'it' : 'the first'} in the editor)`);
  }
  return { summary, details };
}
