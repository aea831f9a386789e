import { err, ok, type Result } from '../../../core/result.js';
import { expandSpec } from '../expand.js';
import type { NamingScheme } from '../naming.js';
import type { ArchitectureSpec, ExpectedTensor, PartSpec, SpecConfig, TowerId } from '../types.js';
import { DECODERS } from './decoders.js';
import { ENCODERS } from './encoders.js';
import { SEQ2SEQ } from './seq2seq.js';
import type { HfArchitecture, HfHead, HfSubModel } from './types.js';
import { VISION } from './vision.js';
import { VLMS } from './vlm.js';

export type { HfArchitecture, HfCategory, HfHead, HfSubModel } from './types.js';

/**
 * transformers architectures as specs: `config.json` (+ optionally a model class) → the tensors
 * `from_pretrained` builds, each with its part, role and tower. Data lives in the sibling files;
 * this module only picks the entry and composes (a VLM = its own parts + the tower and LM entries
 * expanded from their sub-configs).
 */
export const HF_ARCHITECTURES: readonly HfArchitecture[] = [...DECODERS, ...ENCODERS, ...VISION, ...SEQ2SEQ, ...VLMS];

const byModelType = new Map<string, HfArchitecture>();
for (const a of HF_ARCHITECTURES) for (const t of a.modelTypes) byModelType.set(t, a);
const byId = new Map(HF_ARCHITECTURES.map((a) => [a.id, a]));

/** Model types with a spec (for docs and "supported" lists). */
export function hfModelTypes(): string[] {
  return [...byModelType.keys()].sort();
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface HfExpectedTensor extends ExpectedTensor {
  /** What the tensor belongs to, for messages: "the language model", "the vision tower", "the projector", "the task head". */
  readonly label: string;
}

export interface HfLayout {
  readonly arch: HfArchitecture;
  readonly modelType: string;
  /** The class the check is for (`LlamaForCausalLM`). */
  readonly className: string;
  /** Class suffix (`ForCausalLM`). */
  readonly head: string;
  /** False when `architectures` names a class this spec does not know (the default class is checked instead). */
  readonly headKnown: boolean;
  /** A task class: its head is new when fine-tuning from a base checkpoint. */
  readonly task: boolean;
  /** Where this class keeps the base model (`model.`; '' for the base class). */
  readonly backbonePrefix: string;
  readonly tensors: readonly HfExpectedTensor[];
  /** Other releases' names (prefix renames from `tensors`' names). */
  readonly namings: readonly NamingScheme[];
  /** Embedded models (VLM tower / LM) with the model_type their sub-config names. */
  readonly subModels: readonly { readonly label: string; readonly modelType: string; readonly prefix: string; readonly tower: TowerId }[];
  /** How many release variants the class has (`alt` 0 … variants-1). */
  readonly variants: number;
  /** Things the check cannot see, in words (e.g. the CLIP tower of original LLaVA is loaded from elsewhere). */
  readonly notes: readonly string[];
}

export type HfResolveError = { code: 'architecture-unknown'; modelType: string | null; className: string | null; message: string } | { code: 'spec-error'; message: string };

const CATEGORY_LABEL: Record<HfArchitecture['category'], string> = {
  decoder: 'the language model',
  encoder: 'the encoder',
  vision: 'the vision encoder',
  seq2seq: 'the encoder-decoder',
  audio: 'the speech model',
  vlm: 'the vision-language model',
  'vision-tower': 'the vision tower',
};

/** Which entry a config.json describes (model_type; original LLaVA by its `mm_*` fields). */
export function hfArchitectureOf(json: Json): HfArchitecture | undefined {
  const mt = typeof json.model_type === 'string' ? json.model_type : undefined;
  if (mt === 'llava' && !isObj(json.text_config) && (json.mm_vision_tower !== undefined || json.mm_hidden_size !== undefined)) return byId.get('llava-original');
  if (mt === undefined) return undefined;
  return byModelType.get(mt);
}

/** Flat config the expander reads: top-level scalars/lists, `sub.field` for nested objects, defaults beneath, `num_labels` derived. */
export function flattenHfConfig(json: Json, arch: HfArchitecture): SpecConfig {
  const out: Record<string, SpecConfig[string]> = { ...arch.defaults };
  for (const [k, v] of Object.entries(json)) {
    if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string' || v === null) out[k] = v;
    else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) out[k] = v as number[];
  }
  for (const sub of arch.subModels ?? []) {
    if (!sub.configKey) continue;
    const sj = isObj(json[sub.configKey]) ? (json[sub.configKey] as Json) : {};
    const st = typeof sj.model_type === 'string' ? sj.model_type : sub.defaultType;
    const named = byModelType.get(st);
    const se = named && (sub.tower === 'vision' ? named.category === 'vision-tower' : named.category === 'decoder') ? named : byModelType.get(sub.defaultType);
    const flat = se ? flattenHfConfig(sj, se) : {};
    for (const [k, v] of Object.entries(flat)) if (v !== undefined) out[`${sub.configKey}.${k}`] = v;
  }
  if (typeof json.num_labels === 'number') out.num_labels = json.num_labels;
  else if (isObj(json.id2label)) out.num_labels = Object.keys(json.id2label).length;
  return out;
}

