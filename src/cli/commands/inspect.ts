import { openCheckpoint } from '../../formats/open.js';
import { inspectDocument, inspectDocumentJson, type InspectDocument } from '../../core/summary.js';
import { hasErrors } from '../../core/problems.js';
import { buildNameTree, renderNameTree } from '../../core/nameTree.js';
import { parseArgs } from '../args.js';
import { formatBytes, formatCount, safeText, writeError } from '../output.js';
import type { CliCommand } from '../registry.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { analyzeCheckpoint } from '../../analysis/analyze.js';
import { inspectAnalysisJson } from '../../analysis/json.js';
import type { Analysis, TreeNode } from '../../analysis/types.js';
import { TARGET_SYNTAX } from '../../analysis/target.js';
import type { TransformersCheck } from '../../analysis/transformersCheck.js';
import type { BaseModel, PeftCheck } from '../../analysis/peft.js';
import { loadBaseModel } from '../baseModel.js';
import { inspectRepository, isRepositoryInput } from './inspectRepo.js';

export const inspectCommand: CliCommand = {
  async run(argv) {
    const args = parseArgs(argv, { booleans: ['json', 'no-values', 'no-config', 'header-only'], strings: ['target', 'value-budget-mb', 'class', 'base'] });
    const [file, ...extra] = args.positional;
    if (!file || extra.length) {
      writeError(`usage: checkpoint-lens inspect FILE [--json] [--header-only] [--target T] [--class XForY] [--base DIR] [--no-values] [--value-budget-mb N] [--no-config]; T is ${TARGET_SYNTAX}`);
      return 2;
    }
    let budget: number | undefined;
    if (args.flags.has('no-values')) budget = 0;
    else if (args.values.has('value-budget-mb')) {
      const mb = Number(args.values.get('value-budget-mb'));
      if (!Number.isFinite(mb) || mb < 0 || mb > 65536) {
        writeError('--value-budget-mb must be a number from 0 to 65536');
        return 2;
      }
      budget = Math.round(mb * (1 << 20));
    }
    if (isRepositoryInput(file)) {
      const target = args.values.get('target');
      return inspectRepository(file, { json: args.flags.has('json'), noConfig: args.flags.has('no-config'), ...(target !== undefined ? { target } : {}), ...(budget !== undefined ? { budget } : {}) });
    }
    const r = await openCheckpoint(file);
    if (!r.ok) {
      writeError(`${r.error.code}: ${r.error.message}`);
      return 2;
    }
    if (args.flags.has('header-only')) {
      // The reader's view only (no model understanding): what the foundation benchmark times.
      // JSON goes out in pieces of rows: never all rows, nor one 13 MB string, in memory at once.
      if (args.flags.has('json')) {
        for (const piece of inspectDocumentJson(r.value)) process.stdout.write(piece);
        process.stdout.write('\n');
        return hasErrors(r.value.problems) ? 1 : 0;
      }
      const doc = inspectDocument(r.value);
      process.stdout.write(renderInspectText(doc, r.value));
      return doc.hasErrors ? 1 : 0;
    }
    const target = args.values.get('target');
    if (r.value.format === 'gguf' || r.value.format === 'gguf-split') return inspectGguf(r.value, inspectDocument(r.value), target, args.flags.has('json'));
    const modelClass = args.values.get('class');
    let peftBase: BaseModel | undefined;
    const basePath = args.values.get('base');
    if (basePath !== undefined) {
      const b = await loadBaseModel(basePath);
      if (!b.ok) {
        writeError(`${b.error.code}: ${b.error.message}`);
        return 2;
      }
      peftBase = b.value;
    }
    const a = await analyzeCheckpoint(r.value, {
      ...(target !== undefined ? { target } : {}),
      ...(budget !== undefined ? { valueBudgetBytes: budget } : {}),
      ...(args.flags.has('no-config') ? { configDir: null } : {}),
      ...(modelClass !== undefined ? { modelClass } : {}),
      ...(peftBase ? { peftBase } : {}),
    });
    if (!a.ok) {
      writeError(`${a.error.code}: ${a.error.message}`);
      return 2;
    }
    const analysis = a.value;
    // The inspect document (schema 1) gains the analysis fields; nothing of the foundation's is renamed.
    // JSON: written in pieces (the same characters as one JSON.stringify of the merged document).
    if (args.flags.has('json')) writePieces(inspectAnalysisJson(r.value, analysis));
    else process.stdout.write(renderInspectText(inspectDocument(r.value), r.value, analysis));
    // Index only: absent shards are the point (a check before download), not an integrity error.
    const problems = r.value.problems;
    const readerErrors = analysis.indexOnly ? problems.some((p) => p.severity === 'error' && p.code !== 'shard-missing') : hasErrors(problems);
    return readerErrors || analysis.findings.some((f) => f.severity === 'error') ? 1 : 0;
  },
};

