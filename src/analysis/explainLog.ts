import { plural } from '../shared/text.js';
import type { TowerId } from '../layouts/canonicalLayout.js';
import { canonicalKeyOf, detectFamilyFromNames, stripWrapperPrefixes } from '../layouts/canonical.js';
import type { FamilyId } from '../layouts/families.js';
import { towerOf } from '../layouts/towers.js';
import { architectureOfClass, classifyKeys, type ArchitectureRoleSource, type KeyClass, type KeyRole, type PartId } from './keyRoles.js';
import { SPEC_ROLES } from './specRoles.js';
import { parseLoadReports, type LoadReport, type LogNote, type LogSource, type MismatchedKey, type ReportKind } from './logParse.js';
import type { Analysis, Finding } from './types.js';

/**
 * Explains a loading log: the parser (logParse.ts) gives one report per model load; each name is
 * classified by part and role (keyRoles.ts); findings say, per report and per part, what the
 * consequence is. Severity comes from the role: a trained weight of the backbone, a tower or a
 * projector that is random is an error; a task head that is new when fine-tuning is info ("train
 * before use"); tied weights and constant buffers are nothing to fear; unused LoRA weights are an
 * error (the fine-tune is lost); a strict load that raised is "the load failed".
 * Codes: docs/codes/explain-log.md.
 */
export type { LoadReport, LogNote, LogSource, ReportKind };
export { parseLoadReports };

/** The log as one list (all reports merged) plus the reports; the merged fields are kept for old callers. */
export interface ParsedLog {
  sources: LogSource[];
  /** Model class named by the first report, if any. */
  modelClass: string | null;
  missing: string[];
  unexpected: string[];
  mismatched: MismatchedKey[];
  reports: LoadReport[];
}

export interface TowerGroup {
  tower: TowerId;
  missing: number;
  unexpected: number;
  mismatched: number;
  /** The log's missing names cover the tower end to end (embeddings, every block, final norm). */
  wholeMissing: boolean;
}

export interface LogFinding extends Finding {
  /** Index into `reports`. */
  report: number;
  part?: PartId;
  role?: KeyRole;
}

/** Names of one report that share a list, part and role. */
export interface NameGroup {
  list: 'missing' | 'unexpected' | 'mismatched';
  part: PartId;
  role: KeyRole;
  stack?: 'encoder' | 'decoder';
  count: number;
  names: string[];
}

export type Verdict = 'load-failed' | 'weights-lost' | 'check' | 'train-before-use' | 'fine';

export interface ReportExplanation {
  index: number;
  source: LogSource;
  kind: ReportKind;
  modelClass: string | null;
  checkpoint: string | null;
  line: number;
  repeats: number;
  elided: boolean;
  notes: LogNote[];
  /** transformers `model_type` guessed from the class (`llama`), if any. */
  architecture: string | null;
  /** CLIP-family layout of the names (`unknown` for other models). */
  family: FamilyId;
  counts: { missing: number; unexpected: number; mismatched: number };
  groups: NameGroup[];
  /** Prefix shifts found between the missing and unused names. */
  shifts: PrefixShift[];
  verdict: Verdict;
  findings: LogFinding[];
}

export interface PrefixShift {
  /** Prefix the model's name has where the checkpoint's has `checkpointPrefix` (either may be ''). */
  modelPrefix: string;
  checkpointPrefix: string;
  count: number;
  example: { model: string; checkpoint: string };
}

export interface LogExplanation {
  parsed: ParsedLog;
  /** CLIP-family layout of all names (kept for old callers; `reports[i].family` per report). */
  family: FamilyId;
  /** CLIP towers over all reports (kept for old callers). */
  towers: TowerGroup[];
  /** Every report's findings, in report order (then `log-nothing-found` / file findings). */
  findings: LogFinding[];
  reports: ReportExplanation[];
  /** With --file: how the checkpoint relates to the log. */
  file?: { family: FamilyId; variant: string | null; missingPresentByName: number; missingPresentInOtherLayout: number };
}

export interface ExplainOptions {
  /** Architecture knowledge; default: the generated-layout mechanism (`SPEC_ROLES`), generic name rules for what it does not know. */
  roles?: ArchitectureRoleSource;
}

const LIST_CAP = 100;

/** Parses a log: every report, plus the merged lists old callers read. */
export function parseLoadLog(text: string): ParsedLog {
  const { reports } = parseLoadReports(text);
  const uniq = (a: string[]) => [...new Set(a)];
  const seen = new Set<string>();
  return {
    sources: [...new Set(reports.map((r) => r.source))],
    modelClass: reports.find((r) => r.modelClass)?.modelClass ?? null,
    missing: uniq(reports.flatMap((r) => r.missing)),
    unexpected: uniq(reports.flatMap((r) => r.unexpected)),
    mismatched: reports.flatMap((r) => r.mismatched).filter((x) => (seen.has(x.name) ? false : (seen.add(x.name), true))),
    reports,
  };
}

// ---------------------------------------------------------------------------------------------
// Prefix shifts: `text_model.embeddings.position_ids` (model) vs `embeddings.position_ids` (checkpoint)

const MODALITY = [/(?:^|\.)(?:vision|visual|image|img)/, /(?:^|\.)(?:text|txt|language)/, /(?:^|\.)(?:audio|speech)/];

function compatibleHeads(a: string, b: string): boolean {
  if (!a || !b || a.endsWith(b) || b.endsWith(a)) return true;
  const ma = MODALITY.findIndex((re) => re.test(a));
  const mb = MODALITY.findIndex((re) => re.test(b));
  return !(ma >= 0 && mb >= 0 && ma !== mb);
}

const MAX_SHIFT_DEPTH = 3;

