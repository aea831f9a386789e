import type { Checkpoint } from '../../core/checkpoint.js';
import { ok, type Result } from '../../core/result.js';
import { readShardedCheckpoint } from '../sharded.js';
import { readPytorchFile } from './file.js';

/**
 * transformers' `pytorch_model.bin.index.json` + `pytorch_model-0000N-of-0000M.bin` shards, as one model.
 * Same index format, integrity rules and problem codes as sharded safetensors.
 */
export function readPytorchSharded(indexPath: string): Promise<Result<Checkpoint>> {
  return readShardedCheckpoint(indexPath, 'pytorch-sharded', async (path, shard) => {
    const r = await readPytorchFile(path, shard);
    if (!r.ok) return r;
    // Each shard's own "weights unwrapped from a training dict" note says nothing about the model.
    return ok({ ...r.value, problems: r.value.problems.filter((p) => p.code !== 'pytorch-weights-unwrapped') });
  });
}