/**
 * GGUF: the reader's view plus the GGUF understanding (architecture, tokenizer, quantisation-aware
 * counts, llama-style layout, CLIP projector checks); `--target` names a language model GGUF to
 * check a projector file against.
 */
async function inspectGguf(c: Checkpoint, doc: InspectDocument, target: string | undefined, json: boolean): Promise<number> {
  const { understandGguf } = await import('../../formats/gguf/understand.js');
  const { ggufFilesOf } = await import('../../formats/gguf/file.js');
  const { renderGgufMetadata, renderGgufSummary } = await import('./ggufText.js');
  const gguf = await understandGguf(c, target !== undefined ? { languageModel: target } : {});
  const findings = [...doc.problems, ...gguf.findings];
  const failed = doc.hasErrors || gguf.findings.some((f) => f.severity === 'error');
  if (json) {
    writeJsonLine({ ...doc, gguf, findings });
    return failed ? 1 : 0;
  }
  const text = renderInspectText({ ...doc, metadata: {} }, c, undefined, findings).split('\n');
  const f = ggufFilesOf(c)?.[0];
  // Metadata table and model facts go after the summary lines, before the tensor tree.
  const at = text.indexOf('Tensors') > 0 ? text.indexOf('Tensors') - 1 : 6;
  text.splice(at, 0, ...(f ? renderGgufMetadata(f) : []), ...renderGgufSummary(gguf));
  process.stdout.write(text.join('\n'));
  return failed ? 1 : 0;
}

/**
 * Writes JSON pieces and a newline: small pieces are gathered (fewer writes), large ones written as
 * they are (no copy into a bigger string).
 */
function writePieces(pieces: Iterable<string>): void {
  let pending = '';
  for (const p of pieces) {
    if (p.length < 1 << 14) {
      pending += p;
      if (pending.length < 1 << 16) continue;
      process.stdout.write(pending);
      pending = '';
      continue;
    }
    if (pending) process.stdout.write(pending);
    pending = '';
    process.stdout.write(p);
  }
  process.stdout.write(pending + '\n');
}

/** Writes a (possibly tens of MB) JSON document without copying it again to append the newline. */
function writeJsonLine(value: unknown): void {
  process.stdout.write(JSON.stringify(value));
  process.stdout.write('\n');
}

