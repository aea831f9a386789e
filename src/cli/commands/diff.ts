import { compareCheckpoints, type CompareOptions } from '../../compare/compare.js';
import { hasErrors } from '../../core/problems.js';
import { openCheckpoint } from '../../formats/open.js';
import { renderCompareMarkdown } from '../../compare/render/markdown.js';
import { renderCompareText } from '../../compare/render/text.js';
import { TOWERS, type Tower } from '../../compare/types.js';
import { parseArgs, UsageError } from '../args.js';
import { formatBytes, progressDone, progressLine, safeText } from '../output.js';
import type { CliCommand } from '../registry.js';

export const DIFF_USAGE = 'usage: checkpoint-lens diff A B [--json|--markdown] [--rtol X] [--atol Y] [--map auto|none] [--allow-missing TOWER,...]';

export interface DiffIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly progress?: (s: string) => void;
  readonly signal?: AbortSignal;
}

/**
 * `diff A B`: exit 0 equivalent within tolerance, 1 differences or drops beyond what
 * --allow-missing/tolerances permit, 2 unreadable input or bad usage. Separated from the
 * process (DiffIo) so tests run it in-process.
 */
export async function runDiff(argv: string[], io: DiffIo): Promise<number> {
  const fail = (msg: string) => {
    io.err(`checkpoint-lens: error: ${safeText(msg)}\n`);
    return 2;
  };
  let opts: CompareOptions;
  let format: 'text' | 'json' | 'markdown';
  let a: string;
  let b: string;
  try {
    const args = parseArgs(argv, { booleans: ['json', 'markdown'], strings: ['rtol', 'atol', 'map', 'allow-missing'] });
    if (args.positional.length !== 2) throw new UsageError(DIFF_USAGE);
    [a, b] = args.positional as [string, string];
    if (args.flags.has('json') && args.flags.has('markdown')) throw new UsageError('--json and --markdown are exclusive');
    format = args.flags.has('json') ? 'json' : args.flags.has('markdown') ? 'markdown' : 'text';
    const map = args.values.get('map') ?? 'auto';
    if (map !== 'auto' && map !== 'none') throw new UsageError('--map must be auto or none');
    const rtol = tolFlag(args.values.get('rtol'), 'rtol');
    const atol = tolFlag(args.values.get('atol'), 'atol');
    const allow = (args.values.get('allow-missing') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    const bad = allow.filter((t) => !(TOWERS as readonly string[]).includes(t));
    if (bad.length) throw new UsageError(`--allow-missing: unknown tower ${bad.map((t) => JSON.stringify(t)).join(', ')} (towers: ${TOWERS.join(', ')})`);
    opts = { map, ...(rtol !== undefined ? { rtol } : {}), ...(atol !== undefined ? { atol } : {}), allowMissing: allow as Tower[] };
  } catch (e) {
    if (e instanceof UsageError) return fail(e.message);
    throw e;
  }
  // Opened here (not through compareFiles) so that a file with error-severity problems exits 1
  // like inspect and stats do, even when the two files are equivalent.
  const [ra, rb] = await Promise.all([openCheckpoint(a), openCheckpoint(b)]);
  if (!ra.ok) return fail(`${ra.error.code}: A (${a}): ${ra.error.message}`);
  if (!rb.ok) return fail(`${rb.error.code}: B (${b}): ${rb.error.message}`);
  const report = await compareCheckpoints(ra.value, rb.value, opts, {
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: (p) => io.progress?.(`diff ${p.pairsDone}/${p.pairsTotal} ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} ${p.current ?? ''}`),
  });
  io.progress?.('');
  if (format === 'json') io.out(JSON.stringify(report, null, 1) + '\n');
  else if (format === 'markdown') io.out(renderCompareMarkdown(report));
  else io.out(renderCompareText(report));
  const broken = [['A', ra.value], ['B', rb.value]] as const;
  for (const [side, c] of broken) {
    if (hasErrors(c.problems)) io.err(`checkpoint-lens: error: ${side} has error-severity problems: ${safeText(c.problems.filter((p) => p.severity === 'error').slice(0, 5).map((p) => p.code).join(', '))} (run inspect for details)\n`);
  }
  return report.verdict.equivalent && !hasErrors(ra.value.problems) && !hasErrors(rb.value.problems) ? 0 : 1;
}

function tolFlag(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < 0) throw new UsageError(`--${name} must be a number ≥ 0`);
  return x;
}

export const diffCommand: CliCommand = {
  async run(argv) {
    const code = await runDiff(argv, {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      progress: (s) => (s ? progressLine(s) : progressDone()),
    });
    return code;
  },
};
