import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Checkpoint, CheckpointFile, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import { problem, type Problem } from '../../core/problems.js';
import { err, ok, readError, type Result } from '../../core/result.js';
import { parseShardIndex } from '../safetensors/sharded.js';
import { readPytorchFile } from './file.js';
import { textRecord } from './summarise.js';

const MAX_INDEX_BYTES = 100_000_000;

/**
 * transformers' `pytorch_model.bin.index.json` + `pytorch_model-0000N-of-0000M.bin` shards, as one model.
 * The index JSON is the same as safetensors' (parsed by the same validator); the integrity rules and
 * their problem codes are the same too.
 */
export async function readPytorchSharded(indexPath: string): Promise<Result<Checkpoint>> {
  const indexName = basename(indexPath);
  let text: string;
  try {
    const st = await stat(indexPath);
    if (st.size > MAX_INDEX_BYTES) return err(readError('index-too-large', `${indexName} is ${st.size} bytes; shard indexes above 100 MB are refused.`, indexName));
    text = await readFile(indexPath, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return err(readError(code === 'ENOENT' ? 'file-not-found' : 'io-error', `${indexName} cannot be read (${code ?? String(e)}).`, indexName));
  }
  const parsed = parseShardIndex(text, indexName);
  if (!parsed.ok) return parsed;
  const index = parsed.value;
  const dir = dirname(indexPath);
  const problems: Problem[] = [...index.problems];
  const files: CheckpointFile[] = [];
  const tensors: TensorInfo[] = [];
  const unreadable: UnreadableTensor[] = [];
  const extras = textRecord();
  let metadata = textRecord();
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  const missingShards = new Set<string>();

  for (const shard of new Set(index.weightMap.values())) {
    const listed = [...index.weightMap].filter(([, s]) => s === shard).map(([n]) => n);
    const r = await readPytorchFile(join(dir, shard), shard);
    if (!r.ok) {
      const missing = r.error.code === 'file-not-found';
      if (missing) missingShards.add(shard);
      problems.push(
        missing
          ? problem('shard-missing', 'error', `Shard ${shard} is missing on disk; its ${listed.length} tensor(s) cannot be loaded.`, { file: shard, tensors: listed.slice(0, 100) })
          : problem('shard-unreadable', 'error', `Shard ${shard} is unreadable [${r.error.code}]: ${r.error.message}`, { file: shard, tensors: listed.slice(0, 100) }),
      );
      for (const n of listed) unreadable.push({ name: n, rawDtype: '?', reason: `its shard ${shard} is ${missing ? 'missing' : 'unreadable'}.`, shard });
      continue;
    }
    const c = r.value;
    files.push(...c.files);
    problems.push(...c.problems.filter((p) => p.code !== 'pytorch-weights-unwrapped'));
    if (Object.keys(metadata).length === 0) metadata = Object.assign(textRecord(), c.metadata);
    for (const [k, v] of Object.entries(c.extras ?? {})) extras[`${shard}: ${k}`] = v;
    for (const t of c.tensors) {
      if (seen.has(t.name)) duplicates.push(t.name);
      else {
        seen.set(t.name, shard);
        tensors.push(t);
      }
    }
    for (const u of c.unreadable) {
      if (!seen.has(u.name)) seen.set(u.name, shard);
      unreadable.push(u);
    }
  }
  if (duplicates.length > 0) {
    problems.push(problem('duplicate-tensor', 'error', `${duplicates.length} tensor(s) appear in more than one shard; which copy a loader keeps is undefined.`, { tensors: duplicates.slice(0, 100) }));
  }
  const missingFromShard: string[] = [];
  const inOtherShard: string[] = [];
  for (const [name, shard] of index.weightMap) {
    if (missingShards.has(shard)) continue;
    const actual = seen.get(name);
    if (actual === undefined) missingFromShard.push(name);
    else if (actual !== shard) inOtherShard.push(name);
  }
  if (missingFromShard.length > 0) {
    problems.push(problem('index-tensor-missing', 'error', `${missingFromShard.length} tensor(s) listed in the index are in no shard; a loader would fail or initialise them randomly.`, { tensors: missingFromShard.slice(0, 100) }));
  }
  if (inOtherShard.length > 0) {
    problems.push(problem('index-wrong-shard', 'error', `${inOtherShard.length} tensor(s) are in a different shard than the index says; loaders that trust the index will not find them.`, { tensors: inOtherShard.slice(0, 100) }));
  }
  const notIndexed = [...seen.keys()].filter((n) => !index.weightMap.has(n));
  if (notIndexed.length > 0) {
    problems.push(problem('shard-tensor-not-indexed', 'warning', `${notIndexed.length} tensor(s) are in a shard but not in the index.`, { tensors: notIndexed.slice(0, 100) }));
  }
  if (index.totalSize !== undefined && missingShards.size === 0 && unreadable.length === 0) {
    const actual = tensors.reduce((a, t) => a + t.byteLength, 0);
    if (actual !== index.totalSize) {
      problems.push(problem('total-size-mismatch', 'warning', `The index says metadata.total_size = ${index.totalSize} bytes but the shards hold ${actual} bytes of tensors.`));
    }
  }
  return ok({ format: 'pytorch-sharded', path: indexPath, files, tensors, unreadable, metadata, problems, ...(Object.keys(extras).length ? { extras } : {}) });
}
