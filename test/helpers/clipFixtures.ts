/**
 * CLIP fixture generators built from the layout tables (src/layouts), shared by the analysis,
 * probe and comparison tests. Real shapes are written header-only (sparse files, no disk use);
 * value tests use `tinyClipConfig()` widths with `initValues` / `trainedValues`.
 */
import { join } from 'node:path';
import type { TensorInfo } from '../../src/core/checkpoint.js';
import { writeSafetensors, type TensorToWrite } from '../../src/core/writeSafetensors.js';
import type { DType } from '../../src/core/dtype.js';
import { clipConfig, type ClipConfig } from '../../src/layouts/configs.js';
import type { CanonicalParts } from '../../src/layouts/canonicalLayout.js';
import type { LocalSpec } from '../../src/layouts/canonical.js';
import { expectedLayout } from '../../src/layouts/expected.js';
import type { FamilyId } from '../../src/layouts/families.js';
import { seededRandom } from '../../src/core/random.js';

export interface FixtureSpec {
  name: string;
  shape: number[];
  dtype: DType;
  /** Canonical name (null for local-only extras such as timm `head.bias`). */
  canonical: string | null;
  tower: LocalSpec['tower'];
}

/** Expected tensors of `family` + `variant` (an open_clip config name, or a ClipConfig), in file order. */
export function clipTensorSpecs(family: FamilyId, variant: string | ClipConfig, parts?: CanonicalParts): FixtureSpec[] {
  const cfg = typeof variant === 'string' ? clipConfig(variant) : variant;
  if (!cfg) throw new Error(`unknown variant ${String(variant)}`);
  return expectedLayout(family, cfg, parts).map((s) => ({ name: s.name, shape: [...s.shape], dtype: s.dtype ?? 'F32', canonical: s.canonical, tower: s.tower }));
}

/** A tiny dual-tower ViT CLIP whose tensors are small enough to fill with values. */
export function tinyClipConfig(): ClipConfig {
  return {
    name: 'tiny-vit',
    embedDim: 16,
    vision: { kind: 'vit', width: 32, layers: 2, heads: 2, mlp: 128, patch: 8, image: 32 },
    text: { width: 32, layers: 2, heads: 2, mlp: 128, context: 8, vocab: 64 },
  };
}

/** In-memory TensorInfo objects for specs (header-only: no file behind them; do not read values). */
export function fakeTensors(specs: readonly { name: string; shape: readonly number[]; dtype?: DType }[]): TensorInfo[] {
  let offset = 0;
  return specs.map((s) => {
    const elementCount = s.shape.reduce((a, b) => a * b, 1);
    const bytes = elementCount * (s.dtype === 'I64' ? 8 : 4);
    const t: TensorInfo = { name: s.name, dtype: s.dtype ?? 'F32', shape: [...s.shape], elementCount, byteLength: bytes, data: { kind: 'contiguous', file: '/nonexistent', offset, length: bytes } };
    offset += bytes;
    return t;
  });
}

const rng = seededRandom;

function gauss(r: () => number): number {
  // Box-Muller: a real normal, so "init" fixtures have exactly init statistics.
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

const isNormWeight = (n: string) => /(^|\.)(ln_[^.]*|norm[^.]*|layer_norm\d|pre_layrnorm|post_layernorm|final_layer_norm|bn\d|ln_final)\.weight$/.test(n);
const isBias = (n: string) => /(\.bias|_bias)$/.test(n);

/**
 * Values of a freshly initialised open_clip / OpenAI CLIP: LayerNorm weight 1 and bias 0,
 * biases 0, N(0, 0.02) weights (embeddings std 0.02 / 0.01 as in `initialize_parameters`),
 * logit_scale = ln(1/0.07).
 */
export function initValues(spec: { name: string; shape: readonly number[] }, seed: number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const c = spec.name;
  if (/(^|\.)logit_scale$/.test(c)) return out.fill(Math.log(1 / 0.07));
  if (isNormWeight(c)) return out.fill(1);
  if (isBias(c) || /running_mean$/.test(c)) return out;
  if (/running_var$/.test(c)) return out.fill(1);
  const std = /positional_embedding|position_embedding|pos_embed/.test(c) ? 0.01 : 0.02;
  const r = rng(seed);
  for (let i = 0; i < n; i++) out[i] = gauss(r) * std;
  return out;
}

/** Trained-looking values: spread LayerNorm weights, non-zero biases, heavier-tailed weights, logit_scale ln(100). */
export function trainedValues(spec: { name: string; shape: readonly number[] }, seed: number): Float32Array {
  const n = spec.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  const c = spec.name;
  if (/(^|\.)logit_scale$/.test(c)) return out.fill(Math.log(100));
  const r = rng(seed + 7);
  const norm = isNormWeight(c);
  const scale = norm ? 0.3 : isBias(c) ? 0.05 : 0.035 + (seed % 5) * 0.01;
  for (let i = 0; i < n; i++) {
    const g = gauss(r);
    const v = g * scale * (1 + 0.15 * g * g);
    out[i] = norm ? 1 + v : v;
  }
  return out;
}

export type ValueMode = 'none' | 'init' | 'trained';

/**
 * Writes a safetensors fixture. `values: 'none'` writes a sparse header-only file (real shapes,
 * zero bytes on disk); `valuesFor` overrides per tensor (e.g. a fresh text tower in a trained model).
 */
export async function writeClipFixture(
  dir: string,
  fileName: string,
  specs: readonly FixtureSpec[],
  opts: { values?: ValueMode; valuesFor?: (s: FixtureSpec, i: number) => ValueMode | undefined; metadata?: Record<string, string> } = {},
): Promise<string> {
  const path = join(dir, fileName);
  const tensors: TensorToWrite[] = specs.map((s, i) => {
    const mode = opts.valuesFor?.(s, i) ?? opts.values ?? 'none';
    if (mode === 'none' || s.dtype !== 'F32') return { name: s.name, dtype: s.dtype, shape: s.shape };
    const v = mode === 'init' ? initValues({ name: s.canonical ?? s.name, shape: s.shape }, i + 1) : trainedValues({ name: s.canonical ?? s.name, shape: s.shape }, i + 1);
    return { name: s.name, dtype: 'F32', shape: s.shape, data: new Uint8Array(v.buffer) };
  });
  await writeSafetensors(path, tensors, opts.metadata ?? { format: 'pt' });
  return path;
}

/** Writes `specs` as `model-0000K-of-0000N.safetensors` shards + `model.safetensors.index.json` (header-only). */
export async function writeShardedClipFixture(dir: string, specs: readonly FixtureSpec[], shards: number): Promise<{ index: string; shardFiles: string[] }> {
  const { writeFile } = await import('node:fs/promises');
  const per = Math.ceil(specs.length / shards);
  const weightMap: Record<string, string> = {};
  const shardFiles: string[] = [];
  for (let k = 0; k < shards; k++) {
    const name = `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = specs.slice(k * per, (k + 1) * per);
    for (const s of part) weightMap[s.name] = name;
    shardFiles.push(await writeClipFixture(dir, name, part));
  }
  const index = join(dir, 'model.safetensors.index.json');
  await writeFile(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return { index, shardFiles };
}
