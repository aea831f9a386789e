import type { Checkpoint } from '../core/checkpoint.js';
import { inspectDocumentJson } from '../core/summary.js';
import type { Analysis, TreeNode } from './types.js';

/**
 * `JSON.stringify({ ...inspectDocument(c), ...analysisWithoutSchemaVersion })` (what
 * `inspect --json` prints), character for character, as a sequence of pieces. On a 100,000-tensor
 * file that document is ~40 MB: one string of it, plus its UTF-8 copy for the write, plus the
 * 100k tensor rows kept alive until then, cost the CLI more garbage collection than the analysis
 * itself. Pieces are bounded (a few thousand rows or tree leaves each), so what is written dies
 * young. The pieces are built by `JSON.stringify` itself, on slices of the document.
 */
export function* inspectAnalysisJson(c: Checkpoint, analysis: Analysis): Generator<string> {
  const { schemaVersion: _v, ...fields } = analysis;
  // The reader's document, without its closing brace (it always has fields: never `{}`).
  let prev: string | undefined;
  for (const piece of inspectDocumentJson(c)) {
    if (prev !== undefined) yield prev;
    prev = piece;
  }
  yield prev!.slice(0, -1);
  for (const k of Object.keys(fields)) {
    const v = (fields as Record<string, unknown>)[k];
    if (v === undefined) continue;
    yield `,${JSON.stringify(k)}:`;
    if (k === 'towers' && Array.isArray(v)) yield* towersJson(v as Analysis['towers']);
    else if (Array.isArray(v) && v.length > BATCH) yield* arrayJson(v);
    else yield JSON.stringify(v);
  }
  yield '}';
}

/** Rows or leaves per piece: large enough that the per-piece overhead vanishes, small enough to die young. */
const BATCH = 2048;

/** `JSON.stringify(items)` in pieces of BATCH elements. */
function* arrayJson(items: readonly unknown[]): Generator<string> {
  yield '[';
  for (let i = 0; i < items.length; i += BATCH) {
    if (i > 0) yield ',';
    yield JSON.stringify(items.slice(i, i + BATCH)).slice(1, -1);
  }
  yield ']';
}

function* towersJson(towers: Analysis['towers']): Generator<string> {
  yield '[';
  for (let i = 0; i < towers.length; i++) {
    if (i > 0) yield ',';
    yield* objectJson(towers[i] as unknown as Record<string, unknown>, (k, v) => (k === 'tree' ? nodeJson(v as TreeNode) : null));
  }
  yield ']';
}

/**
 * An object's JSON with the fields `stream` takes over written as pieces, the others by
 * `JSON.stringify` (same key order; undefined fields left out as `JSON.stringify` does).
 */
function* objectJson(o: Record<string, unknown>, stream: (k: string, v: unknown) => Iterable<string> | null): Generator<string> {
  let open = '{';
  let small: Record<string, unknown> = {};
  /** The fields gathered since the last streamed one, as `"k":v,…` ('' when none is written). */
  const flush = () => {
    const s = JSON.stringify(small).slice(1, -1);
    small = {};
    return s;
  };
  for (const k of Object.keys(o)) {
    const v = o[k];
    const pieces = v === undefined ? null : stream(k, v);
    if (!pieces) {
      small[k] = v;
      continue;
    }
    const before = flush();
    yield `${open}${before}${before ? ',' : ''}${JSON.stringify(k)}:`;
    open = ',';
    yield* pieces;
  }
  const rest = flush();
  yield open === '{' ? `{${rest}}` : rest ? `,${rest}}` : '}';
}

/** How many leaves a node stands for when written whole: 1 for a tensor, its child count when those are all tensors, else unknown (-1). */
function leafWeight(n: TreeNode): number {
  const c = n.children;
  if (c.length === 0) return 1;
  if (c.length > BATCH) return -1;
  for (let i = 0; i < c.length; i++) if (c[i]!.children.length) return -1;
  return c.length;
}

/** A tree node: nodes of up to BATCH leaves (a block, a tensor) are written whole, in batches of siblings; bigger ones are opened. */
function* nodeJson(n: TreeNode): Generator<string> {
  if (leafWeight(n) >= 0) {
    yield JSON.stringify(n);
    return;
  }
  yield* objectJson(n as unknown as Record<string, unknown>, (k, v) => (k === 'children' && Array.isArray(v) ? childrenJson(v as TreeNode[]) : null));
}

function* childrenJson(children: readonly TreeNode[]): Generator<string> {
  yield '[';
  let written = 0;
  let start = 0;
  let weight = 0;
  const batch = function* (end: number) {
    if (end > start) {
      if (written++) yield ',';
      yield JSON.stringify(children.slice(start, end)).slice(1, -1);
    }
    start = end;
    weight = 0;
  };
  for (let i = 0; i < children.length; i++) {
    const w = leafWeight(children[i]!);
    if (w < 0) {
      yield* batch(i);
      if (written++) yield ',';
      yield* nodeJson(children[i]!);
      start = i + 1;
      continue;
    }
    if (weight + w > BATCH && i > start) yield* batch(i);
    weight += w;
  }
  yield* batch(children.length);
  yield ']';
}
