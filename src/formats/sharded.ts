import { plural } from '../shared/text.js';
import { isAbsolute } from 'node:path';
import { readSmallFile } from '../io/fileHead.js';
import { baseNameOf, dirOf, siblingOf } from '../io/paths.js';
import { mapBounded } from '../io/concurrency.js';
import { isRemotePath } from '../remote/ref.js';
import { httpTuning } from '../remote/config.js';
import type { Checkpoint, CheckpointFile, CheckpointFormat, TensorInfo, UnreadableTensor } from '../core/checkpoint.js';
import { problem, type Problem } from '../core/problems.js';
import { err, ok, readError, type Result } from '../core/result.js';

/**
 * Sharded checkpoints (`*.safetensors.index.json`, `pytorch_model.bin.index.json`): one index JSON
 * naming, for each tensor, the shard file that holds it. The index format and the integrity rules
 * are the same whatever the shards' format; only how one shard is opened differs.
 */
const MAX_INDEX_BYTES = 100_000_000;
const shardConcurrency = (indexPath: string) => (isRemotePath(indexPath) ? httpTuning().concurrency : 4);

export interface ShardIndex {
  readonly totalSize?: number;
  /** tensor name → shard file name, in index order. */
  readonly weightMap: ReadonlyMap<string, string>;
  readonly problems: Problem[];
}

/** What a format reader gives for one shard. */
export interface ShardContents {
  readonly files: readonly CheckpointFile[];
  readonly tensors: readonly TensorInfo[];
  readonly unreadable: readonly UnreadableTensor[];
  readonly problems: readonly Problem[];
  readonly metadata: Readonly<Record<string, string>>;
  readonly extras?: Readonly<Record<string, string>>;
}

export type ShardOpener = (path: string, shard: string) => Promise<Result<ShardContents>>;

/** Validates the JSON of a shard index. */
export function parseShardIndex(text: string, file?: string): Result<ShardIndex> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return err(readError('index-not-json', `The shard index is not valid JSON (${e instanceof Error ? e.message : String(e)}).`, file));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) return err(readError('index-invalid', 'The shard index is not a JSON object.', file));
  const o = json as Record<string, unknown>;
  const wm = o.weight_map;
  if (wm === null || typeof wm !== 'object' || Array.isArray(wm)) return err(readError('index-invalid', 'The shard index has no "weight_map" object.', file));
  const problems: Problem[] = [];
  const weightMap = new Map<string, string>();
  for (const [name, shard] of Object.entries(wm as Record<string, unknown>)) {
    if (typeof shard !== 'string' || shard.length === 0) {
      problems.push(problem('index-invalid-entry', 'error', `weight_map entry for ${JSON.stringify(name)} is not a file name.`, { tensors: [name] }));
      continue;
    }
    if (isAbsolute(shard) || shard.split(/[\\/]/).includes('..') || shard.includes('\0')) {
      problems.push(problem('shard-path-invalid', 'error', `weight_map names shard ${JSON.stringify(shard)}, which points outside the checkpoint's folder; it is not opened.`, { tensors: [name] }));
      continue;
    }
    weightMap.set(name, shard);
  }
  let totalSize: number | undefined;
  const md = o.metadata;
  if (md !== undefined && md !== null && typeof md === 'object' && !Array.isArray(md)) {
    const ts = (md as Record<string, unknown>).total_size;
    if (typeof ts === 'number' && Number.isSafeInteger(ts) && ts >= 0) totalSize = ts;
    else if (typeof ts === 'string' && /^\d+$/.test(ts)) totalSize = Number(ts);
  }
  return ok(totalSize === undefined ? { weightMap, problems } : { totalSize, weightMap, problems });
}

/** Reads an index file (bounded) and opens every shard it names as one model, with an integrity report. */
export async function readShardedCheckpoint(indexPath: string, format: CheckpointFormat, openShard: ShardOpener): Promise<Result<Checkpoint>> {
  const indexName = baseNameOf(indexPath);
  const bytes = await readSmallFile(indexPath, indexName, MAX_INDEX_BYTES);
  if (!bytes.ok) {
    if (bytes.error.code === 'file-too-large') return err(readError('index-too-large', `${indexName} is above 100 MB; shard indexes that large are refused.`, indexName));
    return bytes;
  }
  const text = new TextDecoder().decode(bytes.value);
  const parsed = parseShardIndex(text, indexName);
  if (!parsed.ok) return parsed;
  return assembleShards({ path: indexPath, format, dir: dirOf(indexPath), shards: [...new Set(parsed.value.weightMap.values())], index: parsed.value }, openShard);
}

export interface ShardSet {
  /** What the user opened (an index, or the first file of a split set). */
  readonly path: string;
  readonly format: CheckpointFormat;
  readonly dir: string;
  /** Shard file names relative to `dir`, in order. */
  readonly shards: readonly string[];
  /** The index naming each tensor's shard, when the format has one (safetensors/PyTorch); split GGUF has none. */
  readonly index?: ShardIndex;
  /** Problems the caller found before opening (e.g. split metadata that disagrees). */
  readonly problems?: readonly Problem[];
}

/**
 * Opens every shard of a set and assembles one model with an integrity report: missing or
 * unreadable shards, tensors in more than one shard, and (with an index) tensors missing from
 * their shard, in another shard, or not indexed. The one assembler for every sharded format.
 */