export function findPrefixShifts(missing: readonly string[], unexpected: readonly string[]): { shifts: PrefixShift[]; pairedMissing: Set<string>; pairedUnexpected: Set<string> } {
  if (!missing.length || !unexpected.length) return { shifts: [], pairedMissing: new Set(), pairedUnexpected: new Set() };
  // tail → unused names that end with it; k = how many leading segments were dropped
  const byTail = new Map<string, { name: string; head: string; k: number }[]>();
  const unexpectedSet = new Set(unexpected);
  for (const u of unexpected) {
    // PEFT-wrapped layers are indexed as the plain layer too
    const seg = u.replace(/\.base_layer\.(weight|bias)$/, '.$1').split('.');
    for (let k = 0; k <= MAX_SHIFT_DEPTH && seg.length - k >= 2; k++) {
      const tail = seg.slice(k).join('.');
      let a = byTail.get(tail);
      if (!a) byTail.set(tail, (a = []));
      if (a.length < 4) a.push({ name: u, head: seg.slice(0, k).join('.') + (k ? '.' : ''), k });
    }
  }
  const pairedMissing = new Set<string>();
  const pairedUnexpected = new Set<string>();
  const shifts = new Map<string, PrefixShift>();
  const pair = (m: string, u: string, modelPrefix: string, checkpointPrefix: string) => {
    const key = `${modelPrefix}\u0000${checkpointPrefix}`;
    let s = shifts.get(key);
    if (!s) shifts.set(key, (s = { modelPrefix, checkpointPrefix, count: 0, example: { model: m, checkpoint: u } }));
    s.count++;
    pairedMissing.add(m);
    pairedUnexpected.add(u);
  };
  for (const m of missing) {
    // a PEFT-wrapped layer saved whole: `q_proj.base_layer.weight` (checkpoint) for `q_proj.weight` (model)
    const wrapped = m.replace(/\.(weight|bias)$/, '.base_layer.$1');
    if (wrapped !== m && unexpectedSet.has(wrapped) && !pairedUnexpected.has(wrapped)) {
      pair(m, wrapped, '', PEFT_BASE_LAYER);
      continue;
    }
    const seg = m.split('.');
    let done = false;
    for (let k = 0; k <= MAX_SHIFT_DEPTH && seg.length - k >= 2 && !done; k++) {
      const tail = seg.slice(k).join('.');
      const head = seg.slice(0, k).join('.') + (k ? '.' : '');
      for (const c of byTail.get(tail) ?? []) {
        if (c.head === head || pairedUnexpected.has(c.name) || !compatibleHeads(head, c.head)) continue;
        // a two-segment tail (`dense.weight`) is too common to prove anything unless one side is that whole name
        if (seg.length - k < 3 && k !== 0 && c.k !== 0) continue;
        pair(m, c.name, head, c.head);
        done = true;
        break;
      }
    }
  }
  return { shifts: [...shifts.values()].sort((a, b) => b.count - a.count), pairedMissing, pairedUnexpected };
}

/** `checkpointPrefix` of a shift that is PEFT's `.base_layer` infix rather than a prefix. */
export const PEFT_BASE_LAYER = '(PEFT .base_layer)';

// ---------------------------------------------------------------------------------------------
// CLIP towers (the CLIP family keeps its tower-level findings)

function coversTower(tower: TowerId, canonical: Set<string>): boolean {
  const blocksComplete = (prefix: string) => {
    const perBlock = new Map<number, number>();
    for (const n of canonical) {
      if (!n.startsWith(prefix)) continue;
      const i = Number(n.slice(prefix.length).split('.')[0]);
      if (Number.isInteger(i)) perBlock.set(i, (perBlock.get(i) ?? 0) + 1);
    }
    if (perBlock.size < 2) return false;
    const max = Math.max(...perBlock.keys());
    for (let i = 0; i <= max; i++) if ((perBlock.get(i) ?? 0) < 8) return false;
    return true;
  };
  if (tower === 'text') return canonical.has('token_embedding.weight') && canonical.has('ln_final.weight') && blocksComplete('transformer.resblocks.');
  if (tower === 'vision') {
    if (!canonical.has('visual.conv1.weight')) return false;
    if (canonical.has('visual.ln_post.weight')) return blocksComplete('visual.transformer.resblocks.');
    return [...canonical].filter((n) => n.startsWith('visual.layer')).length >= 20; // ResNet
  }
  return false;
}

const TOWER_WORD: Record<TowerId, string> = { vision: 'image tower', text: 'text tower', projection: 'projection / contrastive head', decoder: 'multimodal decoder', audio: 'audio tower', other: 'other tensors' };

// ---------------------------------------------------------------------------------------------
// Words

const PART_WORD: Record<PartId, string> = {
  embeddings: 'embeddings',
  blocks: 'transformer blocks',
  'final-norm': 'final norm',
  'lm-head': 'output (LM) head',
  'task-head': 'task head',
  'pretraining-head': 'pre-training head',
  pooler: 'pooler',
  'vision-tower': 'vision tower',
  'text-tower': 'text tower',
  'audio-tower': 'audio tower',
  projector: 'projector',
  'cross-attention': 'cross-attention',
  decoder: 'decoder',
  container: 'container',
  other: 'other tensors',
};

function isGenerative(cls: string | null): boolean {
  return !!cls && /ForCausalLM$|LMHeadModel$|ForConditionalGeneration$|ForSeq2SeqLM$|WithLMHead$/.test(cls);
}

/** Names are attacker-controlled: messages quote only plain ones (the full list is in `tensors`). */
const PLAIN_NAME_RE = /^[\w.\-:/]{1,200}$/;

