import { readSmallFile } from '../io/fileHead.js';
import { childOf, baseNameOf } from '../io/paths.js';
import { CLIP_CONFIGS, configForTimmName } from '../layouts/configs.js';
import { configFacts } from './architecture.js';
import type { Activation } from './types.js';

/**
 * Side configs beside a checkpoint (§6): open_clip_config.json, transformers / timm config.json.
 * They fix facts the weights cannot show (QuickGELU vs GELU) and name the model; the analysis
 * prefers them and reports any disagreement with the shapes.
 */
export interface SideConfig {
  file: string;
  kind: 'open_clip' | 'transformers' | 'timm';
  /** Named configuration the config describes, when one matches. */
  name: string | null;
  /** Shape facts (same keys as `inferredFacts`). */
  facts: Record<string, number | string>;
  activation: Activation;
  activationNote: string;
  /** For transformers: the `architectures[0]` class. */
  modelClass?: string;
  /** The parsed file (the generated layouts read every field, src/analysis/generated.ts). */
  json?: Record<string, unknown>;
}

export type SideConfigResult = { config: SideConfig | null; problem?: { code: string; message: string; file: string } };

const MAX_CONFIG_BYTES = 4 << 20;
type Json = Record<string, unknown>;

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

async function readJson(path: string): Promise<{ json?: Json; error?: string } | undefined> {
  // Local or remote (a config beside a Hub checkpoint); absent or unreadable = no config.
  const r = await readSmallFile(path, baseNameOf(path), MAX_CONFIG_BYTES);
  if (!r.ok) {
    if (r.error.code === 'file-too-large') return { error: `is above the ${MAX_CONFIG_BYTES}-byte limit for a config file` };
    // Absent = no config; anything else (a FIFO or device, an I/O error) is said, never waited on.
    return r.error.code === 'file-not-found' || r.error.code === 'remote-file-not-found' ? undefined : { error: `cannot be read (${r.error.code})` };
  }
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(r.value));
    return isObj(v) ? { json: v } : { error: 'is not a JSON object' };
  } catch (e) {
    return { error: `is not valid JSON (${e instanceof Error ? e.message : String(e)})` };
  }
}

function nameForFacts(facts: Record<string, number | string>): string | null {
  const match = CLIP_CONFIGS.filter((c) => {
    const cf = configFacts(c);
    return Object.entries(facts).every(([k, v]) => cf[k] === undefined || cf[k] === v) && Object.keys(facts).some((k) => k.startsWith('vision.'));
  });
  return match.length === 1 ? match[0]!.name : null;
}

function openClipFacts(cfg: Json): Record<string, number | string> {
  const f: Record<string, number | string> = {};
  const v = isObj(cfg.vision_cfg) ? cfg.vision_cfg : {};
  const t = isObj(cfg.text_cfg) ? cfg.text_cfg : {};
  if (num(cfg.embed_dim)) f.embedDim = num(cfg.embed_dim)!;
  if (Array.isArray(v.layers)) {
    f['vision.kind'] = 'resnet';
    f['vision.layers'] = v.layers.join(',');
    if (num(v.width)) f['vision.width'] = num(v.width)!;
  } else if (v.timm_model_name === undefined || v.timm_model_name === null) {
    f['vision.kind'] = 'vit';
    if (num(v.layers)) f['vision.layers'] = num(v.layers)!;
    const width = num(v.width) ?? 768;
    f['vision.width'] = width;
    f['vision.patch'] = num(v.patch_size) ?? 16;
    f['vision.mlp'] = Math.round(width * (num(v.mlp_ratio) ?? 4));
  }
  if (num(v.image_size)) f['vision.image'] = num(v.image_size)!;
  if (t.hf_model_name === undefined || t.hf_model_name === null) {
    const tw = num(t.width) ?? 512;
    f['text.width'] = tw;
    f['text.layers'] = num(t.layers) ?? 12;
    f['text.context'] = num(t.context_length) ?? 77;
    f['text.vocab'] = num(t.vocab_size) ?? 49408;
    f['text.mlp'] = Math.round(tw * (num(t.mlp_ratio) ?? 4));
  }
  return f;
}

/** transformers CLIPConfig defaults (configs are written as a diff against them, §3.2). */
function hfFacts(cfg: Json): Record<string, number | string> {
  const f: Record<string, number | string> = {};
  const modelType = cfg.model_type;
  const vc = modelType === 'clip_vision_model' ? cfg : isObj(cfg.vision_config) ? cfg.vision_config : isObj(cfg.vision_config_dict) ? cfg.vision_config_dict : modelType === 'clip' ? {} : undefined;
  const tc = modelType === 'clip_text_model' ? cfg : isObj(cfg.text_config) ? cfg.text_config : isObj(cfg.text_config_dict) ? cfg.text_config_dict : modelType === 'clip' ? {} : undefined;
  f.embedDim = num(cfg.projection_dim) ?? 512;
  if (vc) {
    f['vision.kind'] = 'vit';
    f['vision.width'] = num(vc.hidden_size) ?? 768;
    f['vision.mlp'] = num(vc.intermediate_size) ?? 3072;
    f['vision.layers'] = num(vc.num_hidden_layers) ?? 12;
    f['vision.image'] = num(vc.image_size) ?? 224;
    f['vision.patch'] = num(vc.patch_size) ?? 32;
  }
  if (tc) {
    f['text.width'] = num(tc.hidden_size) ?? 512;
    f['text.mlp'] = num(tc.intermediate_size) ?? 2048;
    f['text.layers'] = num(tc.num_hidden_layers) ?? 12;
    f['text.context'] = num(tc.max_position_embeddings) ?? 77;
    f['text.vocab'] = num(tc.vocab_size) ?? 49408;
  }
  return f;
}

