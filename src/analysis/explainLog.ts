import type { TowerId } from '../layouts/canonicalLayout.js';
import { canonicalKeyOf, detectFamilyFromNames, stripWrapperPrefixes } from '../layouts/canonical.js';
import type { FamilyId } from '../layouts/families.js';
import { towerOf } from '../layouts/towers.js';
import type { Analysis, Finding } from './types.js';

/**
 * Explains a loading log: transformers v4 ("Some weights of … newly initialized: [...]",
 * "… were not used when initializing …", shape-mismatch lines), transformers v5 LOAD REPORT
 * tables, PyTorch strict loads ("Missing key(s) in state_dict: …", "Unexpected key(s) …",
 * "size mismatch for …", `_IncompatibleKeys(...)`) and timm ("Missing keys (…) discovered …").
 * Message formats: ../shared/reference/clip-checkpoint-schemas.md §5.
 */
export type LogSource = 'transformers' | 'transformers-v5' | 'pytorch' | 'timm';

export interface ParsedLog {
  sources: LogSource[];
  /** Model class named by the log (`CLIPModel`, `CLIP`, …), if any. */
  modelClass: string | null;
  missing: string[];
  unexpected: string[];
  mismatched: { name: string; checkpoint: number[] | null; model: number[] | null }[];
}

export interface TowerGroup {
  tower: TowerId;
  missing: number;
  unexpected: number;
  mismatched: number;
  /** The log's missing names cover the tower's embeddings, blocks and final norm. */
  wholeMissing: boolean;
}

export interface LogExplanation {
  parsed: ParsedLog;
  /** Layout the log's names are in. */
  family: FamilyId;
  towers: TowerGroup[];
  findings: Finding[];
  /** With --file: how the checkpoint relates to the log. */
  file?: { family: FamilyId; variant: string | null; missingPresentByName: number; missingPresentInOtherLayout: number };
}

const LIST_CAP = 100;

function shapeList(s: string | undefined): number[] | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (!t) return [];
  const v = t.split(',').map((x) => Number(x.trim()));
  return v.every((x) => Number.isInteger(x) && x >= 0) ? v : null;
}

/** Quoted strings ('a' or "a") from position `i` while they are separated by commas/spaces/newlines; stops at anything else. */
function quotedRun(text: string, i: number): { items: string[]; end: number } {
  const items: string[] = [];
  let p = i;
  for (;;) {
    while (p < text.length && /[\s,]/.test(text[p]!)) p++;
    const q = text[p];
    if (q !== '"' && q !== "'") break;
    const close = text.indexOf(q, p + 1);
    if (close < 0) break;
    items.push(text.slice(p + 1, close));
    p = close + 1;
  }
  return { items, end: p };
}

/** Items of a Python list literal starting at or after `from` (the first `[`). */
function pythonList(text: string, from: number): string[] {
  const open = text.indexOf('[', from);
  if (open < 0 || open - from > 200) return [];
  return quotedRun(text, open + 1).items;
}

/** `a.layers.{0...11}.b` (v5 report) → 12 names. */
function expandRanges(name: string): string[] {
  const m = /\{(\d+)\s*\.{2,3}\s*(\d+)\}/.exec(name);
  if (!m) return [name];
  const a = Number(m[1]);
  const b = Number(m[2]);
  // Bound the expansion (nested ranges multiply): a log line must not turn into millions of names.
  let product = 1;
  for (const r of name.matchAll(/\{(\d+)\s*\.{2,3}\s*(\d+)\}/g)) product *= Math.max(1, Number(r[2]) - Number(r[1]) + 1);
  if (!(b >= a) || product > 100_000) return [name];
  const out: string[] = [];
  for (let k = a; k <= b; k++) out.push(...expandRanges(name.slice(0, m.index) + k + name.slice(m.index + m[0].length)));
  return out;
}

