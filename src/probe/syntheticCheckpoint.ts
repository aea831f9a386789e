import { writeSafetensors, type TensorToWrite } from '../core/writeSafetensors.js';
import { expectedTensors, type ProbeModelConfig } from './modelConfig.js';
import { xorshift32 } from '../core/random.js';
import { encodeFloats } from '../core/encode.js';

/**
 * Writes an OpenAI-layout CLIP checkpoint with random (distinct per tensor) weights, for tests and
 * benches: tiny configurations for numerical checks, ViT-B/16 shapes for timing. Distinct data
 * matters: ORT shares identical prepacked weights, which would flatter memory numbers.
 */
export type SyntheticDtype = 'F32' | 'F16' | 'BF16';

export interface SyntheticOptions {
  readonly dtype: SyntheticDtype;
  readonly seed?: number;
  /** Leave these towers out (the seed case: a vision-only file). */
  readonly omit?: readonly ('text' | 'vision' | 'logit_scale')[];
  /** Name prefix to add (e.g. `module.`), to test wrapper stripping. */
  readonly prefix?: string;
}

export function syntheticValues(name: string, count: number, seed: number, shape: readonly number[]): Float32Array {
  const out = new Float32Array(count);
  const next = xorshift32(seed ^ hash(name));
  const rnd = () => next() - 0.5;
  if (name === 'logit_scale') {
    out[0] = Math.log(100);
    return out;
  }
  // BatchNorm running variances must be positive; spread them so a wrong variance/ε handling shows.
  if (name.endsWith('.running_var')) {
    for (let i = 0; i < count; i++) out[i] = 1 + rnd();
    return out;
  }
  const isNormWeight = /ln_\w+\.weight$|ln_final\.weight$|(bn\d|downsample\.1)\.weight$/.test(name);
  // Scale like a trained layer: std ≈ 1/sqrt(fan_in) keeps activations O(1) through the blocks.
  const fanIn = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const std = isNormWeight ? 0.1 : name.endsWith('bias') || name.endsWith('running_mean') ? 0.02 : name === 'visual.attnpool.positional_embedding' ? 0.05 : /embedding|class_embedding/.test(name) ? 0.5 : Math.min(0.5, 1 / Math.sqrt(fanIn));
  // ResNet convs feed ReLUs: He scale (√2 / √fan_in) so image differences survive the 15+ layers.
  const resnetConv = /^visual\.(conv[123]|layer\d\.\d+\.(conv\d|downsample\.0))\.weight$/.test(name) && !(name === 'visual.conv1.weight' && shape[2] !== 3);
  const scale = resnetConv ? Math.SQRT2 : 1;
  for (let i = 0; i < count; i++) out[i] = (isNormWeight ? 1 : 0) + (rnd() + rnd() + rnd()) * 2 * std * scale;
  return out;
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

export { encodeFloats };

export async function writeSyntheticClip(path: string, cfg: ProbeModelConfig, opts: SyntheticOptions): Promise<void> {
  const omit = new Set(opts.omit ?? []);
  const tensors: TensorToWrite[] = [];
  for (const [i, e] of expectedTensors(cfg).entries()) {
    if (e.tower === 'text' && omit.has('text')) continue;
    if (e.tower === 'vision' && omit.has('vision')) continue;
    if (e.tower === 'shared' && omit.has('logit_scale')) continue;
    const count = e.shape.reduce((a, b) => a * b, 1);
    const v = syntheticValues(e.name, count, (opts.seed ?? 1) + i, e.shape);
    // logit_scale stays F32 as in OpenAI's mixed-precision files.
    const dtype = e.name === 'logit_scale' ? 'F32' : opts.dtype;
    tensors.push({ name: `${opts.prefix ?? ''}${e.name}`, dtype, shape: e.shape, data: encodeFloats(v, dtype) });
    // Real ResNet state dicts carry BatchNorm's int64 step counter, which the forward never reads.
    if (e.name.endsWith('.running_var')) tensors.push({ name: `${opts.prefix ?? ''}${e.name.slice(0, -'running_var'.length)}num_batches_tracked`, dtype: 'I64', shape: [] });
  }
  await writeSafetensors(path, tensors, { format: 'pt' });
}

/** A tiny configuration for numerical tests: two blocks per tower, two heads, 16×16 images. */
export function tinyConfig(over: Partial<ProbeModelConfig> = {}): ProbeModelConfig {
  return {
    vision: { width: 32, layers: 2, heads: 2, mlp: 128, patch: 8, imageSize: 16, tokens: 5, layerScale: false },
    text: { width: 32, layers: 2, heads: 2, mlp: 128, contextLength: 8, vocabSize: 64, layerScale: false },
    embedDim: 16,
    activation: 'quickgelu',
    activationSource: 'test',
    pooling: { kind: 'argmax' },
    layerNormEps: 1e-5,
    ...over,
  };
}

/** A tiny ModifiedResNet CLIP: stem width 8, one Bottleneck per stage, 64×64 images (2×2 pool grid), 4 pool heads. */
export function tinyResNetConfig(over: Partial<ProbeModelConfig> = {}): ProbeModelConfig {
  return tinyConfig({ vision: { kind: 'resnet', width: 8, stages: [1, 1, 1, 1], heads: 4, imageSize: 64, tokens: 5 }, ...over });
}

/** ViT-B/16 image tower + the 512-wide, 12-layer text tower (schemas §1.1). */
export function vitB16Config(): ProbeModelConfig {
  return {
    vision: { width: 768, layers: 12, heads: 12, mlp: 3072, patch: 16, imageSize: 224, tokens: 197, layerScale: false },
    text: { width: 512, layers: 12, heads: 8, mlp: 2048, contextLength: 77, vocabSize: 49408, layerScale: false },
    embedDim: 512,
    activation: 'quickgelu',
    activationSource: 'default',
    pooling: { kind: 'argmax' },
    layerNormEps: 1e-5,
  };
}
