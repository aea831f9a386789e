import { byteCount, dtypeHistogram, parameterCount, type Checkpoint } from './checkpoint.js';
import { hasErrors, sortProblems, type Problem } from './problems.js';

/**
 * The stable JSON document of `inspect --json` (schema version 1). The webview receives the
 * same data, so a bug shows up in both or neither. Add fields; never rename or remove one.
 */
export interface InspectDocument {
  schemaVersion: 1;
  format: Checkpoint['format'];
  path: string;
  files: { path: string; size: number }[];
  tensorCount: number;
  parameterCount: number;
  byteCount: number;
  dtypes: ReturnType<typeof dtypeHistogram>;
  metadata: Record<string, string>;
  /** Non-tensor entries of a PyTorch checkpoint (optimizer state, epoch, args…), summarised as text. */
  extras: Record<string, string>;
  tensors: { name: string; dtype: string; shape: readonly number[]; offsets: [number, number] | null; shard: string | null }[];
  unreadable: { name: string; dtype: string; shape: number[] | null; reason: string; shard: string | null }[];
  problems: Problem[];
  hasErrors: boolean;
}

export function inspectDocument(c: Checkpoint): InspectDocument {
  const problems = sortProblems(c.problems);
  return {
    schemaVersion: 1,
    format: c.format,
    path: c.path,
    files: c.files.map((f) => ({ path: f.path, size: f.size })),
    tensorCount: c.tensors.length,
    parameterCount: parameterCount(c.tensors),
    byteCount: byteCount(c.tensors),
    dtypes: dtypeHistogram(c.tensors),
    metadata: { ...c.metadata },
    extras: { ...(c.extras ?? {}) },
    tensors: c.tensors.map((t) => ({
      name: t.name,
      dtype: t.dtype,
      shape: t.shape,
      offsets: t.data.kind === 'contiguous' ? [t.data.offset, t.data.offset + t.data.length] : null,
      shard: t.shard ?? null,
    })),
    unreadable: c.unreadable.map((u) => ({ name: u.name, dtype: u.rawDtype, shape: u.shape ? [...u.shape] : null, reason: u.reason, shard: u.shard ?? null })),
    problems,
    hasErrors: hasErrors(problems),
  };
}