/** One entry + one class → an ArchitectureSpec of the spec mechanism (backbone under the class's prefix, then the class's parts). */
export function toArchitectureSpec(arch: HfArchitecture, head: string, alt = 0): ArchitectureSpec {
  const h = headOf(arch, head, alt);
  const base = h.backbone ?? `${arch.basePrefix}.`;
  const without = new Set(h.without ?? []);
  const parts: PartSpec[] = [...arch.backbone.filter((p) => !without.has(p.id)).map((p) => ({ ...p, prefix: base + p.prefix })), ...h.parts];
  return { id: `${arch.id}:${head}`, ...(arch.vars ? { vars: arch.vars } : {}), ...(arch.templates ? { templates: arch.templates } : {}), defaults: arch.defaults, parts };
}

/** The class's head in release variant `alt` (0 = the main one). */
export function headOf(arch: HfArchitecture, head: string, alt = 0): HfHead {
  const h = arch.heads[head] ?? arch.heads[arch.defaultHead]!;
  return alt > 0 && h.alt?.[alt - 1] ? h.alt[alt - 1]! : h;
}

function className(json: Json): string | null {
  return Array.isArray(json.architectures) && typeof json.architectures[0] === 'string' ? json.architectures[0] : null;
}

function labelOf(arch: HfArchitecture, e: ExpectedTensor, task: boolean): string {
  if (e.role === 'task-head' || (task && e.partKind === 'head' && e.tower === 'other')) return 'the task head';
  if (e.partKind === 'projector') return 'the projector';
  if (e.partKind === 'head') return arch.category === 'decoder' || arch.category === 'vlm' ? 'the LM head' : 'the output head';
  if (arch.category === 'seq2seq' || arch.category === 'audio') return e.tower === 'decoder' ? 'the decoder' : 'the encoder';
  return CATEGORY_LABEL[arch.category];
}

/**
 * The expected layout for a config.json. `classOverride` checks another class than
 * `architectures[0]` (e.g. a base checkpoint loaded into `XForSequenceClassification`).
 */
