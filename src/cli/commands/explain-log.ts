import { readFile, stat } from 'node:fs/promises';
import { analyzeCheckpoint } from '../../analysis/analyze.js';
import { explainLog, parseLoadLog, type LogExplanation } from '../../analysis/explainLog.js';
import { openCheckpoint } from '../../formats/open.js';
import { normalizeNames, toCanonical } from '../../layouts/canonical.js';
import { parseArgs } from '../args.js';
import { safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';

/** Logs are text; anything bigger than this is not a loading log. */
const MAX_LOG_BYTES = 64 << 20;

async function readLog(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of process.stdin) {
      size += (c as Buffer).length;
      if (size > MAX_LOG_BYTES) throw new Error(`log-too-large: stdin is above the ${MAX_LOG_BYTES}-byte limit`);
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }
  const s = await stat(path);
  if (s.size > MAX_LOG_BYTES) throw new Error(`log-too-large: ${path} is ${s.size} bytes, above the ${MAX_LOG_BYTES}-byte limit`);
  return readFile(path, 'utf8');
}

export const explainLogCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, { booleans: ['json'], strings: ['file'] });
    const [log, ...extra] = args.positional;
    if (!log || extra.length) {
      writeError('usage: checkpoint-lens explain-log LOG|- [--file CHECKPOINT] [--json]');
      return 2;
    }
    let text: string;
    try {
      text = await readLog(log);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      writeError(code === 'ENOENT' ? `file-not-found: ${log} does not exist` : e instanceof Error ? e.message : String(e));
      return 2;
    }
    const parsed = parseLoadLog(text);
    let ex: LogExplanation;
    const file = args.values.get('file');
    if (file !== undefined) {
      const r = await openCheckpoint(file);
      if (!r.ok) {
        writeError(`${r.error.code}: ${r.error.message}`);
        return 2;
      }
      const a = await analyzeCheckpoint(r.value, { valueBudgetBytes: 0 });
      if (!a.ok) {
        writeError(`${a.error.code}: ${a.error.message}`);
        return 2;
      }
      const view = toCanonical(r.value.tensors, a.value.architecture.family);
      ex = explainLog(parsed, { analysis: a.value, tensorNames: new Set(normalizeNames(r.value.tensors).map((x) => x.name)), canonicalNames: new Set(view.tensors.keys()) });
    } else ex = explainLog(parsed);
    if (args.flags.has('json')) process.stdout.write(JSON.stringify(ex) + '\n');
    else process.stdout.write(renderExplanation(ex));
    return ex.findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};

function renderExplanation(ex: LogExplanation): string {
  const p = ex.parsed;
  const out: string[] = [];
  out.push(`log         ${p.sources.join(', ') || 'no loading messages recognised'}${p.modelClass ? ` (model ${safeText(p.modelClass)})` : ''}`);
  out.push(`tensors     ${p.missing.length} missing, ${p.unexpected.length} unexpected, ${p.mismatched.length} shape-mismatched; names in ${ex.family} layout`);
  if (ex.file) out.push(`file        ${ex.file.family}${ex.file.variant ? ` ${ex.file.variant}` : ''}; ${ex.file.missingPresentByName} missing names present as-is, ${ex.file.missingPresentInOtherLayout} present in another layout`);
  if (ex.towers.length) {
    out.push('', 'By tower');
    for (const t of ex.towers) out.push(`  ${t.tower.padEnd(11)} ${t.missing} missing${t.wholeMissing ? ' (the whole tower)' : ''}, ${t.unexpected} unexpected, ${t.mismatched} mismatched`);
  }
  out.push('', 'What it means');
  for (const f of ex.findings) {
    out.push(`  ${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${safeText(f.message)}`);
    if (f.tensors?.length) out.push(`          ${f.tensors.slice(0, 5).map(safeText).join(', ')}${(f.tensorCount ?? 0) > 5 ? `, … (${f.tensorCount} in all)` : ''}`);
    for (const e of f.evidence?.slice(0, 5) ?? []) out.push(`          · ${safeText(e)}`);
  }
  return out.join('\n') + '\n';
}
