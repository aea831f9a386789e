import { plural } from '../shared/text.js';
import { stripWrapperPrefixes } from '../layouts/canonical.js';
import { applyNaming, type NamingScheme } from '../layouts/spec/naming.js';
import { hfExpectedLayout, type HfExpectedTensor, type HfLayout } from '../layouts/spec/transformers/index.js';
import type { Role, TowerId } from '../layouts/spec/types.js';
import { quantFromConfig, quantFromNames, quantNameOf, unpackedParameters, type QuantInfo } from './quantization.js';
import type { Finding } from './types.js';

/**
 * The completeness check for transformers architectures: a checkpoint's tensor names (and shapes,
 * where the file is on disk) against the layout `from_pretrained(config.architectures[0])` builds
 * (src/layouts/spec/transformers). Each missing or extra tensor is judged by its role: a missing
 * trained weight of the backbone / tower / projector / LM head is an error that names the
 * consequence; a task head that will be new when fine-tuning is info; tied weights and buffers are
 * never missing; quantization side tensors are never unexpected.
 */

/** One stored tensor as the check sees it; `shape` null = names-only (its shard is absent). */
export interface CheckTensor {
  readonly name: string;
  readonly dtype: string | null;
  readonly shape: readonly number[] | null;
  readonly elements: number;
}

export interface TransformersCheck {
  modelType: string;
  /** Spec entry id (`llama`, `llava-original`, …). */
  architecture: string;
  category: string;
  /** The class the check is for and whether config.json named it. */
  className: string;
  classKnown: boolean;
  /** Some or all tensors were known by name only (absent shards): shapes not checked for them. */
  namesOnly: boolean;
  namesOnlyTensors: number;
  /** Which release's names the file uses (`transformers`, `transformers>=4.52`). */
  naming: string;
  /** `full`: names as the class has them; `base`: a base-model checkpoint (no `model.` prefix) loaded into a class with a head. */
  checkpointKind: 'full' | 'base' | 'task-into-base';
  expectedTensors: number;
  matchedTensors: number;
  missing: { name: string; shape: number[]; label: string; role: Role; part: string; tower: TowerId }[];
  unexpected: { name: string; reason: 'unknown' | 'legacy-buffer' | 'other-head' }[];
  mismatched: { name: string; expected: number[]; found: number[] }[];
  quantization: QuantInfo | null;
  /** Stored elements vs parameters once unpacked (quantized checkpoints differ). */
  parameters: { stored: number; unpacked: number };
  subModels: { label: string; modelType: string; prefix: string }[];
  notes: string[];
  /** Name prefix → tower (longest first), for grouping the file's tensors into towers. */
  towerRules: { prefix: string; tower: TowerId }[];
  /** Expected tensors per tower. */
  expectedByTower: Partial<Record<TowerId, number>>;
}

/** The tower of a file tensor by the check's prefix rules ('other' when none matches). */
export function towerByRules(rules: readonly { prefix: string; tower: TowerId }[], name: string): TowerId {
  for (const r of rules) if (name.startsWith(r.prefix)) return r.tower;
  return 'other';
}

const LIST_CAP = 100;
/** Buffers older releases saved (recomputed on load; transformers ignores them). */
const LEGACY_BUFFER_SUFFIXES = ['.rotary_emb.inv_freq', 'rotary_emb.inv_freq', '.position_ids', '.attn.bias', '.attn.masked_bias', '.attention.bias', '.attention.masked_bias', '.rotary_emb.cos_cached', '.rotary_emb.sin_cached', 'embeddings.token_type_ids'];

const CONSEQUENCE: Record<string, string> = {
  'the language model': 'generation will be garbage',
  'the LM head': 'generation will be garbage',
  'the encoder': 'its outputs (embeddings, features, predictions) will be noise',
  'the decoder': 'the generated output will be garbage',
  'the encoder-decoder': 'the output will be garbage',
  'the speech model': 'transcription will be garbage',
  'the vision encoder': 'image features will be noise',
  'the vision tower': 'the model cannot see: image features will be noise',
  'the projector': 'image features reach the language model as noise',
  'the output head': 'its predictions will be garbage',
  'the vision-language model': 'its output will be garbage',
};

interface Candidate {
  layout: HfLayout;
  scheme: NamingScheme | null;
  kind: TransformersCheck['checkpointKind'];
  /** expected index → file name. */
  fileNames: string[];
  hits: number;
}

