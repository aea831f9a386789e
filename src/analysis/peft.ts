import { plural } from '../shared/text.js';
import type { Finding } from './types.js';

/**
 * PEFT adapters (`adapter_config.json` + `adapter_model.safetensors`, as `PeftModel.save_pretrained`
 * writes them): rank, alpha, target modules, and whether the adapter's keys name modules the base
 * model has, with fitting shapes. Keys look like
 * `base_model.model.<module path>.lora_A.weight` [r, in] / `.lora_B.weight` [out, r]
 * (`lora_embedding_A/B` for embeddings, `.lora_magnitude_vector` for DoRA); `modules_to_save`
 * copies are stored under their module's own name (`base_model.model.classifier.weight`).
 */

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface AdapterConfig {
  peftType: string;
  r: number | null;
  alpha: number | null;
  targetModules: string[] | string | null;
  modulesToSave: string[];
  baseModel: string | null;
  taskType: string | null;
  useDora: boolean;
  fanInFanOut: boolean;
  /** Per-module ranks (`rank_pattern`): lora_A ranks may differ from `r`. */
  rankPattern: boolean;
}

export function readAdapterConfig(j: Json): AdapterConfig {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const strs = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    peftType: typeof j.peft_type === 'string' ? j.peft_type : 'UNKNOWN',
    r: num(j.r),
    alpha: num(j.lora_alpha),
    targetModules: typeof j.target_modules === 'string' ? j.target_modules : Array.isArray(j.target_modules) ? strs(j.target_modules) : null,
    modulesToSave: strs(j.modules_to_save),
    baseModel: typeof j.base_model_name_or_path === 'string' ? j.base_model_name_or_path : null,
    taskType: typeof j.task_type === 'string' ? j.task_type : null,
    useDora: j.use_dora === true,
    fanInFanOut: j.fan_in_fan_out === true,
    rankPattern: isObj(j.rank_pattern) && Object.keys(j.rank_pattern).length > 0,
  };
}

export interface AdapterTensor {
  readonly name: string;
  readonly shape: readonly number[];
}

