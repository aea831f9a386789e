import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openclipFactsFromJson } from '../layouts/spec/clipTables.js';
import { hfSpecConfig } from '../layouts/spec/hf.js';
import type { Activation, ConfigHints, SiglipVisionShape, TextShape } from './modelConfig.js';
import { siglipFactsFrom, type SiglipFacts } from './siglipModel.js';

/**
 * Hints the state dict cannot carry (activation, head counts, pooling), read from the config file
 * shipped beside the weights: open_clip's `open_clip_config.json` or transformers' `config.json`.
 * Unreadable or unexpected files give no hints (the probe then uses OpenAI defaults and says so).
 */
export interface SidecarHints extends ConfigHints {
  /** open_clip_config.json's timm trunk (`vision_cfg.timm_model_name`). */
  readonly trunkName?: string;
  /** An open_clip SigLIP config's shapes (head counts from its timm trunk, a missing tower). */
  readonly siglipFacts?: SiglipFacts;
}

export async function sidecarHints(dir: string): Promise<SidecarHints> {
  const oc = await readJson(join(dir, 'open_clip_config.json'));
  const mc = (oc?.model_cfg ?? undefined) as Record<string, unknown> | undefined;
  if (mc && typeof mc === 'object') {
    const v = mc.vision_cfg as Record<string, unknown> | undefined;
    const t = mc.text_cfg as Record<string, unknown> | undefined;
    const hints: { -readonly [K in keyof SidecarHints]: SidecarHints[K] } = {
      activation: mc.quick_gelu === true ? { value: 'quickgelu', source: 'open_clip_config.json quick_gelu: true' } : { value: 'gelu', source: 'open_clip_config.json (quick_gelu not set → GELU)' },
    };
    // open_clip: a ModifiedResNet (vision_cfg.layers is a list) has width·32 / head_width pool heads.
    const poolWidth = Array.isArray(v?.layers) ? 32 : 1;
    if (typeof v?.width === 'number') hints.visionHeads = (v.width * poolWidth) / (typeof v.head_width === 'number' ? v.head_width : 64);
    if (typeof t?.heads === 'number') hints.textHeads = t.heads;
    // SigLIP 2's text tower: nn.GELU(approximate='tanh') (text_cfg.act_kwargs); its timm trunk keeps exact GELU.
    const ak = t?.act_kwargs as Record<string, unknown> | undefined;
    if (ak && typeof ak === 'object' && ak.approximate === 'tanh') hints.textActivation = { value: 'gelu_tanh', source: 'open_clip_config.json text_cfg.act_kwargs approximate: tanh' };
    if (typeof v?.timm_model_name === 'string') {
      hints.trunkName = v.timm_model_name.slice(0, 200);
      const facts = openclipFactsFromJson(mc);
      const sig = typeof facts === 'string' ? undefined : siglipFactsFrom(facts, 'open_clip_config.json');
      if (sig) {
        hints.siglipFacts = sig;
        if (sig.vision) hints.visionHeads = sig.vision.heads;
      }
    }
    return hints;
  }
  const hf = await readJson(join(dir, 'config.json'));
  // One-tower classes (SiglipVisionModel, CLIPTextModel, …) keep their tower's fields at the top level.
  const mt = typeof hf?.model_type === 'string' ? hf.model_type : '';
  if (hf && (hf.vision_config || hf.text_config || mt.endsWith('_vision_model') || mt.endsWith('_text_model'))) {
    const v = (mt.endsWith('_vision_model') ? hf : hf.vision_config) as Record<string, unknown> | undefined;
    const t = (mt.endsWith('_text_model') ? hf : hf.text_config) as Record<string, unknown> | undefined;
    const siglip = typeof hf.model_type === 'string' && hf.model_type.startsWith('siglip');
    // SiglipConfig's default is gelu_pytorch_tanh, CLIPConfig's quick_gelu.
    const act = (t?.hidden_act ?? v?.hidden_act ?? (siglip ? 'gelu_pytorch_tanh' : 'quick_gelu')) as string;
    const value: Activation = act === 'quick_gelu' ? 'quickgelu' : ['gelu_pytorch_tanh', 'gelu_new', 'gelu_fast'].includes(act) ? 'gelu_tanh' : 'gelu';
    const hints: { -readonly [K in keyof ConfigHints]: ConfigHints[K] } = {
      activation: { value, source: `config.json hidden_act: ${JSON.stringify(act).slice(0, 40)}` },
    };
    if (typeof v?.num_attention_heads === 'number') hints.visionHeads = v.num_attention_heads;
    if (typeof t?.num_attention_heads === 'number') hints.textHeads = t.num_attention_heads;
    // transformers pools at the first eos id unless the legacy eos_token_id 2 is configured (schemas §7).
    const eos = t?.eos_token_id;
    if (!siglip && typeof eos === 'number' && eos !== 2) hints.pooling = { kind: 'eos', eosTokenId: eos };
    if (siglip) {
      const facts = siglipFactsFromHfConfig(hf, hints.visionHeads, hints.textHeads);
      if (facts) return { ...hints, siglipFacts: facts };
    }
    return hints;
  }
  return {};
}

/**
 * A transformers SigLIP config.json as probe shapes (the class defaults filled in by the layout
 * spec's own reader, hfSpecConfig): the shape of a tower the file lacks comes from here.
 */
function siglipFactsFromHfConfig(hf: Record<string, unknown>, visionHeads: number | undefined, textHeads: number | undefined): SiglipFacts | undefined {
  const r = hfSpecConfig(hf);
  if ('error' in r) return undefined;
  const f = r.config;
  const n = (k: string, d: number) => (typeof f[k] === 'number' ? (f[k] as number) : d);
  const D = n('v.hidden_size', 768);
  const W = n('t.hidden_size', 768);
  const P = n('v.patch_size', 16);
  const grid = Math.floor(n('v.image_size', 224) / P);
  const mt = typeof hf.model_type === 'string' ? hf.model_type : '';
  const vision: SiglipVisionShape = { kind: 'siglip', width: D, layers: n('v.num_hidden_layers', 12), heads: visionHeads ?? Math.max(1, Math.floor(D / 64)), mlp: n('v.intermediate_size', 4 * D), mapMlp: n('v.intermediate_size', 4 * D), patch: P, imageSize: grid * P, tokens: grid * grid };
  const text: TextShape = { width: W, layers: n('t.num_hidden_layers', 12), heads: textHeads ?? Math.max(1, Math.floor(W / 64)), mlp: n('t.intermediate_size', 4 * W), contextLength: n('t.max_position_embeddings', 64), vocabSize: n('t.vocab_size', 32000), layerScale: false, causal: false };
  // A one-tower config says nothing about the other tower (its class defaults are not the model's).
  return { name: 'config.json', ...(mt.endsWith('_text_model') ? {} : { vision }), ...(mt.endsWith('_vision_model') ? {} : { text }), embedDim: n('t.projection_size', mt.endsWith('_vision_model') ? D : W) };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    if (text.length > 1 << 20) return undefined;
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
