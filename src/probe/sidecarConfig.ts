import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigHints } from './modelConfig.js';

/**
 * Hints the state dict cannot carry (activation, head counts, pooling), read from the config file
 * shipped beside the weights: open_clip's `open_clip_config.json` or transformers' `config.json`.
 * Unreadable or unexpected files give no hints (the probe then uses OpenAI defaults and says so).
 */
export async function sidecarHints(dir: string): Promise<ConfigHints> {
  const oc = await readJson(join(dir, 'open_clip_config.json'));
  const mc = (oc?.model_cfg ?? undefined) as Record<string, unknown> | undefined;
  if (mc) {
    const v = mc.vision_cfg as Record<string, unknown> | undefined;
    const t = mc.text_cfg as Record<string, unknown> | undefined;
    const hints: { -readonly [K in keyof ConfigHints]: ConfigHints[K] } = {
      activation: mc.quick_gelu === true ? { value: 'quickgelu', source: 'open_clip_config.json quick_gelu: true' } : { value: 'gelu', source: 'open_clip_config.json (quick_gelu not set → GELU)' },
    };
    // open_clip: a ModifiedResNet (vision_cfg.layers is a list) has width·32 / head_width pool heads.
    const poolWidth = Array.isArray(v?.layers) ? 32 : 1;
    if (typeof v?.width === 'number') hints.visionHeads = (v.width * poolWidth) / (typeof v.head_width === 'number' ? v.head_width : 64);
    if (typeof t?.heads === 'number') hints.textHeads = t.heads;
    return hints;
  }
  const hf = await readJson(join(dir, 'config.json'));
  if (hf && (hf.vision_config || hf.text_config)) {
    const v = hf.vision_config as Record<string, unknown> | undefined;
    const t = hf.text_config as Record<string, unknown> | undefined;
    const act = (t?.hidden_act ?? v?.hidden_act ?? 'quick_gelu') as string;
    const hints: { -readonly [K in keyof ConfigHints]: ConfigHints[K] } = {
      activation: { value: act === 'quick_gelu' ? 'quickgelu' : 'gelu', source: `config.json hidden_act: ${JSON.stringify(act).slice(0, 40)}` },
    };
    if (typeof v?.num_attention_heads === 'number') hints.visionHeads = v.num_attention_heads;
    if (typeof t?.num_attention_heads === 'number') hints.textHeads = t.num_attention_heads;
    // transformers pools at the first eos id unless the legacy eos_token_id 2 is configured (schemas §7).
    const eos = t?.eos_token_id;
    if (typeof eos === 'number' && eos !== 2) hints.pooling = { kind: 'eos', eosTokenId: eos };
    return hints;
  }
  return {};
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