/**
 * Runs the check. Returns null when config.json names no architecture with a spec (the caller
 * reports "not checked"); findings come with the result.
 */
export function checkTransformers(
  tensors: readonly CheckTensor[],
  config: Record<string, unknown>,
  opts: { className?: string; quantizeConfig?: Record<string, unknown> | null } = {},
): { check: TransformersCheck; findings: Finding[] } | { error: 'architecture-unknown' | 'spec-error'; message: string; modelType: string | null } {
  const first = hfExpectedLayout(config, opts.className);
  if (!first.ok) return { error: first.error.code, message: first.error.message, modelType: first.error.code === 'architecture-unknown' ? first.error.modelType : null };

  // Stored names → logical names (a GPTQ `X.qweight` is `X.weight`); wrappers (`module.`) dropped.
  const names = tensors.map((t) => stripWrapperPrefixes(t.name));
  const nameSet = new Set(names);
  const quant = quantFromConfig(config, opts.quantizeConfig ?? null) ?? quantFromNames(names);
  const logical = new Map<string, number>(); // logical name → tensor index
  const aux = new Set<number>();
  const packed = new Set<number>();
  let stored = 0;
  let unpacked = 0;
  const has = (n: string) => nameSet.has(n);
  for (let i = 0; i < names.length; i++) {
    const t = tensors[i]!;
    const q = quant ? quantNameOf(names[i]!, has, quant.method) : { logical: null, kind: 'plain' as const };
    stored += t.elements;
    unpacked += unpackedParameters(q.kind, t.dtype ?? '', t.elements, quant?.bits ?? null, names[i]!);
    if (q.kind === 'aux') aux.add(i);
    else if (q.kind === 'packed') {
      packed.add(i);
      logical.set(q.logical!, i);
    } else logical.set(names[i]!, i);
  }

  // Candidates: each release variant of the class × each naming × base / full / task-into-base.
  const candidates: Candidate[] = [];
  for (let alt = 0; alt < first.value.variants; alt++) {
    const r = alt === 0 ? first : hfExpectedLayout(config, opts.className, alt);
    if (!r.ok) continue;
    const layout = r.value;
    for (const scheme of [null, ...layout.namings]) {
      const named = scheme ? applyNaming(layout.tensors, scheme, { embed: 0 }).map((t) => t.name) : layout.tensors.map((t) => t.name);
      const kinds: TransformersCheck['checkpointKind'][] = ['full'];
      if (layout.backbonePrefix) kinds.push('base');
      else if (layout.arch.basePrefix) kinds.push('task-into-base');
      for (const kind of kinds) {
        const bp = layout.backbonePrefix;
        const fileNames = named.map((n) => (kind === 'base' && bp && n.startsWith(bp) ? n.slice(bp.length) : kind === 'task-into-base' ? `${layout.arch.basePrefix}.${n}` : n));
        let hits = 0;
        for (const n of fileNames) if (logical.has(n)) hits++;
        candidates.push({ layout, scheme, kind, fileNames, hits });
      }
    }
  }
  let best = candidates[0]!;
  for (const c of candidates) if (c.hits > best.hits) best = c;
  const { layout, kind } = best;

  const claimed = new Set<number>();
  const missing: TransformersCheck['missing'] = [];
  const mismatched: TransformersCheck['mismatched'] = [];
  let matched = 0;
  let namesOnlyTensors = 0;
  layout.tensors.forEach((e: HfExpectedTensor, k) => {
    const i = logical.get(best.fileNames[k]!);
    if (i === undefined) {
      if (e.role === 'weight' || e.role === 'task-head') missing.push({ name: best.fileNames[k]!, shape: [...e.shape], label: e.label, role: e.role, part: e.part, tower: e.tower });
      return;
    }
    claimed.add(i);
    matched++;
    const t = tensors[i]!;
    if (t.shape === null) {
      namesOnlyTensors++;
      return;
    }
    if (packed.has(i)) return; // packed integers: the stored shape is not the logical one
    if (t.shape.length !== e.shape.length || t.shape.some((d, j) => d !== e.shape[j])) mismatched.push({ name: names[i]!, expected: [...e.shape], found: [...t.shape] });
  });
  for (let i = 0; i < tensors.length; i++) if (tensors[i]!.shape === null && !claimed.has(i)) namesOnlyTensors++;

  const unexpected: TransformersCheck['unexpected'] = [];
  for (let i = 0; i < names.length; i++) {
    if (claimed.has(i) || aux.has(i)) continue;
    const n = names[i]!;
    if (LEGACY_BUFFER_SUFFIXES.some((s) => n.endsWith(s)) || (layout.arch.legacyBuffers ?? []).some((s) => n.endsWith(s))) unexpected.push({ name: n, reason: 'legacy-buffer' });
    else if (kind === 'task-into-base' && !n.startsWith(`${layout.arch.basePrefix}.`)) unexpected.push({ name: n, reason: 'other-head' });
    else unexpected.push({ name: n, reason: 'unknown' });
  }

  // Tower rules: each expected name up to its first block index (`model.layers.`), or whole.
  const rules = new Map<string, TowerId>();
  const expectedByTower: Partial<Record<TowerId, number>> = {};
  layout.tensors.forEach((e, k) => {
    const f = best.fileNames[k]!;
    const m = /\.\d+\./.exec(f);
    const prefix = m ? f.slice(0, m.index + 1) : f;
    if (!rules.has(prefix)) rules.set(prefix, e.tower);
    expectedByTower[e.tower] = (expectedByTower[e.tower] ?? 0) + 1;
  });
  const towerRules = [...rules].map(([prefix, tower]) => ({ prefix, tower })).sort((a, b) => b.prefix.length - a.prefix.length);

  const check: TransformersCheck = {
    modelType: layout.modelType,
    architecture: layout.arch.id,
    category: layout.arch.category,
    className: layout.className,
    classKnown: layout.headKnown,
    namesOnly: namesOnlyTensors > 0,
    namesOnlyTensors,
    naming: best.scheme?.id ?? 'transformers',
    checkpointKind: kind,
    expectedTensors: layout.tensors.length,
    matchedTensors: matched,
    missing,
    unexpected,
    mismatched,
    quantization: quant,
    parameters: { stored, unpacked },
    subModels: layout.subModels.map((s) => ({ label: s.label, modelType: s.modelType, prefix: s.prefix })),
    notes: [...layout.notes],
    towerRules,
    expectedByTower,
  };
  return { check, findings: checkFindings(check, layout, config) };
}