function list(names: readonly string[], n = 3): string {
  if (!names.slice(0, n).every((x) => PLAIN_NAME_RE.test(x))) return `${names.length} name${names.length === 1 ? '' : 's'}`;
  const shown = names.slice(0, n).map((x) => `\`${x}\``).join(', ');
  return names.length > n ? `${shown}, … (${names.length} in all)` : shown;
}

function layerSpan(names: readonly string[]): string {
  const idx = new Set<number>();
  for (const n of names) {
    const m = /(?:^|\.)(?:layers?|h|blocks?|resblocks|block|stages?)\.(\d+)(?:\.|$)/.exec(n);
    if (m) idx.add(Number(m[1]));
  }
  if (!idx.size) return '';
  const s = [...idx].sort((a, b) => a - b);
  const contiguous = s.at(-1)! - s[0]! + 1 === s.length;
  return ` in ${s.length} layer${s.length === 1 ? '' : 's'} (${contiguous && s.length > 2 ? `${s[0]}–${s.at(-1)}` : s.slice(0, 8).join(', ') + (s.length > 8 ? ', …' : '')})`;
}

function verbs(kind: ReportKind): { were: string; was: string; note: string } {
  if (kind === 'strict-failure') return { were: 'are not in the checkpoint', was: 'is not in the checkpoint', note: ' (the load failed; loaded with strict=False they would stay random)' };
  if (kind === 'non-strict') return { were: 'were not loaded', was: 'was not loaded', note: ' (they keep their initial, random values)' };
  return { were: 'were randomly initialised', was: 'was randomly initialised', note: '' };
}

/** Container keys that hold the weights themselves (the others are training state: epoch, optimizer, …). */
const WEIGHT_HOLDERS = new Set(['state_dict', 'model', 'module', 'model_state_dict', 'model_state', 'net', 'network', 'params', 'ema', 'model_ema', 'state_dict_ema', 'weights', 'checkpoint']);

// ---------------------------------------------------------------------------------------------

