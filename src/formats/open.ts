import type { Checkpoint } from '../core/checkpoint.js';
import { ok, type Result } from '../core/result.js';
import { readShardedSafetensors } from './safetensors/sharded.js';
import { readSafetensorsFile, singleFileCheckpoint } from './safetensors/single.js';
import { readPytorchFile } from './pytorch/file.js';
import { pytorchOpener } from './pytorch/opener.js';
import { ggufOpener } from './gguf/opener.js';
import { isRemotePath } from '../remote/ref.js';
import { openRemoteCheckpoint } from '../remote/openRemote.js';

/**
 * A checkpoint opener for another format. Registered openers are tried in order; the first
 * whose `accepts` returns true for the path handles it.
 */
export interface FormatOpener {
  readonly id: string;
  accepts(path: string): boolean;
  open(path: string): Promise<Result<Checkpoint>>;
}

const extraOpeners: FormatOpener[] = [];

/** Lets other format readers (PyTorch, ...) plug in without this module importing them. */
export function registerOpener(o: FormatOpener): void {
  if (!extraOpeners.some((x) => x.id === o.id)) extraOpeners.push(o);
}

/** Opens any supported checkpoint path: a .safetensors file, a *.safetensors.index.json, ... */
export async function openCheckpoint(path: string): Promise<Result<Checkpoint>> {
  // URLs (hf://, Hub web URLs, https://…) read through the same readers by ranges.
  if (isRemotePath(path)) {
    const r = await openRemoteCheckpoint(path, openLocalOrRemote);
    return r;
  }
  return openLocalOrRemote(path);
}

async function openLocalOrRemote(path: string): Promise<Result<Checkpoint>> {
  for (const o of extraOpeners) if (o.accepts(path)) return o.open(path);
  if (pytorchOpener.accepts(path)) return pytorchOpener.open(path);
  if (ggufOpener.accepts(path)) return ggufOpener.open(path);
  if (path.endsWith('.index.json')) return readShardedSafetensors(path);
  const r = await readSafetensorsFile(path);
  // A PyTorch file under another name (e.g. `model.weights`): route it by its magic bytes.
  if (!r.ok && (r.error.code === 'pytorch-zip' || r.error.code === 'pickle')) return readPytorchFile(path);
  // A GGUF file under another name: route it by its magic.
  if (!r.ok && r.error.code === 'gguf-file') return ggufOpener.open(path);
  if (!r.ok) return r;
  return ok(singleFileCheckpoint(r.value));
}
