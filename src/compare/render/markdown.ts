import { formatBytes, formatCount, safeText } from '../../cli/output.js';
import { layoutLabel } from '../verdict.js';
import type { CompareReport, PairResult, UnmatchedTensor } from '../types.js';
import { cos, num, pct, shapeText, STATUS_LABEL } from './format.js';

/**
 * Markdown for a pull-request comment (GitHub-flavoured). Tensor names and paths are hostile
 * input: names are always set as code spans (a fence longer than any backtick run inside, `|`
 * escaped in tables), other text has every ASCII punctuation character backslash-escaped, so
 * no name can open HTML, a link, emphasis, an @-mention or a new table cell. Control and bidi
 * characters are made visible first (`safeText`). Output is capped to fit GitHub's
 * 65,536-character comment limit; `--json` has everything.
 */
const MAX_ROWS = 150;
const MAX_NAME = 160;

function visible(s: string): string {
  const t = safeText(s);
  return t.length > MAX_NAME ? `${t.slice(0, MAX_NAME)}…` : t;
}

/** A name as an inline code span; `inTable` escapes pipes for GFM table cells. */
export function mdCode(name: string, inTable = false): string {
  let t = visible(name);
  if (t === '') return '(empty name)';
  const longest = Math.max(0, ...(t.match(/`+/g) ?? []).map((r) => r.length));
  const fence = '`'.repeat(longest + 1);
  // A span starting/ending with a backtick or space needs one padding space (stripped by the parser).
  const pad = /^[` ]|[` ]$/.test(t) ? ' ' : '';
  // GFM splits table rows on `|` before parsing code spans, and parsers disagree on how `\|`
  // interacts with a preceding backslash: spell a pipe the way safeText spells controls.
  if (inTable) t = t.replace(/\|/g, '\\u{7c}');
  return `${fence}${pad}${t}${pad}${fence}`;
}

/**
 * Plain text with all Markdown syntax neutralised (works in table cells too). `@` is followed by
 * an encoded zero-width space, as Renovate/Dependabot do, so a name cannot @-mention anyone.
 */
export function mdText(s: string): string {
  return visible(s).replace(/[!-/:-?[-`{-~]/g, '\\$&').replace(/@/g, '@&#8203;');
}

export function renderCompareMarkdown(r: CompareReport): string {
  const L: string[] = [];
  L.push(`### Checkpoint Lens diff: ${r.verdict.equivalent ? '✅ equivalent' : '❌ not equivalent'}`, '');
  L.push(`**Verdict:** ${r.verdict.parts.map((p) => ('name' in p ? mdCode(p.name) : mdText(p.text))).join('')}`, '');

  L.push('| | A | B |', '|---|---|---|');
  L.push(`| File | ${mdCode(baseName(r.a.path), true)} | ${mdCode(baseName(r.b.path), true)} |`);
  L.push(`| Format | ${mdText(r.a.format)} | ${mdText(r.b.format)} |`);
  if (r.a.layout || r.b.layout) L.push(`| Layout | ${mdText(layoutLabel(r.a.layout))} | ${mdText(layoutLabel(r.b.layout))} |`);
  L.push(`| Tensors | ${formatCount(r.a.tensors)} | ${formatCount(r.b.tensors)} |`);
  L.push(`| Parameters | ${formatCount(r.a.parameters)} | ${formatCount(r.b.parameters)} |`);
  L.push(`| Size | ${formatBytes(r.a.bytes)} | ${formatBytes(r.b.bytes)} |`, '');

  const c = r.counts;
  const tol = r.tolerance.rtol === undefined && r.tolerance.atol === undefined ? 'per-dtype defaults' : `rtol ${r.tolerance.rtol ?? 'per dtype'}, atol ${r.tolerance.atol ?? 'per dtype'}`;
  L.push(
    `**${c.matched} matched pairs** (${r.matching === 'name' ? 'by name' : 'through the cross-layout mapping'}): ${c.identical} identical, ${c.equal} equal after transform, ${c.close} within tolerance, ${c.different} different, ${c.shapeMismatch} shape mismatch, ${c.unreadable} unreadable. ${c.onlyA} only in A, ${c.onlyB} only in B. Tolerance: ${mdText(tol)}.`,
    '',
  );

  L.push('#### Per tower', '', '| Tower | Matched | Identical | Equal | Within tol. | Different | Shape | Unreadable | Only in A | Only in B | Meaning |', '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|');
  for (const t of r.towers) {
    const meaning = t.meaning ? `${mdText(t.meaning)}${t.allowed ? ' (allowed)' : ''}` : '';
    L.push(`| ${t.tower} | ${t.matched} | ${t.identical} | ${t.equal} | ${t.close} | ${t.different} | ${t.shapeMismatch} | ${t.unreadable} | ${t.onlyA.length} | ${t.onlyB.length} | ${meaning} |`);
  }
  L.push('');

  const byKey = new Map(r.pairs.map((p) => [p.key, p]));
  const worst = r.worst.map((k) => byKey.get(k)).filter((p): p is PairResult => p !== undefined);
  if (worst.length) {
    L.push('#### Differ most', '', '| Tensor | Status | Max abs diff | Max rel diff | RMS diff | Cosine | Beyond tolerance |', '|---|---|--:|--:|--:|--:|--:|');
    for (const p of worst) L.push(statRow(p));
    L.push('');
    const noted = worst.filter((p) => p.notes.length);
    if (noted.length) {
      L.push(...details(`Notes on these ${noted.length} tensors`, noted.flatMap((p) => p.notes.map((n) => `- ${mdCode(p.key)}: ${mdText(n)}`))));
    }
  }

  const transformed = r.pairs.filter((p) => p.a.transform !== 'identity' || p.b.transform !== 'identity');
  if (transformed.length) {
    const rows = transformed.slice(0, MAX_ROWS).map((p) => `| ${mdCode(p.key, true)} | ${sideCell(p.a)} | ${sideCell(p.b)} | ${STATUS_LABEL[p.status]} |`);
    L.push(...details(`Transforms used (${transformed.length} pairs)`, ['| Compared as | A | B | Result |', '|---|---|---|---|', ...rows, ...more(transformed.length)]));
  }
  for (const [label, list] of [
    ['Only in A (dropped by B)', r.onlyA],
    ['Only in B (added by B)', r.onlyB],
  ] as const) {
    if (list.length) L.push(...details(`${label}: ${list.length} ${list.length === 1 ? 'tensor' : 'tensors'}`, unmatchedTable(list)));
  }
  const rows = r.pairs.slice(0, MAX_ROWS).map((p) => `| ${mdCode(p.key, true)} | ${STATUS_LABEL[p.status]} | ${p.a.dtype} → ${p.b.dtype} | ${shapeText(p.shape)} | ${num(p.stats?.maxAbs)} |`);
  L.push(...details(`All ${r.pairs.length} matched pairs`, ['| Tensor | Status | dtype | Shape | Max abs diff |', '|---|---|---|---|--:|', ...rows, ...more(r.pairs.length)]));
  if (r.notes.length) L.push(...details('Notes', r.notes.map((n) => `- ${mdText(n)}`)));
  L.push(`<sub>Compared ${formatBytes(r.timing.bytesRead)} in ${r.timing.seconds.toFixed(1)} s by checkpoint-lens diff.</sub>`);
  return L.join('\n') + '\n';
}

function statRow(p: PairResult): string {
  const s = p.stats;
  if (!s) return `| ${mdCode(p.key, true)} | ${STATUS_LABEL[p.status]} | – | – | – | – | – |`;
  return `| ${mdCode(p.key, true)} | ${STATUS_LABEL[p.status]} | ${num(s.maxAbs)} | ${num(s.maxRel)} | ${num(s.rms)} | ${cos(s.cosine)} | ${formatCount(s.mismatched)} (${pct(s.mismatched, s.count)}) |`;
}

function sideCell(s: PairResult['a']): string {
  return `${s.names.map((n) => mdCode(n, true)).join(', ')}${s.transform === 'identity' ? '' : ` (${s.transform})`}`;
}

function unmatchedTable(list: readonly UnmatchedTensor[]): string[] {
  return [
    '| Tensor | Tower | dtype | Shape |',
    '|---|---|---|---|',
    ...list.slice(0, MAX_ROWS).map((u) => `| ${mdCode(u.name, true)} | ${u.tower} | ${u.dtype} | ${shapeText(u.shape)}${u.allZero ? ' (all zeros)' : ''} |`),
    ...more(list.length),
  ];
}

function more(n: number): string[] {
  return n > MAX_ROWS ? ['', `… and ${n - MAX_ROWS} more (run with --json for all).`] : [];
}

/** A collapsible block: the blank lines let GitHub parse the Markdown inside the HTML. */
function details(summary: string, body: string[]): string[] {
  return ['<details>', `<summary>${summary}</summary>`, '', ...body, '', '</details>', ''];
}

function baseName(p: string): string {
  const i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
  return i >= 0 ? p.slice(i + 1) : p;
}
