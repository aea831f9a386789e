import type { Checkpoint } from '../../core/checkpoint.js';
import { ok, type Result } from '../../core/result.js';
import { readShardedCheckpoint } from '../sharded.js';
import { readSafetensorsFile } from './single.js';

/** Opens a sharded safetensors checkpoint through its `*.safetensors.index.json` as one model. */
export function readShardedSafetensors(indexPath: string): Promise<Result<Checkpoint>> {
  return readShardedCheckpoint(indexPath, 'safetensors-sharded', async (path, shard) => {
    const r = await readSafetensorsFile(path, shard);
    if (!r.ok) return r;
    const f = r.value;
    return ok({ files: [{ path: f.path, size: f.size, dataStart: f.dataStart }], tensors: f.tensors, unreadable: f.unreadable, problems: f.problems, metadata: f.header.metadata });
  });
}