function hfActivation(cfg: Json): Activation {
  const acts = new Set<string>();
  for (const sub of [cfg, cfg.vision_config, cfg.text_config]) if (isObj(sub) && typeof sub.hidden_act === 'string') acts.add(sub.hidden_act);
  if (acts.size === 0) return 'quick_gelu'; // transformers' CLIP default
  if (acts.size === 1 && acts.has('quick_gelu')) return 'quick_gelu';
  if ([...acts].every((a) => a.startsWith('gelu'))) return 'gelu';
  return 'unknown';
}

export async function readSideConfig(dir: string): Promise<SideConfigResult> {
  const ocPath = childOf(dir, 'open_clip_config.json');
  const oc = await readJson(ocPath);
  if (oc?.error) return { config: null, problem: { code: 'config-unreadable', message: `open_clip_config.json ${oc.error}; the architecture is inferred from shapes only.`, file: 'open_clip_config.json' } };
  if (oc?.json) {
    const cfg = isObj(oc.json.model_cfg) ? oc.json.model_cfg : oc.json;
    const facts = openClipFacts(cfg);
    const quick = cfg.quick_gelu === true;
    return {
      config: {
        file: 'open_clip_config.json',
        kind: 'open_clip',
        name: nameForFacts(facts),
        facts,
        activation: quick ? 'quick_gelu' : 'gelu',
        activationNote: quick ? 'open_clip_config.json sets quick_gelu: true (QuickGELU).' : 'open_clip_config.json does not set quick_gelu, so open_clip builds nn.GELU.',
        json: oc.json,
      },
    };
  }
  const hfPath = childOf(dir, 'config.json');
  const hf = await readJson(hfPath);
  if (hf?.error) return { config: null, problem: { code: 'config-unreadable', message: `config.json ${hf.error}; the architecture is inferred from shapes only.`, file: 'config.json' } };
  if (!hf?.json) return { config: null };
  const j = hf.json;
  if (typeof j.architecture === 'string') {
    const named = configForTimmName(j.architecture);
    const facts: Record<string, number | string> = {};
    if (named) {
      const all = configFacts(named);
      for (const [k, v] of Object.entries(all)) if (k.startsWith('vision.')) facts[k] = v;
      facts.embedDim = num(j.num_classes) ?? named.embedDim;
    }
    const quick = j.architecture.includes('quickgelu');
    return {
      config: {
        file: 'config.json',
        kind: 'timm',
        name: named?.name ?? null,
        facts,
        activation: quick ? 'quick_gelu' : 'gelu',
        activationNote: quick
          ? `timm architecture ${j.architecture} uses QuickGELU.`
          : `timm architecture ${j.architecture} uses nn.GELU; OpenAI / MetaCLIP / DFN weights were trained with QuickGELU (use the *_clip_quickgelu_* model for original results).`,
        json: j,
      },
    };
  }
  const mt = j.model_type;
  if (mt === 'clip' || mt === 'clip_vision_model' || mt === 'clip_text_model') {
    const facts = hfFacts(j);
    const act = hfActivation(j);
    const arch = Array.isArray(j.architectures) && typeof j.architectures[0] === 'string' ? j.architectures[0] : undefined;
    return {
      config: {
        file: 'config.json',
        kind: 'transformers',
        name: nameForFacts(facts),
        facts,
        activation: act,
        activationNote: act === 'quick_gelu' ? 'config.json hidden_act is quick_gelu (the transformers CLIP default).' : act === 'gelu' ? 'config.json hidden_act is gelu.' : 'config.json mixes activations.',
        ...(arch ? { modelClass: arch } : {}),
        json: j,
      },
    };
  }
  if (mt === 'siglip' || mt === 'siglip_vision_model' || mt === 'siglip_text_model' || mt === 'siglip2' || mt === 'siglip2_vision_model' || mt === 'siglip2_text_model') {
    const arch = Array.isArray(j.architectures) && typeof j.architectures[0] === 'string' ? j.architectures[0] : undefined;
    return {
      config: {
        file: 'config.json',
        kind: 'transformers',
        name: null,
        facts: {},
        activation: 'unknown',
        activationNote: 'SigLIP uses the tanh approximation of GELU (gelu_pytorch_tanh) unless config.json says otherwise.',
        ...(arch ? { modelClass: arch } : {}),
        json: j,
      },
    };
  }
  return { config: null };
}

/**
 * The files beside a checkpoint that say which transformers architecture it is: config.json
 * (any model_type), quantize_config.json (old GPTQ) and adapter_config.json (PEFT). Each is
 * bounded like the other side configs; an unreadable one is a problem, not a crash.
 */
export interface ArchitectureFiles {
  config: Json | null;
  quantizeConfig: Json | null;
  adapterConfig: Json | null;
  problems: { code: string; message: string; file: string }[];
}

export async function readArchitectureFiles(dir: string): Promise<ArchitectureFiles> {
  const out: ArchitectureFiles = { config: null, quantizeConfig: null, adapterConfig: null, problems: [] };
  const files = [
    ['config.json', 'config'],
    ['quantize_config.json', 'quantizeConfig'],
    ['adapter_config.json', 'adapterConfig'],
  ] as const;
  // Read together (independent small files; one wait instead of three), used in this order.
  const read = await Promise.all(files.map(([file]) => readJson(childOf(dir, file))));
  for (let i = 0; i < files.length; i++) {
    const [file, key] = files[i]!;
    const r = read[i];
    if (r?.error) {
      // config.json problems are already reported by readSideConfig.
      if (file !== 'config.json') out.problems.push({ code: 'config-unreadable', message: `${file} ${r.error}; it is not used.`, file });
    } else if (r?.json) out[key] = r.json;
  }
  return out;
}
