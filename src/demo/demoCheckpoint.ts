import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../core/writeSafetensors.js';
import { clipConfig } from '../layouts/configs.js';
import { expectedLayout } from '../layouts/expected.js';
import { seededRandom } from '../core/random.js';

/**
 * The seed case: timm's `vit_base_patch16_clip_224.openai` image tower (153 tensors, real
 * ViT-B/16 shapes, projection stored as `head.weight`), with no text tower and no logit scale.
 * Values are deterministic and trained-looking (not init statistics), so value checks judge it
 * on its layout only.
 */
export function timmVitB16Tensors(): { name: string; shape: number[] }[] {
  // Generated from the layout tables (src/layouts), so the demo and the analysis share one copy.
  return expectedLayout('timm-vit', clipConfig('ViT-B-16')!).map((s) => ({ name: s.name, shape: [...s.shape] }));
}

/** Deterministic trained-looking values: LayerNorm weights around 1 with spread, others heavy-tailed. */
export function trainedLikeValues(name: string, count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  const rnd = seededRandom(seed);
  const isNormWeight = /norm[^.]*\.weight$|ln_[^.]*\.weight$/.test(name);
  const scale = isNormWeight ? 0.35 : 0.045 + (seed % 7) * 0.006;
  for (let i = 0; i < count; i++) {
    // Sum of uniforms ≈ normal, cubed mix for heavier tails than an init distribution.
    const g = (rnd() + rnd() + rnd() + rnd() - 2) * 1.7320508;
    const v = g * scale * (1 + 0.5 * g * g * 0.1);
    out[i] = isNormWeight ? 1 + v : v;
  }
  return out;
}

export async function writeDemoCheckpoint(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'model.safetensors');
  const tensors: TensorToWrite[] = timmVitB16Tensors().map((t, i) => {
    const count = t.shape.reduce((a, b) => a * b, 1);
    const v = trainedLikeValues(t.name, count, i + 1);
    return { name: t.name, dtype: 'F32', shape: t.shape, data: new Uint8Array(v.buffer) };
  });
  await writeSafetensors(path, tensors, { format: 'pt' });
  return path;
}