export function renderInspectText(doc: InspectDocument, c: Checkpoint, analysis?: Analysis, extraFindings?: readonly { code: string; severity: string; message: string; tensors?: readonly string[] }[]): string {
  const out: string[] = [];
  out.push(`${safeText(doc.path)}`);
  out.push(`  format      ${doc.format}${doc.files.length > 1 ? ` (${doc.files.length} shards)` : ''}`);
  out.push(`  tensors     ${formatCount(doc.tensorCount)}${doc.unreadable.length ? ` (+${doc.unreadable.length} unreadable)` : ''}`);
  out.push(`  parameters  ${formatCount(doc.parameterCount)}`);
  out.push(`  bytes       ${formatCount(doc.byteCount)} (${formatBytes(doc.byteCount)})`);
  out.push(`  dtypes      ${Object.entries(doc.dtypes).map(([d, v]) => `${d} ${formatCount(v.parameters)}`).join(', ') || '-'}`);
  const md = Object.entries(doc.metadata);
  if (md.length) {
    out.push('  metadata');
    for (const [k, v] of md.slice(0, 50)) out.push(`    ${safeText(k)}: ${safeText(v.length > 200 ? v.slice(0, 200) + '…' : v)}`);
  }
  if (analysis?.transformers) out.push(...renderTransformersText(analysis.transformers));
  if (analysis?.peft) out.push(...renderPeftText(analysis.peft));
  if (analysis && analysis.architecture.family !== 'unknown' && !analysis.transformers) {
    out.push(...renderAnalysisText(analysis));
  } else {
    const extras = Object.entries(doc.extras);
  if (extras.length) {
    out.push('  non-tensor entries');
    for (const [k, v] of extras.slice(0, 50)) out.push(`    ${safeText(k)}: ${safeText(v.length > 200 ? v.slice(0, 200) + '…' : v)}`);
  }
  out.push('', 'Tensors');
    const tree = buildNameTree(c.tensors);
    for (const line of renderNameTree(tree, (n) => (n.tensor ? `  ${n.tensor.dtype} [${n.tensor.shape.join(', ')}]${n.repeat > 1 ? ` ×${n.repeat}` : ''}` : `  (${formatCount(n.tensorCount)} tensors, ${formatCount(n.parameters)} params${n.repeat > 1 ? `, ×${n.repeat}` : ''})`))) {
      out.push('  ' + safeText(line));
    }
  }
  const findings = analysis ? analysis.findings : (extraFindings ?? doc.problems);
  if (findings.length) {
    out.push('', analysis || extraFindings ? 'Findings' : 'Problems');
    for (const p of findings) {
      out.push(`  ${p.severity.toUpperCase().padEnd(7)} ${p.code}: ${safeText(p.message)}`);
      if (p.tensors?.length) out.push(`          ${p.tensors.slice(0, 5).map(safeText).join(', ')}${p.tensors.length > 5 ? `, … (${'tensorCount' in p && typeof p.tensorCount === 'number' ? p.tensorCount : p.tensors.length} in all)` : ''}`);
      if ('evidence' in p && Array.isArray(p.evidence)) for (const e of p.evidence.slice(0, 6)) out.push(`          · ${safeText(e)}`);
    }
  } else {
    out.push('', analysis || extraFindings ? 'No findings.' : 'No integrity problems.');
  }
  return out.join('\n') + '\n';
}

function renderTransformersText(t: TransformersCheck): string[] {
  const out = ['', 'Architecture (transformers)'];
  out.push(`  model_type  ${safeText(t.modelType)} → ${safeText(t.className)}${t.classKnown ? '' : ' (class not known; default class checked)'}`);
  for (const s of t.subModels) out.push(`  ${(s.label === 'the vision tower' ? 'vision' : 'language').padEnd(11)} ${safeText(s.modelType)} under ${safeText(JSON.stringify(s.prefix))}`);
  out.push(
    `  checked     ${t.matchedTensors}/${t.expectedTensors} expected tensors present${t.namesOnly ? ` (names only for ${t.namesOnlyTensors})` : ''}; ${t.missing.length} missing, ${t.unexpected.length} not used, ${t.mismatched.length} mismatched`,
  );
  if (t.naming !== 'transformers') out.push(`  naming      ${safeText(t.naming)}`);
  if (t.checkpointKind !== 'full') out.push(`  checkpoint  ${t.checkpointKind === 'base' ? 'base model (loaded into the class with its prefix added)' : 'a task class checkpoint checked as the base model'}`);
  if (t.quantization) out.push(`  quantized   ${t.quantization.method}${t.quantization.bits ? ` ${t.quantization.bits}-bit` : ''}: ${formatCount(t.parameters.unpacked)} parameters unpacked (${formatCount(t.parameters.stored)} stored)`);
  return out;
}

function renderPeftText(p: PeftCheck): string[] {
  const c = p.config;
  const out = ['', 'Adapter (PEFT)'];
  out.push(`  type        ${safeText(c.peftType)}${c.useDora ? ' (DoRA)' : ''}, r=${c.r ?? '?'}, alpha=${c.alpha ?? '?'}`);
  out.push(`  targets     ${safeText(p.targets.join(', ') || '-')} (${p.modules.length} modules, ${p.loraTensors} tensors)`);
  if (p.savedModules.length) out.push(`  saved       ${safeText(p.savedModules.slice(0, 6).join(', '))}${p.savedModules.length > 6 ? ', …' : ''}`);
  out.push(`  base        ${p.base ? `${safeText(p.base.source)}: ${p.base.missingModules.length} modules not found, ${p.base.shapeMismatches.length} shape mismatches` : `not checked${c.baseModel ? ` (adapter names ${safeText(JSON.stringify(c.baseModel))})` : ''}`}`);
  return out;
}

const STATUS_MARK: Record<string, string> = { complete: 'complete', incomplete: 'INCOMPLETE', absent: 'ABSENT', 'not-expected': 'not in target', unchecked: 'unchecked' };

