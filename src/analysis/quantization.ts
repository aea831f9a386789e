/**
 * Quantized checkpoints: which stored tensors are the packed form of one logical weight and which
 * are side tensors (scales, zeros, group indices, bitsandbytes state), and how many parameters
 * the packed integers stand for. Names and dtypes/shapes only; no values are read.
 *
 *   GPTQ / AWQ (auto-gptq, AutoAWQ, optimum):  X.qweight, X.qzeros, X.scales, X.g_idx  → X.weight
 *   bitsandbytes 4-bit:   X.weight (uint8, packed) + X.weight.absmax / .quant_map / .nested_absmax /
 *                         .nested_quant_map / .quant_state.bitsandbytes__{nf4,fp4}
 *   bitsandbytes 8-bit:   X.weight (int8, unpacked) + X.SCB, X.weight_format
 *   compressed-tensors / FP8: X.weight (fp8) or X.weight_packed + X.weight_scale, X.weight_zero_point,
 *                         X.weight_shape, X.input_scale, X.output_scale, X.weight_global_scale
 *   MLX:                  X.weight (uint32, packed) + X.scales, X.biases
 *   MXFP4 (gpt-oss):      X_blocks + X_scales → X
 */

export type QuantMethod = 'gptq' | 'awq' | 'bitsandbytes-4bit' | 'bitsandbytes-8bit' | 'compressed-tensors' | 'fp8' | 'mlx' | 'mxfp4' | 'unknown';