function explainReport(r: LoadReport, index: number, optsIn: ExplainOptions): ReportExplanation {
  const opts = { roles: optsIn.roles ?? SPEC_ROLES };
  const findings: LogFinding[] = [];
  const add = (f: Omit<LogFinding, 'report'>) => findings.push({ report: index, ...f });
  const cls = r.modelClass;
  const clsText = cls ? ` ${cls}` : ' the model';
  const architecture = architectureOfClass(cls);
  const failed = r.kind === 'strict-failure';
  const v = verbs(r.kind);
  const verb = (n: number) => (n === 1 ? v.was : v.were);
  const gen = isGenerative(cls);
  const ctxBase = { modelClass: cls, architecture, checkpoint: r.checkpoint };

  const missingCls = classifyKeys(r.missing, { ...ctxBase, list: 'missing' }, opts.roles);
  const unexpectedCls = classifyKeys(r.unexpected, { ...ctxBase, list: 'unexpected' }, opts.roles);
  const mismatchCls = classifyKeys(
    r.mismatched.map((x) => x.name),
    { ...ctxBase, list: 'mismatched' },
    opts.roles,
  );

  // groups (every name, before any finding logic)
  const groupsMap = new Map<string, NameGroup>();
  const group = (l: NameGroup['list'], name: string, c: KeyClass) => {
    const key = `${l}|${c.part}|${c.role}|${c.stack ?? ''}`;
    let g = groupsMap.get(key);
    if (!g) groupsMap.set(key, (g = { list: l, part: c.part, role: c.role, ...(c.stack ? { stack: c.stack } : {}), count: 0, names: [] }));
    g.count++;
    if (g.names.length < LIST_CAP) g.names.push(name);
  };
  r.missing.forEach((n, i) => group('missing', n, missingCls[i]!));
  r.unexpected.forEach((n, i) => group('unexpected', n, unexpectedCls[i]!));
  r.mismatched.forEach((x, i) => group('mismatched', x.name, mismatchCls[i]!));

  // 1. the load failed
  if (failed) {
    const onlyBuffers =
      !r.mismatched.length &&
      [...missingCls, ...unexpectedCls].length > 0 &&
      [...missingCls, ...unexpectedCls].every((c) => c.role === 'buffer' || c.role === 'tied' || c.role === 'fixed');
    const why = r.notes.includes('mismatch-raised')
      ? 'transformers raised after its load report because shapes differ (ignore_mismatched_sizes=False)'
      : r.notes.includes('conversion-raised')
        ? 'transformers raised after its load report: weights could not be converted'
        : r.source === 'diffusers'
          ? `diffusers refused to load${clsText}: keys are missing from the checkpoint`
          : `load_state_dict (strict) raised for${clsText}`;
    add({
      code: 'load-failed',
      severity: 'error',
      message: `The load failed: ${why}. Nothing was loaded; a model used after catching this error is untrained.${onlyBuffers ? ' Only constant buffers / tied copies differ: loading with strict=False is safe here.' : ''}`,
      evidence: [`${r.missing.length} missing, ${r.unexpected.length} unexpected, ${r.mismatched.length} shape-mismatched`],
    });
  }

  // 2. a nested checkpoint
  const containers = r.unexpected.filter((_, i) => unexpectedCls[i]!.role === 'container');
  const holders = containers.filter((c) => WEIGHT_HOLDERS.has(c));
  if (holders.length && (r.missing.length || failed)) {
    const state = containers.filter((c) => !WEIGHT_HOLDERS.has(c));
    const hint = holders.map((c) => `ckpt['${c}']`).join(' or ');
    add({
      code: 'nested-checkpoint',
      severity: 'error',
      message: `The checkpoint is a training checkpoint that holds the weights one level down (under ${list(holders)}${state.length ? `, beside training state ${list(state)}` : ''}): none of the model's ${r.missing.length} tensors were loaded. Load ${hint} instead of the whole file.`,
      tensors: containers,
      tensorCount: containers.length,
    });
  }

  // 3. prefix shifts
  const shiftMissing = r.missing.filter((_, i) => missingCls[i]!.role !== 'container');
  const shiftUnexpected = r.unexpected.filter((_, i) => unexpectedCls[i]!.role !== 'container');
  const { shifts, pairedMissing, pairedUnexpected } = findPrefixShifts(shiftMissing, shiftUnexpected);
  if (shifts.length) {
    const pairedRoles = r.missing.map((n, i) => (pairedMissing.has(n) ? missingCls[i]!.role : null)).filter((x): x is KeyRole => x !== null);
    const harmless = pairedRoles.every((x) => x === 'buffer' || x === 'fixed' || x === 'tied');
    const top = shifts[0]!;
    const plain = (x: string) => (PLAIN_NAME_RE.test(x) ? x : '(a prefix)');
    const describe = (s0: PrefixShift) => {
      const s = { ...s0, modelPrefix: s0.modelPrefix && plain(s0.modelPrefix), checkpointPrefix: s0.checkpointPrefix === PEFT_BASE_LAYER ? PEFT_BASE_LAYER : s0.checkpointPrefix && plain(s0.checkpointPrefix), example: { model: plain(s0.example.model), checkpoint: plain(s0.example.checkpoint) } };
      return s.checkpointPrefix === PEFT_BASE_LAYER
        ? `the checkpoint is a PEFT model's state dict (\`${s.example.checkpoint}\` for \`${s.example.model}\`): load it with PEFT, or merge_and_unload() before saving`
        : s.modelPrefix && s.checkpointPrefix
        ? `the model expects \`${s.modelPrefix}\` where the checkpoint has \`${s.checkpointPrefix}\``
        : s.modelPrefix
          ? `the model's names start with \`${s.modelPrefix}\`, the checkpoint's lack it`
          : `the checkpoint's names start with \`${s.checkpointPrefix}\`, the model's lack it`;
    };
    const wrapper = /^(?:module\.|_orig_mod\.|model\.module\.)$/.test(top.checkpointPrefix)
      ? ' (a DataParallel / torch.compile wrapper: strip it before loading)'
      : [...pairedUnexpected].some((u) => u.includes('.base_layer.')) && top.checkpointPrefix !== PEFT_BASE_LAYER
        ? " (the checkpoint is a PEFT model's state dict, with `.base_layer.` names: load it with PEFT, or merge_and_unload() before saving)"
        : '';
    add({
      code: 'prefix-shift',
      severity: harmless ? 'info' : 'error',
      message: `${plural(pairedMissing.size, 'name')} ${pairedMissing.size === 1 ? 'differs' : 'differ'} only by a prefix: ${describe(top)}${wrapper}. ${
        harmless ? 'Only constant buffers are affected: nothing to fear.' : failed ? 'This is why the load failed: rename the keys (add/strip the prefix) and load again.' : 'These weights ARE in the checkpoint but were not loaded (the model has them at random init): rename the keys and load again.'
      }`,
      tensors: [...pairedMissing].slice(0, LIST_CAP),
      tensorCount: pairedMissing.size,
      evidence: shifts.slice(0, 5).map((s) => `${s.count}× model \`${plain(s.example.model)}\` ↔ checkpoint \`${plain(s.example.checkpoint)}\``),
    });
  }

  // 4. a different naming scheme (CLIP layouts)
  const nested = findings.some((f) => f.code === 'nested-checkpoint');
  // with a nested checkpoint every missing name is explained by it
  const restMissing = nested ? [] : r.missing.map((n, i) => ({ n, c: missingCls[i]! })).filter((x) => !pairedMissing.has(x.n) && x.c.role !== 'container');
  const restUnexpected = r.unexpected.map((n, i) => ({ n, c: unexpectedCls[i]! })).filter((x) => !pairedUnexpected.has(x.n) && x.c.role !== 'container');
  const missFam = detectFamilyFromNames(restMissing.filter((x) => x.c.role === 'trained').map((x) => stripWrapperPrefixes(x.n)));
  const unexpFam = detectFamilyFromNames(restUnexpected.filter((x) => x.c.role === 'trained').map((x) => stripWrapperPrefixes(x.n)));
  if (missFam !== 'unknown' && unexpFam !== 'unknown' && missFam !== unexpFam) {
    add({
      code: 'layout-mismatch',
      severity: 'error',
      message: `The checkpoint is in ${unexpFam} layout and the model expects ${missFam} names: the weights exist but were not loaded${failed ? ' (this is why the load failed)' : ''}. Convert the checkpoint (or load it with the library it was saved by).`,
      evidence: [`${restMissing.length} missing (${missFam}), ${restUnexpected.length} unused (${unexpFam})`],
    });
  } else if (restMissing.length >= 10 && restUnexpected.length >= 10 && restMissing.length <= 3 * restUnexpected.length && restUnexpected.length <= 3 * restMissing.length && restMissing.every((x) => x.c.role === 'trained') && !restUnexpected.some((x) => x.c.role === 'adapter')) {
    add({
      code: 'layout-mismatch',
      severity: 'warning',
      message: `${restMissing.length} names are missing and ${restUnexpected.length} unused, with no common prefix: the checkpoint most likely uses another naming scheme (another library, or another model). Compare a few names: ${list(restMissing.map((x) => x.n), 1)} vs ${list(restUnexpected.map((x) => x.n), 1)}.`,
    });
  }

  // 5. missing names by role, then by part
  const family = detectFamilyFromNames([...r.missing, ...r.unexpected, ...r.mismatched.map((x) => x.name)].map(stripWrapperPrefixes));
  const byRole = new Map<KeyRole, { n: string; c: KeyClass }[]>();
  for (const x of restMissing) {
    let a = byRole.get(x.c.role);
    if (!a) byRole.set(x.c.role, (a = []));
    a.push(x);
  }
  const names = (a: { n: string }[] | undefined) => (a ?? []).map((x) => x.n);
  const roleFinding = (role: KeyRole, { code, severity }: Pick<Finding, 'code' | 'severity'>, text: (ns: string[]) => string) => {
    const a = names(byRole.get(role));
    if (a.length) add({ code, severity, role, message: text(a), tensors: a.slice(0, LIST_CAP), tensorCount: a.length });
  };
  roleFinding('task-head', { code: 'task-head-new', severity: 'info' }, (a) => `${plural(a.length, 'tensor')} of the task head (${list(a)}) ${a.length === 1 ? 'is' : 'are'} ${failed ? 'not in the checkpoint' : 'new'}: expected when fine-tuning a base checkpoint on a task — train${clsText} before use.`);
  roleFinding('new-by-design', { code: 'new-by-design', severity: 'info' }, (a) => `${plural(a.length, 'tensor')} (${list(a)}) ${a.length === 1 ? 'is' : 'are'} new by design in${clsText} (they do not exist in the checkpoint it starts from): train before use.`);
  roleFinding('pooler', { code: 'pooler-new', severity: 'info' }, (a) => `The pooler (${list(a)}) is new: only the pooled output uses it, and fine-tuning a head on top trains it.`);
  roleFinding('tied', { code: 'tied-weights', severity: 'info' }, (a) => `${list(a)} ${a.length === 1 ? 'is' : 'are'} tied to another weight (the input embeddings / the head's bias) and filled from it: nothing to fear.`);
  roleFinding('buffer', { code: 'buffers-missing', severity: 'info' }, (a) => `${list(a)}: constant buffers the model computes itself: nothing to fear.`);
  roleFinding('fixed', { code: 'fixed-positions-missing', severity: 'info' }, (a) => `${list(a)}: fixed (sin-cos) position tables, computed at init, never learnt: nothing to fear.`);
  roleFinding('tied-if-configured', { code: 'lm-head-tie-unknown', severity: 'warning' }, (a) => `${list(a)} ${verb(a.length)}. Fine if config.json has tie_word_embeddings: true (then it is the embedding matrix); if false, the output head is random and generation will be garbage — check the config.`);
  roleFinding('adapter', { code: 'adapter-weights-missing', severity: 'error' }, (a) => `${plural(a.length, 'adapter weight')} (${list(a)}) ${failed ? `${a.length === 1 ? 'is' : 'are'} not in the adapter file` : `${a.length === 1 ? 'was' : 'were'} not in the adapter file and ${a.length === 1 ? 'was' : 'were'} initialised fresh`}: LoRA starts B at zero, so those layers run without the fine-tune (other adapter types add noise). The adapter was most likely trained on another base (other depth or module names): load it onto the base it was trained on.`);
  roleFinding('quant-aux', { code: 'quantized-weights-missing', severity: 'error' }, (a) => `${plural(a.length, 'quantization tensor')} (${list(a)}) ${verb(a.length)}: the model was built quantized but the checkpoint is not (or uses another scheme): those layers hold garbage.`);
  roleFinding('pretraining-head', { code: 'pretraining-head-missing', severity: 'info' }, (a) => `${list(a)}: pre-training head tensors, not used by${clsText}'s task: nothing to fear.`);
  roleFinding('loaded-separately', { code: 'tower-loaded-separately', severity: 'info' }, (a) => `${list(a)}: loaded by the model's own code from another file: nothing to fear.`);

  // trained weights: CLIP towers for CLIP layouts, parts otherwise
  const trained = byRole.get('trained') ?? [];
  const byPart = new Map<string, { part: PartId; stack?: 'encoder' | 'decoder'; names: string[] }>();
  const clipTowers = new Map<TowerId, { names: string[]; canonical: Set<string> }>();
  for (const x of trained) {
    const norm = stripWrapperPrefixes(x.n);
    const tower = family !== 'unknown' ? towerOf(family, norm) : 'other';
    if (tower !== 'other') {
      let t = clipTowers.get(tower);
      if (!t) clipTowers.set(tower, (t = { names: [], canonical: new Set() }));
      t.names.push(x.n);
      const k = canonicalKeyOf(family, norm);
      if (k) t.canonical.add(k.canonical);
      continue;
    }
    const key = `${x.c.part}|${x.c.stack ?? ''}`;
    let g = byPart.get(key);
    if (!g) byPart.set(key, (g = { part: x.c.part, ...(x.c.stack ? { stack: x.c.stack } : {}), names: [] }));
    g.names.push(x.n);
  }
  for (const t of ['text', 'vision', 'projection', 'decoder'] as TowerId[]) {
    const x = clipTowers.get(t);
    if (!x) continue;
    const whole = coversTower(t, x.canonical);
    const n = x.names.length;
    const tensors = x.names.slice(0, LIST_CAP);
    if (t === 'text' && whole) add({ code: 'text-tower-missing', severity: 'error', tower: t, part: 'text-tower', message: `The whole text tower (${n} tensors) ${v.was} in${clsText}${v.note}: zero-shot is broken (at chance).`, tensors, tensorCount: n });
    else if (t === 'vision' && whole) add({ code: 'vision-tower-missing', severity: 'error', tower: t, part: 'vision-tower', message: `The whole image tower (${n} tensors) ${v.was} in${clsText}${v.note}: image features are noise, zero-shot and retrieval are at chance.`, tensors, tensorCount: n });
    else if (t === 'projection') {
      const proj = x.names.filter((s) => !/(^|\.)logit_(scale|bias)$/.test(s));
      const logit = x.names.filter((s) => /(^|\.)logit_scale$/.test(s));
      if (proj.length) add({ code: 'projection-missing', severity: 'error', tower: t, part: 'projector', message: `${proj.join(', ')} ${verb(proj.length)}${v.note}: embeddings go through a random matrix, so zero-shot is at chance.`, tensors: proj.slice(0, LIST_CAP), tensorCount: proj.length });
      if (logit.length) add({ code: 'logit-scale-missing', severity: 'warning', tower: t, part: 'projector', message: `logit_scale ${v.was}${v.note}: initialised to ln(1/0.07), rankings are unaffected, but probabilities come out far too flat.`, tensors: logit, tensorCount: logit.length });
    } else add({ code: 'tensors-missing', severity: 'error', tower: t, message: `${plural(n, 'tensor')} of the ${TOWER_WORD[t]}${layerSpan(x.names)} ${verb(n)} in${clsText}${v.note}: the layers using them output noise (not the whole tower: ${n} names).`, tensors, tensorCount: n });
  }
  const partOrder: PartId[] = ['embeddings', 'blocks', 'final-norm', 'lm-head', 'pretraining-head', 'vision-tower', 'text-tower', 'audio-tower', 'projector', 'cross-attention', 'decoder', 'task-head', 'pooler', 'other'];
  const parts = [...byPart.values()].sort((a, b) => partOrder.indexOf(a.part) - partOrder.indexOf(b.part));
  for (const g of parts) {
    const n = g.names.length;
    const where = `${g.stack ? `${g.stack} ` : ''}${PART_WORD[g.part]}`;
    const tensors = g.names.slice(0, LIST_CAP);
    const base = { severity: 'error' as const, part: g.part, role: 'trained' as const, tensors, tensorCount: n };
    if (g.part === 'embeddings')
      add({ ...base, code: 'embeddings-missing', message: `${list(g.names)} (the ${where}) ${verb(n)}${v.note}: ${gen ? 'the model reads noise for every token, so generation will be garbage' : 'every input maps to noise, so every feature the model computes is noise'}.` });
    else if (g.part === 'lm-head' || g.part === 'pretraining-head')
      add({ ...base, code: 'lm-head-missing', message: `${list(g.names)} (the ${where}) ${verb(n)}${v.note}: the output layer is random, so generation / predictions will be garbage (had the config tied it to the embeddings, transformers would not list it).` });
    else if (g.part === 'vision-tower' || g.part === 'text-tower' || g.part === 'audio-tower')
      add({ ...base, code: 'tower-weights-missing', message: `${plural(n, 'tensor')} of the ${where}${layerSpan(g.names)} ${verb(n)}${v.note}: ${g.part === 'vision-tower' ? 'image features are noise' : g.part === 'audio-tower' ? 'audio features are noise' : 'text features are noise'} (${n} names, not necessarily the whole tower).` });
    else if (g.part === 'projector')
      add({ ...base, code: 'projector-missing', message: `${list(g.names)} (the projector) ${verb(n)}${v.note}: the language model receives noise in place of image features.` });
    else
      add({ ...base, code: 'backbone-missing', message: `${plural(n, 'tensor')}${g.part === 'other' ? '' : ` of the ${where}`}${layerSpan(g.names)} (${list(g.names)}) ${verb(n)} in${clsText}${v.note}: the layers using them output noise${gen ? ', so generation will be garbage' : ', so the outputs are unusable until trained'}.` });
  }

  // 6. unused names
  const uByRole = new Map<KeyRole, string[]>();
  for (const x of restUnexpected) {
    let a = uByRole.get(x.c.role);
    if (!a) uByRole.set(x.c.role, (a = []));
    a.push(x.n);
  }
  const uFinding = (role: KeyRole, { code, severity }: Pick<Finding, 'code' | 'severity'>, text: (ns: string[]) => string) => {
    const a = uByRole.get(role);
    if (a?.length) add({ code, severity, role, message: text(a), tensors: a.slice(0, LIST_CAP), tensorCount: a.length });
  };
  uFinding('adapter', { code: 'adapter-weights-unused', severity: 'error' }, (a) => {
    const peftDict = a.some((s) => s.startsWith('base_model.model.'));
    return `${plural(a.length, 'adapter (LoRA) weight')} in the checkpoint (${list(a)}) ${a.length === 1 ? 'was' : 'were'} NOT loaded: the fine-tune is lost and the model behaves like the base model. ${peftDict ? 'This is a PEFT state dict: load it with PeftModel.from_pretrained(base, path) (or merge_and_unload() before saving).' : 'Load the adapter with PEFT onto the base it was trained on (matching module names), or merge it first.'}`;
  });
  uFinding('quant-aux', { code: 'quantized-weights-unused', severity: 'error' }, (a) => `${plural(a.length, 'quantization tensor')} (${list(a)}) ${a.length === 1 ? 'was' : 'were'} not used: the checkpoint is quantized but the model was built unquantized (missing quantization config / loader), so those layers were not loaded.`);
  uFinding('pretraining-head', { code: 'pretraining-head-unused', severity: 'info' }, (a) => `${plural(a.length, 'tensor')} of the checkpoint's pre-training head (${list(a)}) ${a.length === 1 ? 'is' : 'are'} dropped: expected when fine-tuning a pre-trained base on a task.`);
  uFinding('task-head', { code: 'task-head-unused', severity: 'info' }, (a) => `The checkpoint's own task head (${list(a)}) is not used by${clsText}: expected when re-using a fine-tuned model as a base.`);
  uFinding('pooler', { code: 'pooler-unused', severity: 'info' }, (a) => `The checkpoint's pooler (${list(a)}) is not used by${clsText}: nothing to fear.`);
  uFinding('loaded-separately', { code: 'tower-loaded-separately', severity: 'info' }, (a) => `${plural(a.length, 'vision-tower tensor')} (${list(a)}) ${a.length === 1 ? 'was' : 'were'} not used: ${cls ?? 'LLaVA'} loads its vision tower from its own file (mm_vision_tower): nothing to fear.`);
  const harmlessU = [...(uByRole.get('buffer') ?? []), ...(uByRole.get('fixed') ?? []), ...(uByRole.get('tied') ?? []), ...(uByRole.get('tied-if-configured') ?? [])];
  if (harmlessU.length) add({ code: 'buffers-unused', severity: 'info', message: `${list(harmlessU)}: constant buffers or tied copies saved with the checkpoint; the model recomputes them: nothing to fear.`, tensors: harmlessU.slice(0, LIST_CAP), tensorCount: harmlessU.length });
  let otherU = [...(uByRole.get('trained') ?? []), ...(uByRole.get('new-by-design') ?? [])];
  // CLIPTextModel / CLIPVisionModel from a full checkpoint: the other tower is unused by design
  const single = cls ? (/TextModel(?:WithProjection)?$/.test(cls) ? 'text' : /VisionModel(?:WithProjection)?$/.test(cls) ? 'vision' : null) : null;
  if (single && otherU.length) {
    const otherTower = restUnexpected.filter((x) => (x.c.role === 'trained' || x.c.role === 'new-by-design') && (single === 'text' ? x.c.part === 'vision-tower' || x.c.part === 'projector' : x.c.part === 'text-tower' || x.c.part === 'projector')).map((x) => x.n);
    if (otherTower.length) {
      const otherPart: PartId = single === 'text' ? 'vision-tower' : 'text-tower';
      add({ code: 'other-tower-unused', severity: 'info', part: otherPart, message: `${plural(otherTower.length, 'tensor')} of the ${single === 'text' ? 'vision tower / projections' : 'text tower / projections'} (${list(otherTower)}) ${otherTower.length === 1 ? 'was' : 'were'} not used: ${cls} is the ${single} tower alone, loaded from a full checkpoint — nothing to fear.`, tensors: otherTower.slice(0, LIST_CAP), tensorCount: otherTower.length });
      const drop = new Set(otherTower);
      otherU = otherU.filter((x) => !drop.has(x));
    }
  }
  if (otherU.length) {
    const byP = new Map<string, number>();
    for (const x of restUnexpected) if (x.c.role === 'trained' || x.c.role === 'new-by-design') byP.set(PART_WORD[x.c.part], (byP.get(PART_WORD[x.c.part]) ?? 0) + 1);
    const parts = [...byP].map(([p, c]) => `${c} ${p}`).join(', ');
    add({
      code: 'unexpected-tensors',
      severity: 'warning',
      message: `${plural(otherU.length, 'checkpoint tensor')} ${otherU.length === 1 ? 'was' : 'were'} not used (${parts})${failed ? ': part of why the strict load failed' : ''}: harmless if you meant to load only part of the checkpoint (e.g. one tower), otherwise the names do not match the model's layout.`,
      tensors: otherU.slice(0, LIST_CAP),
      tensorCount: otherU.length,
    });
  }

  // 7. shape mismatches
  if (r.mismatched.length) {
    const heads = r.mismatched.filter((_, i) => mismatchCls[i]!.role === 'task-head');
    const others = r.mismatched.filter((_, i) => mismatchCls[i]!.role !== 'task-head');
    const ev = (a: MismatchedKey[]) =>
      a.slice(0, 5).map((x) => `${x.name}: checkpoint [${x.checkpoint?.join(', ') ?? '?'}], model [${x.model?.join(', ') ?? '?'}]${isTranspose(x.checkpoint, x.model) ? ' — the same matrix transposed: the checkpoint stores it the other way round (e.g. Conv1D vs Linear); transpose it when converting' : ''}`);
    if (heads.length)
      add({
        code: 'task-head-resized',
        severity: 'info',
        role: 'task-head',
        message: `The task head has another size than in the checkpoint (another number of labels)${failed ? ': pass ignore_mismatched_sizes=True to create a new head' : ' and was created new'}: train before use.`,
        tensors: heads.map((x) => x.name).slice(0, LIST_CAP),
        tensorCount: heads.length,
        evidence: ev(heads),
      });
    if (others.length)
      add({
        code: 'shape-mismatch',
        severity: 'error',
        message: `${plural(others.length, 'tensor')} ${others.length === 1 ? 'has' : 'have'} another shape in the checkpoint than in the model: ${failed ? 'this is why the load failed — the checkpoint is for another configuration (size, vocabulary, patch size)' : 'they were randomly initialised (ignore_mismatched_sizes), so the layers using them output noise'}.`,
        tensors: others.map((x) => x.name).slice(0, LIST_CAP),
        tensorCount: others.length,
        evidence: ev(others),
      });
  }

  // 8. notes
  if (r.elided) add({ code: 'log-lists-elided', severity: 'info', message: 'The log elides part of the lists (…, snipped, or cut off): the counts are lower bounds.' });
  if (r.notes.includes('v5-table-without-header')) add({ code: 'log-table-without-header', severity: 'info', message: 'Load-report rows without their "… LOAD REPORT from:" line: the model class is unknown, the rows were read all the same.' });
  if (!r.missing.length && !r.unexpected.length && !r.mismatched.length && !failed)
    add({ code: 'all-weights-loaded', severity: 'info', message: `All weights of${clsText} were loaded: nothing missing, unused or mismatched.` });
  if (r.repeats > 1) add({ code: 'log-report-repeated', severity: 'info', message: `This report appears ${r.repeats} times in the log (same names): explained once.` });

  const severities = new Set(findings.map((f) => f.severity));
  const infoCodes = new Set(findings.filter((f) => f.severity === 'info').map((f) => f.code));
  const verdict: Verdict = failed
    ? 'load-failed'
    : severities.has('error')
      ? 'weights-lost'
      : severities.has('warning')
        ? 'check'
        : ['task-head-new', 'new-by-design', 'pooler-new', 'task-head-resized'].some((c) => infoCodes.has(c))
          ? 'train-before-use'
          : 'fine';
  return {
    index,
    source: r.source,
    kind: r.kind,
    modelClass: cls,
    checkpoint: r.checkpoint,
    line: r.line,
    repeats: r.repeats,
    elided: r.elided,
    notes: r.notes,
    architecture,
    family,
    counts: { missing: r.missing.length, unexpected: r.unexpected.length, mismatched: r.mismatched.length },
    groups: [...groupsMap.values()],
    shifts,
    verdict,
    findings,
  };
}