export function hfExpectedLayout(json: Json, classOverride?: string, alt = 0): Result<HfLayout, HfResolveError> {
  const arch = hfArchitectureOf(json);
  const mt = typeof json.model_type === 'string' ? json.model_type : null;
  const cls = classOverride ?? className(json);
  if (!arch) return err({ code: 'architecture-unknown', modelType: mt, className: cls, message: `no spec for model_type ${JSON.stringify(mt)}` });
  let head = arch.defaultHead;
  let headKnown = cls === null;
  if (cls !== null && cls.startsWith(arch.classPrefix) && arch.heads[cls.slice(arch.classPrefix.length)]) {
    head = cls.slice(arch.classPrefix.length);
    headKnown = true;
  }
  // GPT-2 style names (`GPT2LMHeadModel`), and original LLaVA's `LlavaLlamaForCausalLM` / `LISAForCausalLM`.
  if (!headKnown && cls !== null) {
    const suffix = Object.keys(arch.heads).find((s) => cls.endsWith(s) && s !== 'Model');
    if (suffix && arch.id === 'llava-original') {
      head = suffix;
      headKnown = true;
    }
  }
  const resolvedClass = headKnown && cls !== null ? cls : arch.classPrefix + head;
  const h = headOf(arch, head, alt);
  const task = h.task === true;
  const notes: string[] = [];
  const out: HfExpectedTensor[] = [];
  const r = expandSpec(toArchitectureSpec(arch, head, alt), flattenHfConfig(json, arch));
  if (!r.ok) return err({ code: 'spec-error', message: r.error.message });
  for (const e of r.value) out.push({ ...e, label: labelOf(arch, e, task) });
  const backbonePrefix = h.backbone ?? `${arch.basePrefix}.`;
  const subs: { label: string; modelType: string; prefix: string; tower: TowerId }[] = [];
  for (const sub of arch.subModels ?? []) {
    const r2 = expandSub(json, sub, backbonePrefix);
    if (!r2.ok) return r2;
    subs.push({ label: sub.label, modelType: r2.value.modelType, prefix: backbonePrefix + sub.prefix, tower: sub.tower });
    out.push(...r2.value.tensors);
    if (r2.value.note) notes.push(r2.value.note);
  }
  if (arch.id === 'llava-original') {
    const tower = typeof json.mm_vision_tower === 'string' ? json.mm_vision_tower : typeof json.vision_tower === 'string' ? json.vision_tower : 'the model named by mm_vision_tower';
    notes.push(`The CLIP vision tower is not part of this checkpoint's layout: the LLaVA code loads it from ${JSON.stringify(tower)} at run time (tensors under model.vision_tower.* are accepted when stored).`);
  }
  const variants = 1 + (arch.heads[head]?.alt?.length ?? 0);
  return ok({ arch, modelType: mt ?? arch.id, className: resolvedClass, head, headKnown, task, backbonePrefix, tensors: out, namings: arch.namings ?? [], subModels: subs, notes, variants });
}

function expandSub(json: Json, sub: HfSubModel, backbonePrefix: string): Result<{ tensors: HfExpectedTensor[]; modelType: string; note?: string }, HfResolveError> {
  const sj = sub.configKey === '' ? json : isObj(json[sub.configKey]) ? (json[sub.configKey] as Json) : {};
  const named = typeof sj.model_type === 'string' && sub.configKey !== '' ? sj.model_type : undefined;
  // A sub-config's model_type can name the outer model (Idefics3's vision_config says `idefics3`): only a
  // tower for a tower, a decoder for a language model.
  const fits = (a: HfArchitecture | undefined) => a !== undefined && (sub.tower === 'vision' ? a.category === 'vision-tower' : a.category === 'decoder');
  const namedEntry = named ? byModelType.get(named) : undefined;
  let se = !named ? byModelType.get(sub.defaultType) : fits(namedEntry) ? namedEntry : namedEntry && !fits(namedEntry) ? byModelType.get(sub.defaultType) : undefined;
  let note: string | undefined;
  if (!se) {
    // A VLM whose LM is another decoder (LLaVA with Qwen2, Mistral, …) works when that decoder has a spec.
    note = `${sub.label} has model_type ${JSON.stringify(named)}, which has no spec: it is checked as ${sub.defaultType}.`;
    se = byModelType.get(sub.defaultType)!;
  }
  const head = se.heads[sub.as] ? sub.as : se.defaultHead;
  const r = expandSpec(toArchitectureSpec(se, head), flattenHfConfig(sj, se));
  if (!r.ok) return err({ code: 'spec-error', message: r.error.message });
  const prefix = backbonePrefix + sub.prefix;
  const tensors = r.value.map((e) => ({
    ...e,
    name: prefix + e.name,
    ...(e.tiedTo ? { tiedTo: prefix + e.tiedTo } : {}),
    part: `${sub.configKey || 'text'}:${e.part}`,
    tower: sub.tower === 'vision' ? ('vision' as const) : e.tower === 'other' ? e.tower : sub.tower,
    label: e.partKind === 'head' && sub.tower === 'text' ? 'the LM head' : sub.label,
  }));
  return ok({ tensors, modelType: se.modelTypes[0] ?? se.id, ...(note ? { note } : {}) });
}

/** Which entry's data the ground-truth tests compare: every (model_type, class suffix) pair. */
export function hfClasses(): { arch: HfArchitecture; head: string; className: string }[] {
  return HF_ARCHITECTURES.flatMap((arch) => Object.keys(arch.heads).map((head) => ({ arch, head, className: arch.classPrefix + head })));
}
