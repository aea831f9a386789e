import { CheckpointLensError } from '../../core/result.js';
import { tensorValues, type ValuesResult } from '../../core/tensorValues.js';
import { openCheckpoint } from '../../formats/open.js';
import { parseArgs, UsageError } from '../args.js';
import { safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';

export { tensorValues, type ValuesResult } from '../../core/tensorValues.js';

export const VALUES_USAGE = 'usage: checkpoint-lens values FILE --tensor NAME [--offset K] [--count N] [--json]';
/** At most this many values per call (a preview, not an export). */
export const MAX_VALUES = 1_000_000;

function intFlag(v: string | undefined, name: string, dflt: number, max: number): number {
  if (v === undefined) return dflt;
  const x = Number(v);
  if (v.trim() === '' || !Number.isSafeInteger(x) || x < 0 || x > max) throw new UsageError(`--${name} must be an integer from 0 to ${max}`);
  return x;
}

export const valuesCommand: CliCommand = {
  async run(argv) {
    let file: string;
    let name: string;
    let offset: number;
    let count: number;
    let json: boolean;
    try {
      const args = parseArgs(argv, { booleans: ['json'], strings: ['tensor', 'offset', 'count'] });
      if (args.positional.length !== 1 || !args.values.has('tensor')) throw new UsageError(VALUES_USAGE);
      file = args.positional[0]!;
      name = args.values.get('tensor')!;
      offset = intFlag(args.values.get('offset'), 'offset', 0, Number.MAX_SAFE_INTEGER);
      count = intFlag(args.values.get('count'), 'count', 16, MAX_VALUES);
      json = args.flags.has('json');
    } catch (e) {
      if (e instanceof UsageError) {
        writeError(e.message);
        return 2;
      }
      throw e;
    }
    const r = await openCheckpoint(file);
    if (!r.ok) {
      writeError(`${r.error.code}: ${r.error.message}`);
      return 2;
    }
    const t = r.value.tensors.find((x) => x.name === name);
    if (!t) {
      const u = r.value.unreadable.find((x) => x.name === name);
      writeError(u ? `tensor-unreadable: ${JSON.stringify(name)} is unreadable: ${u.reason}` : `tensor-not-found: no tensor named ${JSON.stringify(name)}`);
      return 2;
    }
    if (offset > t.elementCount || (offset === t.elementCount && t.elementCount > 0)) {
      writeError(`offset-out-of-range: --offset ${offset} is past the end of ${JSON.stringify(name)} (${t.elementCount} elements)`);
      return 2;
    }
    let res: ValuesResult;
    try {
      res = await tensorValues(t, offset, count);
    } catch (e) {
      if (e instanceof CheckpointLensError) {
        writeError(`${e.code}: ${e.message}`);
        return 2;
      }
      throw e;
    }
    if (json) {
      process.stdout.write(JSON.stringify(res) + '\n');
      return 0;
    }
    const lines = [`${safeText(res.name)}  ${res.dtype}${t.encoding ? ' (dequantised)' : ''}  [${res.shape.join(', ')}]  elements ${offset}..${offset + res.values.length - 1} of ${t.elementCount}`];
    for (let i = 0; i < res.values.length; i += 8) {
      const row = res.values.slice(i, i + 8).map((v) => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toPrecision(7)) : v).padStart(14));
      lines.push(`${String(offset + i).padStart(10)}: ${row.join('')}`);
    }
    process.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
