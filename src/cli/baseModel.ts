import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { baseFromConfig } from '../analysis/analyze.js';
import type { BaseModel } from '../analysis/peft.js';
import { err, ok, readError, type Result } from '../core/result.js';
import { openCheckpoint } from '../formats/open.js';

/**
 * `--base PATH` for adapter checks: a checkpoint file (or shard index) gives the base's real names
 * and shapes (header only); a folder gives its checkpoint when there is one, else its config.json
 * through the architecture spec.
 */
export async function loadBaseModel(path: string): Promise<Result<BaseModel>> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    return err(readError('base-not-found', `--base ${JSON.stringify(path)} does not exist.`));
  }
  const fromCheckpoint = async (p: string): Promise<Result<BaseModel> | null> => {
    const r = await openCheckpoint(p);
    if (!r.ok) return null;
    const shapes = new Map<string, readonly number[]>();
    for (const t of r.value.tensors) shapes.set(t.name, t.shape);
    for (const u of r.value.unreadable) if (u.shape) shapes.set(u.name, u.shape);
    return ok({ source: p, shapes });
  };
  if (!isDir) return (await fromCheckpoint(path)) ?? err(readError('base-unreadable', `--base ${JSON.stringify(path)} is not a checkpoint this tool can open.`));
  for (const f of ['model.safetensors', 'model.safetensors.index.json', 'pytorch_model.bin', 'pytorch_model.bin.index.json']) {
    try {
      await stat(join(path, f));
    } catch {
      continue;
    }
    const r = await fromCheckpoint(join(path, f));
    if (r?.ok && r.value.shapes.size) return r;
  }
  try {
    const text = await readFile(join(path, 'config.json'), 'utf8');
    if (text.length > 4 << 20) return err(readError('base-unreadable', 'the base config.json is larger than 4 MiB.'));
    const j: unknown = JSON.parse(text);
    if (typeof j === 'object' && j !== null && !Array.isArray(j)) {
      const b = baseFromConfig(j as Record<string, unknown>, join(path, 'config.json'));
      if (b) return ok(b);
      return err(readError('base-unknown-architecture', `the base config.json (${join(path, 'config.json')}) names an architecture with no spec; pass the base checkpoint file instead.`));
    }
  } catch {
    /* fall through */
  }
  return err(readError('base-unreadable', `--base ${JSON.stringify(path)} has no checkpoint and no readable config.json.`));
}
