import { formatBytes, formatCount, safeText } from '../../cli/output.js';
import { layoutLabel } from '../verdict.js';
import type { CompareReport, PairResult, SideSummary } from '../types.js';
import { cos, num, pct, shapeText, sideText, STATUS_LABEL } from './format.js';

const MAX_LISTED = 12;

/** Terminal rendering. Every attacker-controlled string goes through `safeText`. */
export function renderCompareText(r: CompareReport): string {
  const out: string[] = [];
  out.push(`${r.verdict.equivalent ? 'EQUIVALENT' : 'DIFFERENT'}: ${safeText(r.verdict.sentence)}`, '');
  out.push(side('A', r.a), side('B', r.b));
  out.push(
    `matching: ${r.matching === 'name' ? 'by tensor name' : `through the cross-layout mapping (${layoutLabel(r.a.layout)} ↔ ${layoutLabel(r.b.layout)})`}; ` +
      `tolerance: ${tolText(r)}${r.allowMissing.length ? `; allowed to differ in presence: ${r.allowMissing.join(', ')}` : ''}`,
  );
  out.push('');
  const c = r.counts;
  out.push(
    `pairs: ${c.matched} matched (${c.identical} identical, ${c.equal} equal after transform/upcast, ${c.close} within tolerance, ${c.different} different, ${c.shapeMismatch} shape mismatch, ${c.unreadable} unreadable); ${c.onlyA} only in A, ${c.onlyB} only in B`,
  );
  out.push('');
  out.push('per tower:');
  const head = ['tower', 'matched', 'identical', 'equal', 'close', 'different', 'shape', 'unreadable', 'only A', 'only B'];
  const rows = r.towers.map((t) => [t.tower, t.matched, t.identical, t.equal, t.close, t.different, t.shapeMismatch, t.unreadable, t.onlyA.length, t.onlyB.length].map(String));
  out.push(...table([head, ...rows]).map((l) => `  ${l}`));
  for (const t of r.towers) {
    if (t.meaning) out.push(`  ${t.tower}: ${t.meaning}${t.allowed ? ' (allowed)' : ''}`);
  }
  const byKey = new Map(r.pairs.map((p) => [p.key, p]));
  const worst = r.worst.map((k) => byKey.get(k)).filter((p): p is PairResult => p !== undefined);
  if (worst.length) {
    out.push('', 'differ most:');
    for (const p of worst.slice(0, 10)) out.push(...pairLines(p));
    if (worst.length > 10) out.push(`  … ${worst.length - 10} more in --json / --markdown`);
  }
  const transformed = r.pairs.filter((p) => p.a.transform !== 'identity' || p.b.transform !== 'identity');
  if (transformed.length) {
    out.push('', `transforms used (${transformed.length} pairs):`);
    for (const p of transformed.slice(0, MAX_LISTED)) out.push(`  ${safeText(p.key)}: A ${safeText(sideText(p.a))} ↔ B ${safeText(sideText(p.b))} → ${STATUS_LABEL[p.status]}`);
    if (transformed.length > MAX_LISTED) out.push(`  … ${transformed.length - MAX_LISTED} more (--json lists every pair)`);
  }
  for (const [label, list] of [
    ['only in A (dropped by B)', r.onlyA],
    ['only in B (added by B)', r.onlyB],
  ] as const) {
    if (!list.length) continue;
    out.push('', `${label}: ${list.length}`);
    const towers = [...new Set(list.map((u) => u.tower))];
    for (const tw of towers) {
      const items = list.filter((u) => u.tower === tw);
      const shown = items.slice(0, MAX_LISTED).map((u) => `${safeText(u.name)} ${u.dtype}${shapeText(u.shape)}${u.allZero ? ' (all zeros)' : ''}`);
      out.push(`  ${tw} (${items.length}): ${shown.join(', ')}${items.length > MAX_LISTED ? `, … ${items.length - MAX_LISTED} more` : ''}`);
    }
  }
  if (r.notes.length) {
    out.push('', 'notes:');
    for (const n of r.notes) out.push(`  ${safeText(n)}`);
  }
  out.push('', `compared ${formatBytes(r.timing.bytesRead)} in ${r.timing.seconds.toFixed(2)} s`);
  return out.join('\n') + '\n';
}

function side(label: string, s: SideSummary): string {
  return `${label}: ${safeText(s.path)}  ${s.format}${s.layout ? `, ${layoutLabel(s.layout)} layout` : ''}, ${formatCount(s.tensors)} tensors, ${formatCount(s.parameters)} parameters, ${formatBytes(s.bytes)}${s.unreadable ? `, ${s.unreadable} unreadable` : ''}`;
}

function tolText(r: CompareReport): string {
  const t = r.tolerance;
  if (t.rtol === undefined && t.atol === undefined) return 'per-dtype defaults';
  return `${t.rtol !== undefined ? `rtol ${t.rtol}` : 'rtol per dtype'}, ${t.atol !== undefined ? `atol ${t.atol}` : 'atol per dtype'}`;
}

function pairLines(p: PairResult): string[] {
  const lines = [`  ${safeText(p.key)}  ${STATUS_LABEL[p.status]}`];
  if (p.stats) {
    const s = p.stats;
    lines.push(
      `    max abs diff ${num(s.maxAbs)}${s.maxAbsAt >= 0 ? ` at flat index ${s.maxAbsAt}` : ''}, max rel diff ${num(s.maxRel)}, rms diff ${num(s.rms)} (${num(s.relRms)} of A's rms), cosine ${cos(s.cosine)}, ` +
        `${formatCount(s.mismatched)} of ${formatCount(s.count)} (${pct(s.mismatched, s.count)}) beyond rtol ${p.tolerance.rtol}, atol ${p.tolerance.atol}` +
        (s.nonFiniteMismatch ? `, ${s.nonFiniteMismatch} NaN/Inf mismatches` : ''),
    );
  }
  lines.push(`    A ${safeText(sideText(p.a))} ${p.a.dtype}${shapeText(p.a.shape)} ↔ B ${safeText(sideText(p.b))} ${p.b.dtype}${shapeText(p.b.shape)}`);
  for (const n of p.notes) lines.push(`    ${safeText(n)}`);
  return lines;
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}
