import { plural } from '../../shared/text.js';
import { convertCheckpoint, type ConvertOptions, type ConvertReport } from '../../convert/convert.js';
import { ALLOW_TOWERS, type AllowTower } from '../../convert/plan.js';
import type { ConvertTargetKind } from '../../convert/layoutAdapter.js';
import { parseArgs, UsageError } from '../args.js';
import { formatBytes, progressDone, progressLine, safeText } from '../output.js';
import type { CliCommand } from '../registry.js';

export const CONVERT_USAGE = 'usage: checkpoint-lens convert IN --to openclip|hf|timm -o OUT [--fill-from DONOR ...] [--dtype F32|F16|BF16] [--allow-missing TOWER,...] [--force] [--json]';

export interface ConvertIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly progress?: (s: string) => void;
  readonly signal?: AbortSignal;
}

/** `convert`: exit 0 written and verified, 2 bad usage / unreadable / incompatible / incomplete / interrupted (no file written). */
export async function runConvert(argv: string[], io: ConvertIo): Promise<number> {
  const fail = (code: string, msg: string) => {
    io.err(`checkpoint-lens: error: ${code}: ${msg.split('\n').map(safeText).join('\n')}\n`);
    return 2;
  };
  let opts: ConvertOptions;
  let json: boolean;
  try {
    const args = parseArgs(
      argv.map((a) => (a === '-o' ? '--o' : a)),
      { booleans: ['json', 'force'], strings: ['to', 'o', 'output', 'dtype', 'allow-missing'], multi: ['fill-from'] },
    );
    if (args.positional.length !== 1) throw new UsageError(CONVERT_USAGE);
    const to = args.values.get('to');
    if (to !== 'openclip' && to !== 'hf' && to !== 'timm') throw new UsageError(`--to must be openclip, hf or timm\n${CONVERT_USAGE}`);
    const output = args.values.get('o') ?? args.values.get('output');
    if (!output) throw new UsageError(`-o OUT is required\n${CONVERT_USAGE}`);
    const dtype = args.values.get('dtype')?.toUpperCase();
    if (dtype !== undefined && dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw new UsageError('--dtype must be F32, F16 or BF16');
    const allow = (args.values.get('allow-missing') ?? '')
      .split(',')
      .map((s) => s.trim().replace('-', '_'))
      .filter(Boolean);
    const bad = allow.filter((t) => !(ALLOW_TOWERS as readonly string[]).includes(t));
    if (bad.length) throw new UsageError(`--allow-missing: unknown tower ${bad.map((t) => JSON.stringify(t)).join(', ')} (towers: ${ALLOW_TOWERS.join(', ')})`);
    json = args.flags.has('json');
    opts = {
      input: args.positional[0]!,
      to: to as ConvertTargetKind,
      output,
      donors: args.lists.get('fill-from') ?? [],
      ...(dtype ? { dtype } : {}),
      allowMissing: allow as AllowTower[],
      force: args.flags.has('force'),
    };
  } catch (e) {
    if (e instanceof UsageError) return fail('convert-usage', e.message);
    throw e;
  }
  const r = await convertCheckpoint(opts, {
    ...(io.signal ? { signal: io.signal } : {}),
    onProgress: (p) => io.progress?.(`convert ${p.tensorsDone}/${p.tensorsTotal} ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} ${p.current ?? ''}`),
  });
  io.progress?.('');
  if (!r.ok) {
    if (json) io.out(JSON.stringify({ ok: false, error: r.error }, null, 1) + '\n');
    const missing = r.error.missing?.length ? `\n  still missing (${r.error.missing.length}):\n${r.error.missing.slice(0, 40).map((m) => `    ${safeText(m.name)} [${m.shape.join(', ')}] (${m.tower})`).join('\n')}${r.error.missing.length > 40 ? `\n    … ${r.error.missing.length - 40} more` : ''}` : '';
    return fail(r.error.code, r.error.message + missing);
  }
  if (json) io.out(JSON.stringify({ ok: true, ...r.report }, null, 1) + '\n');
  else io.out(renderSummary(r.report));
  return 0;
}

export function renderSummary(r: ConvertReport): string {
  const L: string[] = [];
  L.push(`Wrote ${safeText(r.output)} (${r.target}: ${r.family}, ${r.tensors} tensors, ${formatBytes(r.bytes)}, config ${safeText(r.config)})`);
  if (r.sideConfig) L.push(`  config: ${safeText(r.sideConfig)}`);
  for (const s of r.sources) L.push(`  ${s.label.padEnd(7)} ${safeText(s.path)} (${s.family})`);
  L.push('Tensors by tower (source):');
  for (const [tower, t] of Object.entries(r.byTower)) L.push(`  ${tower.padEnd(11)} ${String(t.tensors).padStart(5)}  ${Object.entries(t.from).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  L.push(`Operations: ${Object.entries(r.operations).map(([k, n]) => `${k} ${n}`).join(', ')}`);
  if (r.dropped.length) L.push(`Dropped from the input (the ${r.target} layout has no place for them): ${r.dropped.map((d) => `${d.tower} ${d.count} (e.g. ${d.examples.map(safeText).join(', ')})`).join('; ')}`);
  if (r.omitted.length) L.push(`Left out (--allow-missing): ${plural(r.omitted.length, 'tensor')}: ${r.omitted.slice(0, 5).map((o) => safeText(o.name)).join(', ')}${r.omitted.length > 5 ? ', …' : ''}`);
  const v = r.verification;
  L.push(`Verified: re-opened, ${v.complete ? 'complete for the target' : 'NOT complete'}; ${v.spotChecks} values spot-checked against the sources, ${v.spotMismatches} differ`);
  for (const n of r.notes) L.push(`Note: ${safeText(n)}`);
  for (const a of r.assumed) L.push(`Assumed: ${safeText(a)}`);
  return L.join('\n') + '\n';
}

export const convertCommand: CliCommand = {
  async run(argv) {
    const ac = new AbortController();
    const onSig = () => ac.abort();
    // `on`, not `once`: a second Ctrl-C must not kill the process before it removes its temporary file.
    process.on('SIGINT', onSig);
    process.on('SIGTERM', onSig);
    try {
      return await runConvert(argv, {
        out: (s) => process.stdout.write(s),
        err: (s) => process.stderr.write(s),
        progress: (s) => (s ? progressLine(s) : progressDone()),
        signal: ac.signal,
      });
    } finally {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    }
  },
};
