import { openCheckpoint } from '../../formats/open.js';
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
    const results: TensorStats[] = [];
    // Tensors whose values cannot be decoded (GGUF types without a dequantiser yet) are listed, not fatal.
    const skipped: { name: string; dtype: string; code: string; reason: string }[] = [];
    let i = 0;
    for (const t of selected) {
      if (!t) continue;
      progressLine(`stats ${++i}/${selected.length} ${t.name}`);
      if (t.encoding && !t.encoding.decodable) {
        skipped.push({ name: t.name, dtype: t.encoding.type, code: 'gguf-values-not-decodable', reason: `values of ${t.encoding.type} tensors are not decodable yet` });
        continue;
      }
      const s = await tensorStatsParallel(t, { bins });
      // Quantised tensors: report the stored type (the statistics are of the dequantised values).
      results.push(t.encoding ? { ...s, dtype: t.encoding.type } : s);
    }
    progressDone();
    if (args.flags.has('json')) {
      process.stdout.write(JSON.stringify({ schemaVersion: 1, path: r.value.path, tensors: results, ...(skipped.length ? { skipped } : {}) }, null, 1) + '\n');
    } else {
      for (const s of results) process.stdout.write(renderStats(s) + '\n');
      for (const s of skipped) process.stdout.write(`${safeText(s.name)}  ${s.dtype}  values not decodable yet\n`);
    }
    const bad = results.some((s) => s.nan > 0 || s.posInf > 0 || s.negInf > 0);
    // NaN/Inf in weights is an error-severity finding: loading would succeed and produce garbage.
    return bad ? 1 : 0;
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