export function explainLog(
  parsed: ParsedLog,
  fileAnalysis?: { analysis: Analysis; tensorNames: ReadonlySet<string>; canonicalNames: ReadonlySet<string> },
  opts: ExplainOptions = {},
): LogExplanation {
  const reports = (parsed.reports ?? []).map((r, i) => explainReport(r, i, opts));
  const findings: LogFinding[] = reports.flatMap((r) => r.findings);

  // CLIP towers over all reports (old callers)
  const normMissing = parsed.missing.map(stripWrapperPrefixes);
  const normUnexpected = parsed.unexpected.map(stripWrapperPrefixes);
  const family = detectFamilyFromNames([...normMissing, ...normUnexpected, ...parsed.mismatched.map((x) => stripWrapperPrefixes(x.name))]);
  const missingFamily = detectFamilyFromNames(normMissing);
  const unexpectedFamily = detectFamilyFromNames(normUnexpected);
  const groups = new Map<TowerId, TowerGroup & { canonical: Set<string> }>();
  const g = (t: TowerId) => {
    let x = groups.get(t);
    if (!x) groups.set(t, (x = { tower: t, missing: 0, unexpected: 0, mismatched: 0, wholeMissing: false, canonical: new Set() }));
    return x;
  };
  const mf = missingFamily === 'unknown' ? family : missingFamily;
  for (const n of normMissing) {
    const x = g(towerOf(mf, n));
    x.missing++;
    const k = canonicalKeyOf(mf, n);
    if (k) x.canonical.add(k.canonical);
  }
  for (const n of normUnexpected) g(towerOf(unexpectedFamily === 'unknown' ? family : unexpectedFamily, n)).unexpected++;
  for (const mm of parsed.mismatched) g(towerOf(family, stripWrapperPrefixes(mm.name))).mismatched++;
  for (const x of groups.values()) x.wholeMissing = coversTower(x.tower, x.canonical);

  if (!reports.length) {
    findings.push({ report: -1, code: 'log-nothing-found', severity: 'info', message: 'No loading messages from transformers, PyTorch, timm, diffusers or PEFT were found in the log.' });
  }

  let file: LogExplanation['file'];
  if (fileAnalysis) {
    const byName = normMissing.filter((n) => fileAnalysis.tensorNames.has(n)).length;
    const otherLayout = normMissing.filter((n) => {
      if (fileAnalysis.tensorNames.has(n)) return false;
      const k = canonicalKeyOf(mf, n);
      return k !== undefined && fileAnalysis.canonicalNames.has(k.canonical);
    }).length;
    file = { family: fileAnalysis.analysis.architecture.family, variant: fileAnalysis.analysis.architecture.variant, missingPresentByName: byName, missingPresentInOtherLayout: otherLayout };
    if (byName) {
      findings.push({ report: -1, code: 'log-file-has-missing', severity: 'warning', message: `${byName} of the tensors the log calls missing ARE in this file under the same name: the loader read another file, or a prefix (e.g. "module.") hid them.` });
    }
    if (otherLayout) {
      findings.push({
        report: -1,
        code: 'log-layout-mismatch',
        severity: 'error',
        message: `${otherLayout} of the tensors the log calls missing are in this file in ${fileAnalysis.analysis.architecture.family} layout: the weights exist, but the loader expects ${mf} names and does not convert them.`,
      });
    }
  }
  const order: TowerId[] = ['text', 'vision', 'projection', 'decoder', 'other'];
  return {
    parsed,
    family,
    towers: order.flatMap((t) => (groups.has(t) ? [(({ canonical: _c, ...rest }) => rest)(groups.get(t)!)] : [])),
    findings,
    reports,
    ...(file ? { file } : {}),
  };
}

/** 1 when something of value is lost or a load failed (an error finding), else 0. */
export function explainLogExitCode(ex: LogExplanation): 0 | 1 {
  return ex.findings.some((f) => f.severity === 'error') ? 1 : 0;
}

/** A 2-D shape that is the other's reverse ([768, 512] vs [512, 768]): a transposed weight. */
function isTranspose(a: readonly number[] | null, b: readonly number[] | null): boolean {
  return !!a && !!b && a.length === 2 && b.length === 2 && a[0] !== a[1] && a[0] === b[1] && a[1] === b[0];
}