export async function assembleShards(set: ShardSet, openShard: ShardOpener): Promise<Result<Checkpoint>> {
  const index = set.index;
  const problems: Problem[] = [...(index?.problems ?? []), ...(set.problems ?? [])];
  const files: CheckpointFile[] = [];
  const tensors: TensorInfo[] = [];
  const unreadable: UnreadableTensor[] = [];
  const extras: Record<string, string> = Object.create(null) as Record<string, string>;
  let metadata: Record<string, string> = {};
  const seen = new Map<string, string>(); // tensor → shard that first held it
  const duplicates: string[] = [];
  const missingShards = new Set<string>();

  // Tensor names per shard, built once (a filter over the weight map per failing shard was quadratic).
  const byShard = new Map<string, string[]>();
  for (const [n, s] of index?.weightMap ?? []) {
    let l = byShard.get(s);
    if (!l) byShard.set(s, (l = []));
    l.push(n);
  }
  // Shards open in parallel (bounded: a 200-shard remote index is 200 header reads), then merge in order.
  const opened = await mapBounded(set.shards, shardConcurrency(set.path), (shard) => openShard(siblingOf(set.path, shard), shard));
  for (const [i, shard] of set.shards.entries()) {
    const r = opened[i]!;
    if (!r.ok) {
      const listed = byShard.get(shard) ?? [];
      const missing = r.error.code === 'file-not-found' || r.error.code === 'remote-file-not-found';
      if (missing) missingShards.add(shard);
      const count = index ? `its ${plural(listed.length, 'tensor')}` : 'its tensors';
      problems.push(
        missing
          ? problem('shard-missing', 'error', `Shard ${shard} is missing on disk; ${count} cannot be loaded.`, { file: shard, tensors: listed.slice(0, 100) })
          : problem('shard-unreadable', 'error', `Shard ${shard} is unreadable [${r.error.code}]: ${r.error.message}`, { file: shard, tensors: listed.slice(0, 100) }),
      );
      for (const n of listed) unreadable.push({ name: n, rawDtype: '?', reason: `its shard ${shard} is ${missing ? 'missing' : 'unreadable'}.`, shard });
      continue;
    }
    const c = r.value;
    files.push(...c.files);
    problems.push(...c.problems);
    if (Object.keys(metadata).length === 0) metadata = { ...c.metadata };
    for (const [k, v] of Object.entries(c.extras ?? {})) extras[`${shard}: ${k}`] = v;
    for (const t of c.tensors) {
      if (seen.has(t.name)) {
        duplicates.push(t.name);
        continue;
      }
      seen.set(t.name, shard);
      tensors.push(t);
    }
    for (const u of c.unreadable) {
      if (!seen.has(u.name)) seen.set(u.name, shard);
      unreadable.push(u);
    }
  }
  if (duplicates.length > 0) {
    problems.push(problem('duplicate-tensor', 'error', `${plural(duplicates.length, 'tensor')} ${duplicates.length === 1 ? 'appears' : 'appear'} in more than one shard; which copy a loader keeps is undefined.`, { tensors: duplicates.slice(0, 100) }));
  }
  if (index) problems.push(...integrityProblems(index, seen, missingShards));
  if (index?.totalSize !== undefined && missingShards.size === 0) {
    let actual = 0;
    for (const t of tensors) actual += t.byteLength;
    if (actual !== index.totalSize) {
      problems.push(problem('total-size-mismatch', 'warning', `The index says metadata.total_size = ${index.totalSize} bytes but the shards hold ${actual} bytes of tensors.`));
    }
  }
  return ok({ format: set.format, path: set.path, files, tensors, unreadable, metadata, problems, ...(Object.keys(extras).length ? { extras } : {}) });
}

/** Index vs shards: tensors missing or misplaced, tensors the index does not list. */
function integrityProblems(index: ShardIndex, seen: ReadonlyMap<string, string>, missingShards: ReadonlySet<string>): Problem[] {
  const out: Problem[] = [];
  const missingFromShard: string[] = [];
  const inOtherShard: string[] = [];
  for (const [name, shard] of index.weightMap) {
    if (missingShards.has(shard)) continue;
    const actual = seen.get(name);
    if (actual === undefined) missingFromShard.push(name);
    else if (actual !== shard) inOtherShard.push(name);
  }
  if (missingFromShard.length > 0) {
    out.push(problem('index-tensor-missing', 'error', `${plural(missingFromShard.length, 'tensor')} listed in the index ${missingFromShard.length === 1 ? 'is' : 'are'} in no shard; a loader would fail or initialise them randomly.`, { tensors: missingFromShard.slice(0, 100) }));
  }
  if (inOtherShard.length > 0) {
    out.push(problem('index-wrong-shard', 'error', `${plural(inOtherShard.length, 'tensor')} ${inOtherShard.length === 1 ? 'is' : 'are'} in a different shard than the index says; loaders that trust the index will not find them.`, { tensors: inOtherShard.slice(0, 100) }));
  }
  const notIndexed = [...seen.keys()].filter((n) => !index.weightMap.has(n));
  if (notIndexed.length > 0) {
    out.push(problem('shard-tensor-not-indexed', 'warning', `${plural(notIndexed.length, 'tensor')} ${notIndexed.length === 1 ? 'is' : 'are'} in a shard but not in the index.`, { tensors: notIndexed.slice(0, 100) }));
  }
  return out;
}