export function parseLoadLog(text: string): ParsedLog {
  const sources = new Set<LogSource>();
  const missing: string[] = [];
  const unexpected: string[] = [];
  const mismatched: ParsedLog['mismatched'] = [];
  let modelClass: string | null = null;
  const setClass = (c: string | undefined) => {
    if (c && !modelClass) modelClass = c;
  };
  let m: RegExpExecArray | null;

  // transformers v4
  const tfMissing = /Some weights of (\S+) were not initialized from the model checkpoint at .*? and are newly initialized: /g;
  while ((m = tfMissing.exec(text))) {
    sources.add('transformers');
    setClass(m[1]);
    missing.push(...pythonList(text, m.index + m[0].length));
  }
  const tfUnused = /Some weights of the model checkpoint at .*? were not used when initializing (\S+?):? ?(?=\[)/g;
  while ((m = tfUnused.exec(text))) {
    sources.add('transformers');
    setClass(m[1]);
    unexpected.push(...pythonList(text, m.index + m[0].length));
  }
  const tfShape = /^\s*- (\S+): found shape (?:torch\.Size\()?\[([^\]]*)\]\)? in the checkpoint and (?:torch\.Size\()?\[([^\]]*)\]\)? in the model instantiated/gm;
  while ((m = tfShape.exec(text))) {
    sources.add('transformers');
    mismatched.push({ name: m[1]!, checkpoint: shapeList(m[2]), model: shapeList(m[3]) });
  }
  // transformers v5 load report table
  const v5 = /(\S+) LOAD REPORT from:/.exec(text);
  if (v5) {
    sources.add('transformers-v5');
    setClass(v5[1]);
    for (const line of text.split(/\r?\n/)) {
      const cols = line.split('|').map((c) => c.trim());
      if (cols.length < 2) continue;
      const [key, status, details = ''] = cols;
      if (!key || !status || key === 'Key') continue;
      const names = expandRanges(key);
      if (status === 'MISSING') missing.push(...names);
      else if (status === 'UNEXPECTED') unexpected.push(...names);
      else if (status === 'MISMATCH') {
        const s = /ckpt:\s*(?:torch\.Size\()?\[([^\]]*)\]\)?\s*vs\s*model:\s*(?:torch\.Size\()?\[([^\]]*)\]/.exec(details);
        for (const nm of names) mismatched.push({ name: nm, checkpoint: shapeList(s?.[1]), model: shapeList(s?.[2]) });
      }
    }
  }
  // PyTorch strict load
  const ptClass = /Error\(s\) in loading state_dict for (\S+?):/.exec(text);
  if (ptClass) setClass(ptClass[1]);
  const ptMissing = /Missing key\(s\) in state_dict: /g;
  while ((m = ptMissing.exec(text))) {
    sources.add('pytorch');
    missing.push(...quotedRun(text, m.index + m[0].length).items);
  }
  const ptUnexpected = /Unexpected key\(s\) in state_dict: /g;
  while ((m = ptUnexpected.exec(text))) {
    sources.add('pytorch');
    unexpected.push(...quotedRun(text, m.index + m[0].length).items);
  }
  const ptSize = /size mismatch for ([^:\s]+): copying a param with shape torch\.Size\(\[([^\]]*)\]\) from checkpoint, the shape in current model is torch\.Size\(\[([^\]]*)\]\)/g;
  while ((m = ptSize.exec(text))) {
    sources.add('pytorch');
    mismatched.push({ name: m[1]!, checkpoint: shapeList(m[2]), model: shapeList(m[3]) });
  }
  const incompatible = /_IncompatibleKeys\(missing_keys=/g;
  while ((m = incompatible.exec(text))) {
    sources.add('pytorch');
    missing.push(...pythonList(text, m.index + m[0].length));
    const u = text.indexOf('unexpected_keys=', m.index);
    if (u >= 0 && u - m.index < 10_000_000) unexpected.push(...pythonList(text, u + 'unexpected_keys='.length));
  }
  // timm
  const timmMissing = /Missing keys \((.*?)\) discovered while loading pretrained weights/g;
  while ((m = timmMissing.exec(text))) {
    sources.add('timm');
    missing.push(...m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  }
  const timmUnexpected = /Unexpected keys \((.*?)\) found while loading pretrained weights/g;
  while ((m = timmUnexpected.exec(text))) {
    sources.add('timm');
    unexpected.push(...m[1]!.split(',').map((s) => s.trim()).filter(Boolean));
  }
  const uniq = (a: string[]) => [...new Set(a)];
  const seen = new Set<string>();
  return {
    sources: [...sources],
    modelClass,
    missing: uniq(missing),
    unexpected: uniq(unexpected),
    mismatched: mismatched.filter((x) => (seen.has(x.name) ? false : (seen.add(x.name), true))),
  };
}

/** Does a set of canonical names cover a tower end to end (embeddings + blocks + final norm)? */
function coversTower(tower: TowerId, canonical: Set<string>): boolean {
  if (tower === 'text') return canonical.has('token_embedding.weight') && canonical.has('ln_final.weight') && [...canonical].some((n) => n.startsWith('transformer.resblocks.'));
  if (tower === 'vision') return canonical.has('visual.conv1.weight') && ([...canonical].some((n) => n.startsWith('visual.transformer.resblocks.') || n.startsWith('visual.layer')));
  return false;
}

const TOWER_WORD: Record<TowerId, string> = { vision: 'image tower', text: 'text tower', projection: 'projection / contrastive head', decoder: 'multimodal decoder', other: 'other tensors' };

export function explainLog(parsed: ParsedLog, fileAnalysis?: { analysis: Analysis; tensorNames: ReadonlySet<string>; canonicalNames: ReadonlySet<string> }): LogExplanation {
  const normMissing = parsed.missing.map(stripWrapperPrefixes);
  const normUnexpected = parsed.unexpected.map(stripWrapperPrefixes);
  const family = detectFamilyFromNames([...normMissing, ...normUnexpected, ...parsed.mismatched.map((x) => stripWrapperPrefixes(x.name))]);
  const groups = new Map<TowerId, TowerGroup & { canonical: Set<string>; names: string[] }>();
  const g = (t: TowerId) => {
    let x = groups.get(t);
    if (!x) groups.set(t, (x = { tower: t, missing: 0, unexpected: 0, mismatched: 0, wholeMissing: false, canonical: new Set(), names: [] }));
    return x;
  };
  const missingFamily = detectFamilyFromNames(normMissing);
  const unexpectedFamily = detectFamilyFromNames(normUnexpected);
  for (const n of normMissing) {
    const fam = missingFamily === 'unknown' ? family : missingFamily;
    const x = g(towerOf(fam, n));
    x.missing++;
    x.names.push(n);
    const k = canonicalKeyOf(fam, n);
    if (k) x.canonical.add(k.canonical);
  }
  for (const n of normUnexpected) g(towerOf(unexpectedFamily === 'unknown' ? family : unexpectedFamily, n)).unexpected++;
  for (const mm of parsed.mismatched) g(towerOf(family, stripWrapperPrefixes(mm.name))).mismatched++;
  for (const x of groups.values()) x.wholeMissing = coversTower(x.tower, x.canonical);

  const findings: Finding[] = [];
  const cls = parsed.modelClass ? ` ${parsed.modelClass}` : ' the model';
  const order: TowerId[] = ['text', 'vision', 'projection', 'decoder', 'other'];
  for (const t of order) {
    const x = groups.get(t);
    if (!x || !x.missing) continue;
    const names = x.names.slice(0, LIST_CAP);
    if (t === 'text' && x.wholeMissing) {
      findings.push({ code: 'text-tower-missing', severity: 'error', tower: t, message: `The whole text tower (${x.missing} tensors) was randomly initialised in${cls}: zero-shot is broken (at chance).`, tensors: names, tensorCount: x.missing });
    } else if (t === 'vision' && x.wholeMissing) {
      findings.push({ code: 'vision-tower-missing', severity: 'error', tower: t, message: `The whole image tower (${x.missing} tensors) was randomly initialised in${cls}: image features are noise, zero-shot and retrieval are at chance.`, tensors: names, tensorCount: x.missing });
    } else if (t === 'projection') {
      const proj = x.names.filter((n) => !/(^|\.)logit_(scale|bias)$/.test(n));
      const logit = x.names.filter((n) => /(^|\.)logit_scale$/.test(n));
      if (proj.length) findings.push({ code: 'projection-missing', severity: 'error', tower: t, message: `${proj.join(', ')} ${proj.length === 1 ? 'was' : 'were'} randomly initialised: embeddings go through a random matrix, so zero-shot is at chance.`, tensors: proj.slice(0, LIST_CAP), tensorCount: proj.length });
      if (logit.length) findings.push({ code: 'logit-scale-missing', severity: 'warning', tower: t, message: 'logit_scale was initialised to ln(1/0.07): rankings are unaffected, but probabilities come out far too flat.', tensors: logit, tensorCount: logit.length });
    } else {
      findings.push({ code: 'tensors-missing', severity: 'error', tower: t, message: `${x.missing} tensor(s) of the ${TOWER_WORD[t]} were randomly initialised in${cls}: the layers using them output noise.`, tensors: names, tensorCount: x.missing });
    }
  }
  const totalUnexpected = parsed.unexpected.length;
  if (totalUnexpected) {
    const parts = order.filter((t) => groups.get(t)?.unexpected).map((t) => `${groups.get(t)!.unexpected} ${TOWER_WORD[t]}`);
    findings.push({ code: 'unexpected-tensors', severity: 'warning', message: `${totalUnexpected} checkpoint tensor(s) were not used (${parts.join(', ')}): harmless if you meant to load only part of the model, otherwise the names do not match the model's layout.`, tensors: parsed.unexpected.slice(0, LIST_CAP), tensorCount: totalUnexpected });
  }
  if (parsed.mismatched.length) {
    findings.push({
      code: 'shape-mismatch',
      severity: 'error',
      message: `${parsed.mismatched.length} tensor(s) had another shape in the checkpoint than in the model: the load failed, or (with ignore_mismatched_sizes) they were randomly initialised.`,
      tensors: parsed.mismatched.slice(0, LIST_CAP).map((x) => x.name),
      tensorCount: parsed.mismatched.length,
      evidence: parsed.mismatched.slice(0, 5).map((x) => `${x.name}: checkpoint [${x.checkpoint?.join(', ') ?? '?'}], model [${x.model?.join(', ') ?? '?'}]${isTranspose(x.checkpoint, x.model) ? ' — the same matrix transposed: the checkpoint stores it the other way round (e.g. Conv1D vs Linear); transpose it when converting' : ''}`),
    });
  }
  if (!parsed.missing.length && !parsed.unexpected.length && !parsed.mismatched.length) {
    findings.push({ code: 'log-nothing-found', severity: 'info', message: parsed.sources.length ? 'The log reports no missing, unexpected or mismatched tensors.' : 'No transformers, PyTorch or timm loading messages were found in the log.' });
  }

  let file: LogExplanation['file'];
  if (fileAnalysis) {
    const byName = normMissing.filter((n) => fileAnalysis.tensorNames.has(n)).length;
    const fam = missingFamily === 'unknown' ? family : missingFamily;
    const otherLayout = normMissing.filter((n) => {
      if (fileAnalysis.tensorNames.has(n)) return false;
      const k = canonicalKeyOf(fam, n);
      return k !== undefined && fileAnalysis.canonicalNames.has(k.canonical);
    }).length;
    file = { family: fileAnalysis.analysis.architecture.family, variant: fileAnalysis.analysis.architecture.variant, missingPresentByName: byName, missingPresentInOtherLayout: otherLayout };
    if (byName) {
      findings.push({ code: 'log-file-has-missing', severity: 'warning', message: `${byName} of the tensors the log calls missing ARE in this file under the same name: the loader read another file, or a prefix (e.g. "module.") hid them.` });
    }
    if (otherLayout) {
      findings.push({
        code: 'log-layout-mismatch',
        severity: 'error',
        message: `${otherLayout} of the tensors the log calls missing are in this file in ${fileAnalysis.analysis.architecture.family} layout: the weights exist, but the loader expects ${fam} names and does not convert them.`,
      });
    }
  }
  return { parsed, family, towers: order.flatMap((t) => (groups.has(t) ? [(({ canonical: _c, names: _n, ...rest }) => rest)(groups.get(t)!)] : [])), findings, ...(file ? { file } : {}) };
}

/** A 2-D shape that is the other's reverse ([768, 512] vs [512, 768]): a transposed weight. */
function isTranspose(a: readonly number[] | null, b: readonly number[] | null): boolean {
  return !!a && !!b && a.length === 2 && b.length === 2 && a[0] !== a[1] && a[0] === b[1] && a[1] === b[0];
}
