import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cropAndNormalize, OPENAI_MEAN, OPENAI_STD, resizeShorterSide, resizeTo, type ResizeFilter, type RgbImage } from './images.js';

/**
 * Image preprocessing as data, one record per model: what its own loader does to a picture before
 * the image tower sees it. CLIP (OpenAI / open_clip `_pcfg`): shorter side to S, centre crop, OpenAI
 * mean/std. open_clip SigLIP / SigLIP 2 (`_slpcfg`): squash to S×S (no crop), bicubic, mean = std
 * = 0.5. transformers `SiglipImageProcessor`: squash to S×S, its `resample` (class default bicubic;
 * a `preprocessor_config.json` beside the weights may say bilinear), rescale 1/255, mean = std = 0.5.
 * All resizes are PIL's antialiased ones (images.ts).
 */
export interface Preprocess {
  readonly resize: 'shorter-side-crop' | 'squash';
  readonly filter: ResizeFilter;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Whose preprocessing this is, for the report. */
  readonly source: string;
}

const HALF = [0.5, 0.5, 0.5] as const;

export const CLIP_PREPROCESS: Preprocess = { resize: 'shorter-side-crop', filter: 'bicubic', mean: OPENAI_MEAN, std: OPENAI_STD, source: 'CLIP (OpenAI / open_clip)' };
export const OPENCLIP_SIGLIP_PREPROCESS: Preprocess = { resize: 'squash', filter: 'bicubic', mean: HALF, std: HALF, source: 'open_clip SigLIP' };
export const HF_SIGLIP_PREPROCESS: Preprocess = { resize: 'squash', filter: 'bicubic', mean: HALF, std: HALF, source: 'transformers SiglipImageProcessor defaults' };
/**
 * transformers `Siglip2ImageProcessor` (Siglip2Model): bilinear, mean = std = 0.5, but it resizes
 * keeping the aspect ratio to at most `max_num_patches` patches. The probe builds the model at its
 * native square grid, so it squashes to S×S instead: identical for square images, not for others.
 */
export const HF_SIGLIP2_PREPROCESS: Preprocess = {
  resize: 'squash',
  filter: 'bilinear',
  mean: HALF,
  std: HALF,
  source: 'transformers Siglip2ImageProcessor defaults (its aspect-keeping patch resize replaced by a squash to the native grid: equal for square images)',
};

/** The default for a checkpoint family (engine.family) and architecture. */
export function preprocessFor(family: string, architecture: 'clip' | 'siglip' | undefined, siglip2 = false): Preprocess {
  if (architecture !== 'siglip') return CLIP_PREPROCESS;
  if (family !== 'hf-siglip') return OPENCLIP_SIGLIP_PREPROCESS;
  return siglip2 ? HF_SIGLIP2_PREPROCESS : HF_SIGLIP_PREPROCESS;
}

/** PIL resample codes transformers stores in preprocessor_config.json. */
const PIL_RESAMPLE: Record<number, ResizeFilter> = { 2: 'bilinear', 3: 'bicubic' };

/**
 * transformers SigLIP: `preprocessor_config.json` beside the weights overrides the defaults
 * (resample, image_mean, image_std). Unreadable or foreign values keep the defaults; a resample
 * the probe cannot do (nearest, lanczos, ...) is named in the source so the report shows it.
 */
export async function preprocessForCheckpoint(dir: string, family: string, architecture: 'clip' | 'siglip' | undefined, siglip2 = false): Promise<Preprocess> {
  const base = preprocessFor(family, architecture, siglip2);
  if (base !== HF_SIGLIP_PREPROCESS && base !== HF_SIGLIP2_PREPROCESS) return base;
  let j: Record<string, unknown>;
  try {
    const v: unknown = JSON.parse(await readFile(join(dir, 'preprocessor_config.json'), 'utf8'));
    if (!v || typeof v !== 'object') return base;
    j = v as Record<string, unknown>;
  } catch {
    return base;
  }
  const triple = (x: unknown): readonly [number, number, number] | undefined =>
    Array.isArray(x) && x.length === 3 && x.every((n) => typeof n === 'number' && Number.isFinite(n)) ? (x as [number, number, number]) : undefined;
  const filter = typeof j.resample === 'number' ? PIL_RESAMPLE[j.resample] : undefined;
  const mean = triple(j.image_mean) ?? base.mean;
  const std = triple(j.image_std)?.every((s) => s > 0) ? triple(j.image_std)! : base.std;
  const note = typeof j.resample === 'number' && !filter ? ` (resample ${j.resample} not supported; ${base.filter} used)` : '';
  const grid = siglip2 ? ' (Siglip2: squashed to the native grid)' : '';
  return { resize: 'squash', filter: filter ?? base.filter, mean, std, source: `transformers preprocessor_config.json${note}${grid}` };
}

/** Decoded RGB → normalised CHW float32 [3, S, S] as the model's loader would make it. */
export function applyPreprocess(img: RgbImage, S: number, p: Preprocess): Float32Array {
  const resized = p.resize === 'squash' ? resizeTo(img, S, S, p.filter) : resizeShorterSide(img, S, p.filter);
  return cropAndNormalize(resized, S, p.mean, p.std);
}

/** One line for the report. */
export function describePreprocess(p: Preprocess): string {
  const fmt = (v: readonly number[]) => `[${v.map((x) => +x.toFixed(4)).join(', ')}]`;
  const resize = p.resize === 'squash' ? 'resize to S×S (squash, no crop)' : 'resize shorter side to S, centre crop S×S';
  return `${p.source}: ${resize}, ${p.filter} (PIL, antialiased), mean ${fmt(p.mean)}, std ${fmt(p.std)}`;
}
