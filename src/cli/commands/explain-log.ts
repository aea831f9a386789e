import { readFile, stat } from 'node:fs/promises';
import { analyzeCheckpoint } from '../../analysis/analyze.js';
import { explainLog, explainLogExitCode, parseLoadLog, type LogExplanation, type LogFinding, type ReportExplanation } from '../../analysis/explainLog.js';
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
    return explainLogExitCode(ex);
  },
};

const SOURCE_WORD: Record<string, string> = {
  transformers: 'transformers (v3/v4 warning)',
  'transformers-v5': 'transformers v5 load report',
  pytorch: 'PyTorch load_state_dict',
  timm: 'timm',
  diffusers: 'diffusers',
  peft: 'PEFT adapter load',
};
const KIND_WORD: Record<string, string> = { 'init-warning': 'loaded with warnings', 'strict-failure': 'raised (strict load)', 'non-strict': 'strict=False result' };
const VERDICT_WORD: Record<string, string> = {
  'load-failed': 'LOAD FAILED',
  'weights-lost': 'WEIGHTS LOST (random or not loaded)',
  check: 'CHECK (see warnings)',
  'train-before-use': 'OK — train before use (new task head)',
  fine: 'OK — nothing of value lost',
};

function renderFinding(out: string[], f: LogFinding, indent: string): void {
  out.push(`${indent}${f.severity.toUpperCase().padEnd(7)} ${f.code}: ${safeText(f.message)}`);
  if (f.tensors?.length) out.push(`${indent}        ${f.tensors.slice(0, 5).map(safeText).join(', ')}${(f.tensorCount ?? 0) > 5 ? `, … (${f.tensorCount} in all)` : ''}`);
  for (const e of f.evidence?.slice(0, 5) ?? []) out.push(`${indent}        · ${safeText(e)}`);
}

function renderReport(out: string[], r: ReportExplanation, n: number): void {
  const who = r.modelClass ? safeText(r.modelClass) : '(model class not in the log)';
  out.push(`[${r.index + 1}/${n}] ${who}${r.checkpoint ? ` ← ${safeText(r.checkpoint)}` : ''}`);
  out.push(`      ${SOURCE_WORD[r.source] ?? r.source}, ${KIND_WORD[r.kind] ?? r.kind}, line ${r.line}${r.repeats > 1 ? `, ${r.repeats}× in the log` : ''}`);
  out.push(`      ${r.counts.missing} missing, ${r.counts.unexpected} unused, ${r.counts.mismatched} shape-mismatched${r.elided ? ' (lists elided: lower bounds)' : ''}`);
  out.push(`      verdict: ${VERDICT_WORD[r.verdict] ?? r.verdict}`);
  for (const f of r.findings) renderFinding(out, f, '      ');
}

function renderExplanation(ex: LogExplanation): string {
  const out: string[] = [];
  const n = ex.reports.length;
  out.push(n ? `log         ${n} loading report${n === 1 ? '' : 's'} (${[...new Set(ex.reports.map((r) => r.source))].join(', ')})` : 'log         no loading messages recognised');
  if (ex.file) out.push(`file        ${ex.file.family}${ex.file.variant ? ` ${ex.file.variant}` : ''}; ${ex.file.missingPresentByName} missing names present as-is, ${ex.file.missingPresentInOtherLayout} present in another layout`);
  for (const r of ex.reports) {
    out.push('');
    renderReport(out, r, n);
  }
  const global = ex.findings.filter((f) => f.report < 0);
  if (global.length) {
    out.push('');
    for (const f of global) renderFinding(out, f, '');
  }
  return out.join('\n') + '\n';
}