export interface QuantInfo {
  readonly method: QuantMethod;
  /** Bits per packed weight, when known (config, or 4 for NF4). */
  readonly bits: number | null;
  /** Where the method came from. */
  readonly source: 'config' | 'names';
  readonly groupSize?: number | null;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** From config.json's `quantization_config` / MLX `quantization`, or a GPTQ `quantize_config.json`. */
export function quantFromConfig(config: Json | null, quantizeConfig?: Json | null): QuantInfo | null {
  const mlx = config && isObj(config.quantization) ? config.quantization : null;
  const q = config && isObj(config.quantization_config) ? config.quantization_config : null;
  // MLX writes its `quantization` block twice, the second time as a quantization_config without quant_method.
  if (q && !(mlx && q.quant_method === undefined)) {
    const m = String(q.quant_method ?? '').toLowerCase();
    const bits = num(q.bits) ?? num(q.w_bit);
    const groupSize = num(q.group_size) ?? num(q.q_group_size);
    if (m === 'gptq') return { method: 'gptq', bits: bits ?? 4, source: 'config', groupSize };
    if (m === 'awq') return { method: 'awq', bits: bits ?? 4, source: 'config', groupSize };
    if (m === 'bitsandbytes') return q.load_in_8bit === true ? { method: 'bitsandbytes-8bit', bits: 8, source: 'config' } : { method: 'bitsandbytes-4bit', bits: 4, source: 'config' };
    if (m === 'compressed-tensors') return { method: 'compressed-tensors', bits: null, source: 'config' };
    if (m === 'fbgemm_fp8' || m === 'fp8') return { method: 'fp8', bits: 8, source: 'config' };
    if (m === 'mxfp4') return { method: 'mxfp4', bits: 4, source: 'config' };
    return { method: 'unknown', bits, source: 'config', groupSize };
  }
  if (mlx && num(mlx.bits)) return { method: 'mlx', bits: num(mlx.bits), source: 'config', groupSize: num(mlx.group_size) };
  if (quantizeConfig && num(quantizeConfig.bits)) return { method: 'gptq', bits: num(quantizeConfig.bits), source: 'config', groupSize: num(quantizeConfig.group_size) };
  return null;
}

const GPTQ_AUX = ['.qzeros', '.scales', '.g_idx'];
const BNB4_AUX = ['.weight.absmax', '.weight.quant_map', '.weight.nested_absmax', '.weight.nested_quant_map', '.weight.quant_state.bitsandbytes__nf4', '.weight.quant_state.bitsandbytes__fp4'];
const BNB8_AUX = ['.SCB', '.weight_format'];
const CT_AUX = ['.weight_scale', '.weight_zero_point', '.weight_shape', '.input_scale', '.output_scale', '.weight_global_scale', '.input_global_scale', '.weight_scale_2', '.k_scale', '.v_scale'];
const MLX_AUX = ['.scales', '.biases'];

export interface QuantName {
  /** The logical tensor this stored tensor belongs to (`X.weight`), or null for a plain tensor. */
  readonly logical: string | null;
  /** `packed`: stands for the logical weight (qweight, packed uint8/uint32 weight); `aux`: side tensor. */
  readonly kind: 'packed' | 'aux' | 'plain';
}

/**
 * What one stored name is in a quantized checkpoint. `has(name)` tells whether another name exists
 * (MLX `X.scales`/`X.biases` are aux only beside an `X.weight`; GPTQ `.scales` only beside `.qweight`).
 */
export function quantNameOf(name: string, has: (n: string) => boolean, method: QuantMethod | null): QuantName {
  const strip = (suffix: string) => name.slice(0, name.length - suffix.length);
  if (name.endsWith('.qweight')) return { logical: `${strip('.qweight')}.weight`, kind: 'packed' };
  for (const s of GPTQ_AUX) if (name.endsWith(s) && has(`${strip(s)}.qweight`)) return { logical: `${strip(s)}.weight`, kind: 'aux' };
  for (const s of BNB4_AUX) if (name.endsWith(s)) return { logical: `${strip(s)}.weight`, kind: 'aux' };
  for (const s of BNB8_AUX) if (name.endsWith(s) && has(`${strip(s)}.weight`)) return { logical: `${strip(s)}.weight`, kind: 'aux' };
  for (const s of CT_AUX) if (name.endsWith(s) && (has(`${strip(s)}.weight`) || has(`${strip(s)}.weight_packed`) || s === '.k_scale' || s === '.v_scale')) return { logical: `${strip(s)}.weight`, kind: 'aux' };
  if (name.endsWith('.weight_packed')) return { logical: `${strip('.weight_packed')}.weight`, kind: 'packed' };
  for (const s of MLX_AUX) if (name.endsWith(s) && has(`${strip(s)}.weight`) && method !== 'gptq' && method !== 'awq') return { logical: `${strip(s)}.weight`, kind: 'aux' };
  if (name.endsWith('_blocks')) return { logical: strip('_blocks'), kind: 'packed' };
  if (name.endsWith('_scales') && has(`${strip('_scales')}_blocks`)) return { logical: strip('_scales'), kind: 'aux' };
  if (name.endsWith('.weight') && (has(`${name}.absmax`) || has(`${name}.quant_state.bitsandbytes__nf4`) || has(`${name}.quant_state.bitsandbytes__fp4`) || has(`${strip('.weight')}.scales`) || has(`${strip('.weight')}.weight_scale`))) {
    return { logical: name, kind: 'packed' };
  }
  return { logical: null, kind: 'plain' };
}

/** Method from names alone (no config): the first telltale suffix. */
export function quantFromNames(names: readonly string[]): QuantInfo | null {
  const set = new Set(names);
  for (const n of names) {
    if (n.endsWith('.qweight')) return { method: 'gptq', bits: null, source: 'names' };
    if (n.endsWith('.weight.quant_state.bitsandbytes__nf4') || n.endsWith('.weight.quant_state.bitsandbytes__fp4') || n.endsWith('.weight.absmax')) return { method: 'bitsandbytes-4bit', bits: 4, source: 'names' };
    if (n.endsWith('.SCB')) return { method: 'bitsandbytes-8bit', bits: 8, source: 'names' };
    if (n.endsWith('.weight_scale') || n.endsWith('.weight_packed')) return { method: 'compressed-tensors', bits: null, source: 'names' };
    if (n.endsWith('_blocks') && set.has(`${n.slice(0, -7)}_scales`)) return { method: 'mxfp4', bits: 4, source: 'names' };
    if (n.endsWith('.scales') && set.has(`${n.slice(0, -7)}.biases`) && set.has(`${n.slice(0, -7)}.weight`)) return { method: 'mlx', bits: null, source: 'names' };
  }
  return null;
}

/**
 * Parameters a packed tensor stands for (what the model has once dequantised), from its stored
 * dtype and shape: GPTQ qweight int32 [in/(32/b), out] and AWQ [in, out/(32/b)] hold 32/b values per
 * int32; MLX uint32 weights likewise; bitsandbytes 4-bit uint8 holds 2; MXFP4 blocks 2 per byte.
 * Plain tensors count their elements. `bits` defaults to 4 where the config does not say.
 */
export function unpackedParameters(kind: QuantName['kind'], dtype: string, elements: number, bits: number | null, name: string): number {
  if (kind === 'aux') return 0;
  if (kind !== 'packed') return elements;
  const b = bits ?? 4;
  if (dtype === 'I32' || dtype === 'U32') return elements * Math.floor(32 / b);
  if (dtype === 'U8' && (name.endsWith('_blocks') || b === 4)) return elements * 2;
  return elements;
}