/** Base model tensors by name (from its checkpoint or from its config via the spec). */
export interface BaseModel {
  /** Where the layout came from, in words (`config.json beside the adapter (llama)`, `/path/model.safetensors`). */
  readonly source: string;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

export interface PeftCheck {
  config: AdapterConfig;
  /** Adapted modules (module path without `base_model.model.`). */
  modules: string[];
  /** Leaf names of the adapted modules (`q_proj`, `v_proj`). */
  targets: string[];
  loraTensors: number;
  savedModules: string[];
  /** Ranks seen in lora_A tensors. */
  ranks: number[];
  base: { source: string; checked: boolean; missingModules: string[]; shapeMismatches: { module: string; adapter: string; base: string }[] } | null;
}

const LORA_SUFFIXES = ['.lora_A.weight', '.lora_B.weight', '.lora_embedding_A', '.lora_embedding_B', '.lora_magnitude_vector', '.lora_A.default.weight', '.lora_B.default.weight'];
const PREFIX = 'base_model.model.';

function moduleOf(name: string): { module: string; kind: string } | null {
  for (const s of LORA_SUFFIXES) if (name.endsWith(s)) return { module: stripPrefix(name.slice(0, name.length - s.length)), kind: s };
  return null;
}

const stripPrefix = (n: string) => (n.startsWith(PREFIX) ? n.slice(PREFIX.length) : n);

/**
 * Checks adapter tensors against a base model, when there is one. A module matches when the base
 * has `<module>.weight`; a base checkpoint saved without the task class's prefix (`model.`) is
 * matched after adding / removing it.
 */
export function checkPeft(config: AdapterConfig, tensors: readonly AdapterTensor[], base: BaseModel | null): { check: PeftCheck; findings: Finding[] } {
  const mods = new Map<string, { A?: readonly number[]; B?: readonly number[]; embA?: readonly number[]; embB?: readonly number[] }>();
  const saved: string[] = [];
  let loraTensors = 0;
  for (const t of tensors) {
    const m = moduleOf(t.name);
    if (!m) {
      saved.push(stripPrefix(t.name));
      continue;
    }
    loraTensors++;
    const e = mods.get(m.module) ?? {};
    if (m.kind.startsWith('.lora_A')) e.A = t.shape;
    else if (m.kind.startsWith('.lora_B')) e.B = t.shape;
    else if (m.kind === '.lora_embedding_A') e.embA = t.shape;
    else if (m.kind === '.lora_embedding_B') e.embB = t.shape;
    mods.set(m.module, e);
  }
  const modules = [...mods.keys()];
  const targets = [...new Set(modules.map((m) => m.slice(m.lastIndexOf('.') + 1)))].sort();
  const ranks = [...new Set([...mods.values()].map((e) => e.A?.[0] ?? e.embA?.[0]).filter((x): x is number => x !== undefined))].sort((a, b) => a - b);
  const findings: Finding[] = [];
  const c = config;
  const tm = c.targetModules === null ? 'none listed' : typeof c.targetModules === 'string' ? `pattern ${JSON.stringify(c.targetModules)}` : c.targetModules.join(', ');
  findings.push({
    code: 'peft-adapter',
    severity: 'info',
    message: `${c.peftType}${c.useDora ? ' (DoRA)' : ''} adapter: r=${c.r ?? '?'}, alpha=${c.alpha ?? '?'}${c.r && c.alpha ? ` (scale ${+(c.alpha / c.r).toFixed(4)})` : ''}, target modules ${tm}; ${loraTensors} adapter tensors on ${modules.length} modules (${targets.join(', ') || 'none'})${saved.length ? `, plus ${plural(saved.length, 'fully saved tensor')} of ${c.modulesToSave.join(', ') || 'other modules'}` : ''}. Base model: ${c.baseModel ? JSON.stringify(c.baseModel) : 'not named'}.`,
  });
  if (c.r !== null && ranks.length && ranks.some((r) => r !== c.r) && !c.rankPattern) {
    findings.push({ code: 'peft-rank-mismatch', severity: 'warning', message: `adapter_config.json says r=${c.r}, but the lora_A tensors have rank ${ranks.join(', ')} (a rank_pattern, or a config from another adapter): PEFT builds the layers from the config and then refuses the tensors (size mismatch).` });
  }
  if (loraTensors === 0) findings.push({ code: 'peft-no-adapter-tensors', severity: 'error', message: 'adapter_model has no LoRA tensors (lora_A / lora_B): loading it adds nothing to the base model, so the fine-tune is lost.' });

  let baseResult: PeftCheck['base'] = null;
  if (base) {
    // Base checkpoints of a task class keep the backbone under a prefix the adapter may or may not use.
    const shapeOf = (m: string): readonly number[] | undefined => {
      const direct = base.shapes.get(`${m}.weight`);
      if (direct) return direct;
      for (const p of ['model.', 'transformer.', 'bert.', 'roberta.']) {
        if (m.startsWith(p)) {
          const s = base.shapes.get(`${m.slice(p.length)}.weight`);
          if (s) return s;
        } else {
          const s = base.shapes.get(`${p}${m}.weight`);
          if (s) return s;
        }
      }
      return undefined;
    };
    const missingModules: string[] = [];
    const shapeMismatches: { module: string; adapter: string; base: string }[] = [];
    for (const [m, e] of mods) {
      const s = shapeOf(m);
      if (!s) {
        missingModules.push(m);
        continue;
      }
      if (e.A && e.B && s.length === 2) {
        // nn.Linear weight [out, in]: lora_A [r, in], lora_B [out, r]; GPT-2 Conv1D (fan_in_fan_out) stores [in, out].
        const [out, inp] = c.fanInFanOut ? [s[1]!, s[0]!] : [s[0]!, s[1]!];
        if (e.A[1] !== inp || e.B[0] !== out) shapeMismatches.push({ module: m, adapter: `lora_A ${JSON.stringify(e.A)}, lora_B ${JSON.stringify(e.B)}`, base: `weight ${JSON.stringify(s)}` });
      }
    }
    baseResult = { source: base.source, checked: true, missingModules, shapeMismatches };
    if (missingModules.length) {
      const all = missingModules.length === modules.length;
      findings.push({
        code: 'peft-wrong-base',
        severity: 'error',
        message: `${all ? 'None' : `${missingModules.length} of ${modules.length}`} of the adapted modules exist in the base model (${base.source}), e.g. ${JSON.stringify(missingModules[0])}: the adapter was trained for another architecture, so PEFT ${all ? 'cannot apply it (no target module found) and the fine-tune is lost' : 'leaves those weights unused and the fine-tune is partly lost'}.`,
        tensors: missingModules.slice(0, 100),
        tensorCount: missingModules.length,
      });
    }
    if (shapeMismatches.length) {
      const first = shapeMismatches[0]!;
      findings.push({
        code: 'peft-shape-mismatch',
        severity: 'error',
        message: `${plural(shapeMismatches.length, 'adapted module')} ${shapeMismatches.length === 1 ? 'does' : 'do'} not fit the base model's shapes (${JSON.stringify(first.module)}: ${first.adapter} vs the base ${first.base}): the adapter was trained on another model size, and loading it fails with a size mismatch.`,
        tensors: shapeMismatches.slice(0, 100).map((m) => m.module),
        tensorCount: shapeMismatches.length,
      });
    }
  } else {
    findings.push({
      code: 'peft-base-unknown',
      severity: 'info',
      message: `Not checked against a base model: none is beside the adapter (config.json or a checkpoint). Pass --base DIR (the base model's folder) to check that every adapted module exists with fitting shapes${c.baseModel ? `; the adapter names ${JSON.stringify(c.baseModel)}` : ''}.`,
    });
  }
  return { check: { config: c, modules, targets, loraTensors, savedModules: saved, ranks, base: baseResult }, findings };
}

/** True for a parsed adapter_config.json (has a peft_type or LoRA fields). */
export function looksLikeAdapterConfig(j: unknown): j is Json {
  return isObj(j) && (typeof j.peft_type === 'string' || (typeof j.r === 'number' && j.target_modules !== undefined));
}
