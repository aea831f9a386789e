import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { DType } from '../../src/core/dtype.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';

/** Ground-truth classes (test/fixtures/architectures/ground-truth-*.json.gz, from make_ground_truth.py). */
export interface GtModel {
  modelType: string;
  class: string;
  variant: string | null;
  config: Record<string, unknown>;
  state_dict: [string, number[], string][];
  tied: [string, string][];
}

const FIX = resolve(__dirname, '..', 'fixtures', 'architectures');

export function groundTruth(cls: string, variant: string | null = null, tag = '4.46'): GtModel {
  const d = JSON.parse(gunzipSync(readFileSync(join(FIX, `ground-truth-${tag}.json.gz`))).toString('utf8')) as { models: GtModel[] };
  const m = d.models.find((x) => x.class === cls && x.variant === variant);
  if (!m) throw new Error(`no ground truth for ${cls}/${variant} in ${tag}`);
  return m;
}

/** What save_pretrained stores: the state_dict minus the aliases of tied tensors. */
export function onDisk(m: GtModel): { name: string; shape: number[] }[] {
  const alias = new Set(m.tied.map(([a]) => a));
  return m.state_dict.filter(([n]) => !alias.has(n)).map(([name, shape]) => ({ name, shape }));
}

/** A sparse (header-only) model.safetensors + config.json in `dir`. */
export async function writeModel(dir: string, config: Record<string, unknown> | null, tensors: readonly { name: string; shape: readonly number[]; dtype?: DType }[], file = 'model.safetensors'): Promise<string> {
  await mkdir(dir, { recursive: true });
  if (config) await writeFile(join(dir, 'config.json'), JSON.stringify(config));
  const path = join(dir, file);
  await writeSafetensors(path, tensors.map((t) => ({ name: t.name, dtype: t.dtype ?? 'F32', shape: t.shape })), { format: 'pt' });
  return path;
}

export const sharedDir = (): string => process.env.CHECKPOINT_LENS_SHARED ?? resolve(__dirname, '..', '..', '..', 'shared');
export const FIXTURES = FIX;
