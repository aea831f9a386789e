import { storageType, type Checkpoint, type dtypeHistogram, type TensorInfo } from './checkpoint.js';
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
  tensors: TensorRow[];
  unreadable: { name: string; dtype: string; shape: number[] | null; reason: string; shard: string | null }[];
  problems: Problem[];
  hasErrors: boolean;
}

export type TensorRow = { name: string; dtype: string; shape: readonly number[]; offsets: [number, number] | null; shard: string | null };

/** The fields before `tensors` and after it, in document order (the JSON writer splices rows in between). */
function documentParts(c: Checkpoint) {
  const problems = sortProblems(c.problems);
  const head = {
    schemaVersion: 1 as const,
    format: c.format,
    path: c.path,
    files: c.files.map((f) => ({ path: f.path, size: f.size })),
    tensorCount: c.tensors.length,
    ...totals(c.tensors),
    metadata: { ...c.metadata },
    extras: { ...(c.extras ?? {}) },
  };
  const tail = {
    unreadable: c.unreadable.map((u) => ({ name: u.name, dtype: u.rawDtype, shape: u.shape ? [...u.shape] : null, reason: u.reason, shard: u.shard ?? null })),
    problems,
    hasErrors: hasErrors(problems),
  };
  return { head, tail };
}

/**
 * `parameterCount`, `byteCount` and `dtypeHistogram` of checkpoint.ts in one pass over the
 * tensors (same sums in the same order, same sorted histogram): three cold 100,000-element loops
 * cost the CLI more than one.
 */
function totals(tensors: readonly TensorInfo[]): { parameterCount: number; byteCount: number; dtypes: ReturnType<typeof dtypeHistogram> } {
  let parameters = 0;
  let bytes = 0;
  const out: ReturnType<typeof dtypeHistogram> = {};
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    // Quantised tensors: their on-disk type and bytes (the decoded float32 size is not the file's).
    const enc = t.encoding;
    const b = enc ? enc.storedBytes : t.byteLength;
    parameters += t.elementCount;
    bytes += b;
    const e = (out[enc ? enc.type : t.dtype] ??= { tensors: 0, parameters: 0, bytes: 0 });
    e.tensors++;
    e.parameters += t.elementCount;
    e.bytes += b;
  }
  const dtypes = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { parameterCount: parameters, byteCount: bytes, dtypes };
}

function tensorRow(t: TensorInfo): TensorRow {
  return {
    name: t.name,
    dtype: storageType(t),
    shape: t.shape,
    offsets: t.encoding ? [t.encoding.offset, t.encoding.offset + t.encoding.storedBytes] : t.data.kind === 'contiguous' ? [t.data.offset, t.data.offset + t.data.length] : null,
    shard: t.shard ?? null,
  };
}

export function inspectDocument(c: Checkpoint): InspectDocument {
  const { head, tail } = documentParts(c);
  return { ...head, tensors: c.tensors.map(tensorRow), ...tail };
}

/**
 * `JSON.stringify(inspectDocument(c))`, character for character, as a sequence of pieces of
 * `rowsPerPiece` tensor rows each: a 100,000-tensor document (13 MB) is written without holding
 * all its row objects and one string of its full length at once, so the rows die young (cheap
 * for the garbage collector) and memory stays bounded by a piece.
 */
export function* inspectDocumentJson(c: Checkpoint, rowsPerPiece = 4096): Generator<string> {
  const { head, tail } = documentParts(c);
  const tensors = c.tensors;
  // `{...head,` + `"tensors":[` rows `]` + `,...tail}`: head and tail are non-empty objects.
  // Rows are yielded as slices of their chunk's JSON, never concatenated: a slice is written
  // as is, a concatenation would first be copied into a flat string.
  yield JSON.stringify(head).slice(0, -1) + ',"tensors":[';
  for (let i = 0; i < tensors.length; i += rowsPerPiece) {
    const end = Math.min(tensors.length, i + rowsPerPiece);
    const rows: TensorRow[] = [];
    for (let j = i; j < end; j++) rows.push(tensorRow(tensors[j]!));
    if (i > 0) yield ',';
    yield JSON.stringify(rows).slice(1, -1);
  }
  yield '],' + JSON.stringify(tail).slice(1);
}