/** Architecture, target and the tower tree, with missing tensors marked `MISSING`. */
export function renderAnalysisText(a: Analysis): string[] {
  const out: string[] = [];
  const arch = a.architecture;
  out.push('', 'Model');
  out.push(`  family      ${arch.family}${arch.strippedPrefix ? ` (prefix ${safeText(JSON.stringify(arch.strippedPrefix))} stripped)` : ''}`);
  const cands = arch.candidates.length > 8 ? `${arch.candidates.slice(0, 8).join(', ')}, … (${arch.candidates.length})` : arch.candidates.join(', ');
  const variantText = arch.variantSource === 'shapes-approximate' && arch.variant && !a.target ? `like ${arch.variant}, not checked` : (arch.variant ?? (arch.candidates.length ? `one of ${cands}` : 'no known configuration'));
  out.push(`  variant     ${variantText}${arch.variantSource ? ` (from ${arch.variantSource === 'config' ? arch.config?.file : arch.variantSource === 'shapes-approximate' ? 'the closest shapes' : 'shapes'})` : ''}`);
  const inf = arch.inferred;
  if (inf.vision) out.push(`  vision      ${inf.vision.kind === 'vit' ? `ViT width ${inf.vision.width}, ${inf.vision.layers} layers, patch ${inf.vision.patch}, image ${inf.vision.image}` : `ResNet width ${inf.vision.width}, blocks [${inf.vision.layers.join(', ')}]${inf.vision.image ? `, image ${inf.vision.image}` : ''}`}`);
  if (inf.text) out.push(`  text        width ${inf.text.width}, ${inf.text.layers} layers${inf.text.context ? `, context ${inf.text.context}` : ''}${inf.text.vocab ? `, vocab ${inf.text.vocab}` : ''}`);
  if (inf.embedDim) out.push(`  embed dim   ${inf.embedDim}`);
  out.push(`  activation  ${arch.activation} — ${safeText(arch.activationNote)}`);
  if (a.target) out.push(`  target      ${safeText(a.target.id)} = ${safeText(a.target.model)}${a.target.defaulted ? ' (default; change with --target)' : ''}: ${a.missing.length} missing, ${a.unexpected.length} unexpected, ${a.mismatched.length} mismatched`);
  if (a.values.performed) out.push(`  values      read ${formatBytes(a.values.bytesRead)} (${a.values.tensorsRead} tensors whole, ${a.values.tensorsSampled} sampled; budget ${formatBytes(a.values.budgetBytesPerFile)} per file)`);
  out.push('', 'Towers');
  for (const t of a.towers) {
    out.push(`  ${t.id.padEnd(11)} ${STATUS_MARK[t.status]}  ${formatCount(t.tensors)}${t.expected ? `/${formatCount(t.expected)}` : ''} tensors, ${formatCount(t.parameters)} params, ${formatBytes(t.bytes)}${t.missing ? `, ${t.missing} MISSING` : ''}${t.mismatched ? `, ${t.mismatched} mismatched` : ''}`);
  }
  out.push('', 'Tree');
  let lines = 0;
  const MAX = 400;
  const walk = (n: TreeNode, depth: number) => {
    if (lines++ >= MAX) return;
    const pad = '  '.repeat(depth + 1);
    const rep = n.repeat > 1 ? ` ×${n.repeat}` : '';
    if (n.tensor) {
      const t = n.tensor;
      if (t.missing) out.push(`${pad}${safeText(n.label)}${rep}  MISSING [${t.shape.join(', ')}]`);
      else out.push(`${pad}${safeText(n.label)}${rep}  ${t.dtype} [${t.shape.join(', ')}]${t.expectedShape ? `  SHAPE MISMATCH: target expects [${t.expectedShape.join(', ')}]` : ''}`);
      return;
    }
    const dt = Object.keys(n.dtypes).join('/');
    out.push(`${pad}${safeText(n.label)}${rep}  (${formatCount(n.tensorCount)} tensors, ${formatCount(n.parameters)} params${dt ? `, ${dt}` : ''}${n.missingCount ? `, ${formatCount(n.missingCount)} MISSING` : ''})`);
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const t of a.towers) walk(t.tree, 0);
  if (lines > MAX) out.push(`  … (tree cut at ${MAX} lines; use --json for everything)`);
  return out;
}