const quoted = (names: readonly string[], max = 3) => names.slice(0, max).map((n) => JSON.stringify(n)).join(', ') + (names.length > max ? `, … (${names.length} in all)` : '');
const list = (xs: readonly { name: string }[]) => ({ tensors: xs.slice(0, LIST_CAP).map((x) => x.name), tensorCount: xs.length });

function checkFindings(c: TransformersCheck, layout: HfLayout, config: Record<string, unknown>): Finding[] {
  const out: Finding[] = [];
  const cls = c.className;
  if (!c.classKnown) {
    const named = Array.isArray(config.architectures) ? String(config.architectures[0]) : null;
    out.push({ code: 'arch-class-unknown', severity: 'info', message: `config.json names the class ${JSON.stringify(named)}, which the ${c.modelType} spec does not know; the file is checked as ${cls}.` });
  }
  if (c.checkpointKind === 'base' && layout.backbonePrefix) {
    out.push({
      code: 'arch-base-checkpoint',
      severity: 'info',
      message: `A base-model checkpoint (names without the ${JSON.stringify(layout.backbonePrefix)} prefix of ${cls}): from_pretrained(${cls}) adds the prefix when loading, so the backbone loads.`,
    });
  }
  // Missing trained weights, grouped by what they belong to.
  const byLabel = new Map<string, TransformersCheck['missing']>();
  for (const m of c.missing) if (m.role === 'weight') byLabel.set(m.label, [...(byLabel.get(m.label) ?? []), m]);
  for (const [label, ms] of byLabel) {
    const total = layout.tensors.filter((t) => t.label === label && t.role === 'weight').length;
    const consequence = CONSEQUENCE[label] ?? 'its output will be garbage';
    if (label === 'the LM head') {
      const tieKey = layout.subModels.some((s) => s.tower === 'text' && s.prefix) ? 'text_config.tie_word_embeddings' : 'tie_word_embeddings';
      out.push({
        code: 'arch-lm-head-missing',
        severity: 'error',
        message: `${quoted(ms.map((m) => m.name))} is not in the checkpoint and ${tieKey} is false, so from_pretrained(${cls}) initialises the LM head at random: ${consequence}. If the head is meant to share the input embeddings, set ${tieKey}: true in config.json.`,
        tower: 'text',
        ...list(ms),
      });
      continue;
    }
    const all = ms.length === total;
    const cap = label.charAt(0).toUpperCase() + label.slice(1);
    out.push({
      code: 'arch-weights-missing',
      severity: 'error',
      message: all
        ? `${cap} is not in the checkpoint (${total} tensors): from_pretrained(${cls}) initialises it at random, so ${consequence}.`
        : `${cap} is incomplete: ${ms.length} of its ${total} tensors are not in the checkpoint (${quoted(ms.map((m) => m.name))}); from_pretrained(${cls}) initialises them at random, so ${consequence}.`,
      tower: towerOfLabel(label),
      ...list(ms),
    });
  }
  const heads = c.missing.filter((m) => m.role === 'task-head');
  if (heads.length) {
    out.push({
      code: 'arch-task-head-new',
      severity: 'info',
      message: `The task head of ${cls} (${quoted(heads.map((m) => m.name))}) is not in the checkpoint: from_pretrained creates it at random, as expected when fine-tuning from a base checkpoint. Train it before use.`,
      tower: 'other',
      ...list(heads),
    });
  }
  if (c.mismatched.length) {
    out.push({
      code: 'arch-shape-mismatch',
      severity: 'error',
      message: `${plural(c.mismatched.length, 'tensor')} ${c.mismatched.length === 1 ? 'has' : 'have'} another shape than config.json implies (${c.mismatched
        .slice(0, 3)
        .map((m) => `${JSON.stringify(m.name)}: ${JSON.stringify(m.found)}, expected ${JSON.stringify(m.expected)}`)
        .join('; ')}): from_pretrained refuses to load them (size mismatch) unless ignore_mismatched_sizes=True, which initialises them at random.`,
      ...list(c.mismatched),
    });
  }
  const unknown = c.unexpected.filter((u) => u.reason === 'unknown');
  if (unknown.length) {
    out.push({
      code: 'arch-unexpected-tensors',
      severity: 'warning',
      message: `${plural(unknown.length, 'tensor')} ${unknown.length === 1 ? 'is' : 'are'} not part of ${cls} (${quoted(unknown.map((u) => u.name))}): from_pretrained ignores them ("weights not used"). Harmless if they belong to something else; if they were meant to load, the names do not match this architecture.`,
      ...list(unknown),
    });
  }
  const other = c.unexpected.filter((u) => u.reason === 'other-head');
  if (other.length) {
    out.push({
      code: 'arch-unused-head',
      severity: 'info',
      message: `A checkpoint of a class with a head, checked as ${cls}: its head (${quoted(other.map((u) => u.name))}) is not used by ${cls} and is ignored on load.`,
      ...list(other),
    });
  }
  if (c.namesOnly) {
    out.push({
      code: 'arch-names-only',
      severity: 'info',
      message: `Names-only check for ${plural(c.namesOnlyTensors, 'tensor')} whose shards are not on disk: the weight_map was compared with ${cls} by name; shapes and values were not checked.`,
    });
  }
  if (c.quantization) {
    const q = c.quantization;
    out.push({
      code: 'arch-quantized',
      severity: 'info',
      message: `Quantized checkpoint (${q.method}${q.bits ? `, ${q.bits}-bit` : ''}, from ${q.source === 'config' ? 'config.json' : 'the tensor names'}): packed weights and their scales/zeros are recognised; about ${formatCount(c.parameters.unpacked)} parameters once unpacked (${formatCount(c.parameters.stored)} stored elements).`,
    });
  }
  for (const n of c.notes) out.push({ code: 'arch-note', severity: 'info', message: n });
  return out;
}

function towerOfLabel(label: string): TowerId {
  if (label === 'the vision tower' || label === 'the vision encoder') return 'vision';
  if (label === 'the projector') return 'projection';
  if (label === 'the decoder') return 'decoder';
  return 'text';
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** "Not checked" for a config.json whose model_type has no spec (never shown as a pass). */
export function unknownArchitectureFinding(modelType: string | null, className: string | null): Finding {
  const what = modelType ? `unknown architecture \`${modelType}\`` : 'config.json has no model_type';
  return {
    code: 'arch-unknown',
    severity: 'warning',
    message: `Not checked: ${what}${className ? ` (${className})` : ''}. The tensors are listed, but nothing says whether any is missing. To check it, load it with transformers and paste the loading log into \`checkpoint-lens explain-log\` (its "newly initialized" / "not used" lists are the real answer), or compare it with a reference checkpoint (\`checkpoint-lens diff\`).`,
  };
}
