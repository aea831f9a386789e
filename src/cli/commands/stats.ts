import { plural } from '../../shared/text.js';
import { openCheckpoint } from '../../formats/open.js';
import type { TensorInfo } from '../../core/checkpoint.js';
import { hasErrors } from '../../core/problems.js';
import { planReads } from '../../stats/readPlan.js';
import { tensorStatsParallel } from '../../stats/parallelStats.js';
import type { TensorStats } from '../../stats/tensorStats.js';
import { parseArgs } from '../args.js';
import { formatCount, progressDone, progressLine, safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';

export const statsCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, { booleans: ['json'], multi: ['tensor'], strings: ['bins'] });
    const [file, ...extra] = args.positional;
    if (!file || extra.length) {
      writeError('usage: checkpoint-lens stats FILE [--tensor NAME ...] [--json] [--bins N]');
      return 2;
    }
    const bins = args.values.has('bins') ? Number(args.values.get('bins')) : 64;
    if (!Number.isInteger(bins) || bins < 1 || bins > 4096) {
      writeError('--bins must be an integer from 1 to 4096');
      return 2;
    }
    const r = await openCheckpoint(file);
    if (!r.ok) {
      writeError(`${r.error.code}: ${r.error.message}`);
      return 2;
    }
    const wanted = args.lists.get('tensor');
    const byName = new Map(r.value.tensors.map((t) => [t.name, t]));
    const selected = wanted ? wanted.map((n) => byName.get(n)) : [...r.value.tensors];
    const unknown = wanted?.filter((n) => !byName.has(n)) ?? [];
    if (unknown.length) {
      writeError(`no readable tensor named ${unknown.map((n) => JSON.stringify(safeText(n))).join(', ')}`);
      return 2;
    }
    // Tensors whose values cannot be decoded (GGUF types without a dequantiser yet) are listed, not fatal.
    const skipped: { name: string; dtype: string; code: string; reason: string }[] = [];
    const decodable: TensorInfo[] = [];
    for (const t of selected) {
      if (!t) continue;
      if (t.encoding && !t.encoding.decodable) skipped.push({ name: t.name, dtype: t.encoding.type, code: 'gguf-values-not-decodable', reason: `values of ${t.encoding.type} tensors are not decodable yet` });
      else decodable.push(t);
    }
    const plan = planReads(r.value, decodable);
    if (!plan.ok) {
      writeError(`${plan.error.code}: ${plan.error.message}`);
      return 2;
    }
    const computed = new Map<string, TensorStats>();
    let i = 0;
    for (const t of plan.value.distinct) {
      progressLine(`stats ${++i}/${plan.value.distinct.length} ${t.name}`);
      const s = await tensorStatsParallel(t, { bins });
      // Quantised tensors: report the stored type (the statistics are of the dequantised values).
      computed.set(t.name, t.encoding ? { ...s, dtype: t.encoding.type } : s);
    }
    progressDone();
    // Tensors with the very same bytes as an earlier one share its statistics (read once).
    const results: TensorStats[] = [];
    for (const t of decodable) {
      const s = computed.get(t.name) ?? computed.get(plan.value.sameAs.get(t.name) ?? '');
      if (s) results.push(s.name === t.name ? s : { ...s, name: t.name });
    }
    if (args.flags.has('json')) {
      process.stdout.write(JSON.stringify({ schemaVersion: 1, path: r.value.path, tensors: results, ...(skipped.length ? { skipped } : {}) }, null, 1) + '\n');
    } else {
      for (const s of results) process.stdout.write(renderStats(s) + '\n');
      for (const s of skipped) process.stdout.write(`${safeText(s.name)}  ${s.dtype}  values not decodable yet\n`);
    }
    const bad = results.some((s) => s.nan > 0 || s.posInf > 0 || s.negInf > 0);
    // NaN/Inf in weights is an error-severity finding: loading would succeed and produce garbage.
    // A file with error-severity problems (what inspect flags) exits 1 here too.
    if (hasErrors(r.value.problems)) {
      const errors = r.value.problems.filter((p) => p.severity === 'error');
      writeError(`the checkpoint has ${plural(errors.length, 'error-severity problem')}: ${errors.slice(0, 5).map((p) => p.code).join(', ')} (run inspect for details)`);
    }
    return bad || hasErrors(r.value.problems) ? 1 : 0;
  },
};

function fmt(x: number | null): string {
  return x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(6);
}

export function renderStats(s: TensorStats): string {
  const lines = [
    `${safeText(s.name)}  ${s.dtype}  n=${formatCount(s.count)}`,
    `  min ${fmt(s.min)}  max ${fmt(s.max)}  mean ${fmt(s.mean)}  std ${fmt(s.std)}`,
    `  NaN ${s.nan}  +Inf ${s.posInf}  -Inf ${s.negInf}  zeros ${formatCount(s.zeros)}`,
  ];
  const peak = Math.max(1, ...s.histogram.counts);
  const bars = s.histogram.counts.map((c) => ' ▁▂▃▄▅▆▇█'[c === 0 ? 0 : Math.max(1, Math.round((c / peak) * 8))]).join('');
  if (bars) lines.push(`  hist [${fmt(s.histogram.edges[0] ?? null)} … ${fmt(s.histogram.edges[s.histogram.edges.length - 1] ?? null)}] ${bars}`);
  return lines.join('\n');
}
