import { plural } from '../../shared/text.js';
import type { TensorInfo } from '../../core/checkpoint.js';
import { byteLengthFor, DTYPE_BITS, isKnownDType, type DType } from '../../core/dtype.js';
import { problem, type Problem } from '../../core/problems.js';
import { err, ok, readError, type Result } from '../../core/result.js';
import { scanPlainHeader } from './plainHeader.js';
import { scanHeaderJson } from './jsonScan.js';
import { formatBytes, formatCount } from '../../core/format.js';

/** The reference implementation refuses headers above 100 MB; so do we, before allocating. */
export const MAX_HEADER_BYTES = 100_000_000;

/**
 * A tensor entry whose declaration checked out, already in the Checkpoint model's shape (its bytes
 * are a contiguous range of the file), so opening a 100,000-tensor header allocates one object per
 * tensor and its `data`, not a chain of intermediate records.
 */
export type DeclaredTensor = TensorInfo & { readonly data: Extract<TensorInfo['data'], { kind: 'contiguous' }> };

/** Where the header's tensors live: absolute offsets are `8 + header length + data_offsets`. */
export interface HeaderSource {
  /** Absolute path of the file the header belongs to. */
  readonly path: string;
  /** Shard name (sharded checkpoints), recorded on each tensor. */
  readonly shard?: string;
}

export interface BadEntry {
  readonly name: string;
  readonly rawDtype: string;
  readonly shape?: readonly number[];
  readonly reason: string;
}

/** A header that parsed as JSON and whose entries were each checked on their own. */
export interface ParsedHeader {
  readonly headerLength: number;
  readonly metadata: Record<string, string>;
  readonly tensors: readonly DeclaredTensor[];
  /**
   * `begins[i]`: tensors[i]'s begin relative to the data section, exactly as declared (the
   * absolute `data.offset` can round above 2^53 in a hostile header; layout checks use these).
   */
  readonly begins: Float64Array;
  readonly bad: readonly BadEntry[];
  readonly problems: readonly Problem[];
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses the JSON header bytes (without the 8-byte length prefix).
 * Fatal errors (not UTF-8, not JSON, not an object) are a ReadError; per-entry errors
 * become problems and BadEntry rows so the rest of the file stays inspectable.
 */
export function parseHeader(bytes: Uint8Array, source: HeaderSource, file?: string): Result<ParsedHeader> {
  // Headers as writers emit them take the plain-form scanner; anything it does not accept (a
  // problem, an unusual but valid form) goes through JSON.parse and the full checks.
  const plain = parsePlainHeader(bytes, source);
  return plain ? ok(plain) : parseHeaderJson(bytes, source, file);
}

/** `parseHeader` through JSON.parse and the full per-entry checks (any header; exported so tests can compare both paths). */
export function parseHeaderJson(bytes: Uint8Array, source: HeaderSource, file?: string): Result<ParsedHeader> {
  // The reference implementation parses the header with serde_json, which allows JSON whitespace before '{'.
  let first = 0;
  while (first < bytes.length && (bytes[first] === 0x20 || bytes[first] === 0x0a || bytes[first] === 0x0d || bytes[first] === 0x09)) first++;
  if (first >= bytes.length || bytes[first] !== 0x7b) {
    return err(readError('header-start-invalid', 'The safetensors header does not start with "{": this is not a safetensors file, or it is corrupted.', file));
  }
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return err(readError('header-not-utf8', 'The safetensors header is not valid UTF-8.', file));
  }
  const scan = scanHeaderJson(text);
  if (scan.fatal) return err(readError(scan.fatal.code, scan.fatal.message, file));
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return err(readError('header-not-json', `The safetensors header is not valid JSON (${why}).`, file));
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return err(readError('header-not-object', 'The safetensors header is JSON but not an object.', file));
  }
  return ok(validateEntries(json as Record<string, unknown>, bytes.length, source, scan.badNumbers));
}

function validateEntries(obj: Record<string, unknown>, headerLength: number, source: HeaderSource, badNumbers: ReadonlySet<string> = new Set()): ParsedHeader {
  const problems: Problem[] = [];
  const tensors: DeclaredTensor[] = [];
  const bad: BadEntry[] = [];
  let metadata: Record<string, string> = {};
  const at: Placement = { path: source.path, dataStart: 8 + headerLength, shard: source.shard, begin: 0 };
  const names = Object.keys(obj);
  const begins = new Float64Array(names.length);

  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const entry = obj[name];
    if (name === '__metadata__') {
      // serde maps `null` to "no metadata"; the reference loads such a file.
      if (entry === null) continue;
      const m = validateMetadata(entry);
      if (typeof m === 'string') problems.push(problem('metadata-invalid', 'error', m));
      else metadata = m;
      continue;
    }
    if (badNumbers.has(name) && !('reason' in validateTensorEntry(name, entry, at))) {
      // The entry reads as valid only because JSON.parse turned `4.0` into 4.
      const rawDtype = entry !== null && typeof entry === 'object' && typeof (entry as { dtype?: unknown }).dtype === 'string' ? (entry as { dtype: string }).dtype : '?';
      at.begin = 0;
      bad.push({ name, rawDtype, reason: 'a number in its entry is written as a float (4.0, 4e0) or exceeds 2^64-1; the reference implementation rejects the file.' });
      problems.push(problem('tensor-entry-invalid', 'error', `Tensor ${JSON.stringify(name)}: a number in its entry is written as a float (4.0, 4e0) or exceeds 2^64-1; the reference implementation rejects the file ("expected usize").`, { tensors: [name] }));
      continue;
    }
    const fast = fastEntry(name, entry, at);
    if (fast) {
      begins[tensors.length] = at.begin;
      tensors.push(fast);
      continue;
    }
    const extra = unknownFields(entry);
    if (extra.length > 0) {
      problems.push(problem('tensor-entry-extra-fields', 'warning', `Tensor ${JSON.stringify(name)} has unknown ${extra.length === 1 ? 'field' : 'fields'} ${extra.map((k) => JSON.stringify(k)).join(', ')}; they are ignored.`, { tensors: [name] }));
    }
    const t = validateTensorEntry(name, entry, at);
    if ('reason' in t) {
      bad.push(t);
      problems.push(problem(t.code, t.severity, `Tensor ${JSON.stringify(name)}: ${t.reason}`, { tensors: [name] }));
    } else {
      begins[tensors.length] = at.begin;
      tensors.push(t);
    }
  }
  return { headerLength, metadata, tensors, begins: begins.subarray(0, tensors.length), bad, problems };
}

const BYTES_PER_ELEMENT = new Map<string, number>(
  Object.entries(DTYPE_BITS)
    .filter(([, bits]) => bits % 8 === 0)
    .map(([d, bits]) => [d, bits / 8]),
);

/**
 * The common case, checked cheaply: a well-formed entry of a whole-byte dtype. Anything unusual
 * returns undefined and goes through `validateTensorEntry`, which names the exact problem.
 * (Opening a 100,000-tensor header spends most of its time here, so it avoids allocations.)
 */
function fastEntry(name: string, entry: unknown, at: Placement): DeclaredTensor | undefined {
  if (entry === null || typeof entry !== 'object') return undefined;
  const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  const dtype = e.dtype;
  const shape = e.shape;
  const offs = e.data_offsets;
  if (typeof dtype !== 'string' || !Array.isArray(shape) || !Array.isArray(offs) || offs.length !== 2) return undefined;
  let fields = 0;
  for (const _ in e) fields++;
  if (fields !== 3) return undefined;
  return plainTensor(name, dtype, shape, offs[0], offs[1], at);
}

/** The checks of the common case once the fields are out of the entry (shared with the plain-header scanner). */
function plainTensor(name: string, dtype: string, shape: readonly unknown[], begin: unknown, end: unknown, at: Placement): DeclaredTensor | undefined {
  if (shape.length > 64) return undefined;
  const width = BYTES_PER_ELEMENT.get(dtype);
  if (width === undefined) return undefined;
  let elements = 1;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return undefined;
    elements *= d;
  }
  const length = elements * width;
  if (!Number.isSafeInteger(length) || typeof begin !== 'number' || typeof end !== 'number') return undefined;
  if (!Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end - begin !== length) return undefined;
  return declared(name, dtype as DType, shape as number[], elements, length, begin, at);
}

/**
 * A header in the plain form (see plainHeader.ts) whose every entry passes the common-case checks:
 * the same ParsedHeader validateEntries would build from JSON.parse, without JSON.parse.
 * Undefined when anything needs the full path.
 */
function parsePlainHeader(bytes: Uint8Array, source: HeaderSource): ParsedHeader | undefined {
  const headerLength = bytes.length;
  const at: Placement = { path: source.path, dataStart: 8 + headerLength, shard: source.shard, begin: 0 };
  const tensors: DeclaredTensor[] = [];
  let begins = new Float64Array(1024);
  const metadata = scanPlainHeader(bytes, (name, dtype, shape, begin, end) => {
    const t = plainTensor(name, dtype, shape, begin, end, at);
    if (t === undefined) return false;
    if (tensors.length === begins.length) {
      const grown = new Float64Array(begins.length * 2);
      grown.set(begins);
      begins = grown;
    }
    begins[tensors.length] = at.begin;
    tensors.push(t);
    return true;
  });
  if (metadata === undefined) return undefined;
  return { headerLength, metadata, tensors, begins: begins.subarray(0, tensors.length), bad: [], problems: [] };
}

interface Placement {
  readonly path: string;
  readonly dataStart: number;
  readonly shard: string | undefined;
  /** The declared begin of the tensor `declared` made last (saves returning a pair per entry). */
  begin: number;
}

/** One object literal per case, so every tensor of a file shares one hidden class. */
function declared(name: string, dtype: DType, shape: readonly number[], elementCount: number, byteLength: number, begin: number, at: Placement): DeclaredTensor {
  at.begin = begin;
  const data = { kind: 'contiguous', file: at.path, offset: at.dataStart + begin, length: byteLength } as const;
  return at.shard === undefined
    ? { name, dtype, shape, elementCount, byteLength, data }
    : { name, dtype, shape, elementCount, byteLength, data, shard: at.shard };
}

// V8 stores the first `offset`s (below 2^31) as small integers and, at the first larger one, moves
// `offset` to a double field and migrates every tensor built so far, one by one, when next touched
// (~20 ms for a 100,000-tensor file). One throwaway tensor with a fractional offset, built once
// at load, gives the field its final representation up front.
declared('', 'F32', [], 0, 0, 0.5, { path: '', dataStart: 0, shard: undefined, begin: 0 });

function validateMetadata(entry: unknown): Record<string, string> | string {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return '__metadata__ must be an object mapping strings to strings.';
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
    if (typeof v !== 'string') return `__metadata__ value for ${JSON.stringify(k)} is not a string (the reference implementation rejects the file).`;
    out[k] = v;
  }
  return out;
}

/** The reference has no rank limit; this one only bounds work (a header is at most 100 MB anyway). */
const MAX_RANK = 4096;

/** A short rendering of a shape-like value from the header, without recursion or a long string. */
function shapeText(v: readonly unknown[]): string {
  const parts: string[] = [];
  for (const x of v.slice(0, 8)) parts.push(typeof x === 'number' ? String(x) : Array.isArray(x) ? '[…]' : typeof x === 'string' ? JSON.stringify(x.slice(0, 20)) : String(x === null ? 'null' : typeof x));
  return `[${parts.join(',')}${v.length > 8 ? ',…' : ''}]`.slice(0, 80);
}

const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

function unknownFields(entry: unknown): string[] {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return [];
  return Object.keys(entry).filter((k) => !ENTRY_FIELDS.has(k)).slice(0, 10);
}

type EntryFailure = BadEntry & { code: string; severity: 'error' | 'warning' };

function fail(name: string, rawDtype: string, code: string, reason: string, shape?: readonly number[]): EntryFailure {
  return shape === undefined ? { name, rawDtype, code, severity: 'error', reason } : { name, rawDtype, shape, code, severity: 'error', reason };
}

function validateTensorEntry(name: string, entry: unknown, at: Placement): DeclaredTensor | EntryFailure {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    return fail(name, '?', 'tensor-entry-invalid', 'entry is not an object with dtype, shape and data_offsets.');
  }
  const e = entry as Record<string, unknown>;
  const rawDtype = typeof e.dtype === 'string' ? e.dtype : '?';
  if (typeof e.dtype !== 'string') return fail(name, rawDtype, 'tensor-entry-invalid', 'dtype is missing or not a string.');

  const shape = e.shape;
  if (!Array.isArray(shape)) return fail(name, rawDtype, 'shape-invalid', 'shape is missing or not an array.');
  if (shape.length > MAX_RANK) return fail(name, rawDtype, 'shape-invalid', `shape has ${shape.length} dimensions (more than ${MAX_RANK}).`);
  // Like the reference's checked_mul over usize: a zero dimension makes the product 0 whatever follows.
  const empty = shape.includes(0);
  let elements = empty ? 0 : 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0 || (!empty && !Number.isSafeInteger(d))) {
      return fail(name, rawDtype, 'shape-invalid', `shape ${shapeText(shape)} has a dimension that is not a non-negative integer below 2^53.`);
    }
    if (empty) continue;
    elements *= d;
    if (!Number.isSafeInteger(elements)) {
      return fail(name, rawDtype, 'element-count-overflow', `shape ${shapeText(shape)} has more than 2^53 elements.`, shape as number[]);
    }
  }
  const dims = shape as number[];

  const offs = e.data_offsets;
  if (!Array.isArray(offs) || offs.length !== 2) return fail(name, rawDtype, 'offsets-invalid', 'data_offsets is not a [begin, end] pair.', dims);
  const [begin, end] = offs as unknown[];
  if (typeof begin !== 'number' || typeof end !== 'number' || !Number.isSafeInteger(begin) || !Number.isSafeInteger(end) || begin < 0 || end < 0) {
    return fail(name, rawDtype, 'offsets-invalid', `data_offsets ${shapeText(offs)} are not non-negative integers below 2^53.`, dims);
  }
  if (end < begin) return fail(name, rawDtype, 'offsets-invalid', `data_offsets end ${end} is before begin ${begin}.`, dims);

  if (!isKnownDType(e.dtype)) {
    return { name, rawDtype, shape: dims, code: 'dtype-unknown', severity: 'warning', reason: `unknown dtype ${JSON.stringify(e.dtype).slice(0, 40)}; its values cannot be read.` };
  }
  const dtype = e.dtype;
  const expected = byteLengthFor(dtype, elements);
  if (expected === 'misaligned') {
    return fail(name, rawDtype, 'sub-byte-misaligned', `${elements} elements of ${dtype} do not fill whole bytes.`, dims);
  }
  if (expected === 'overflow') {
    return fail(name, rawDtype, 'element-count-overflow', `${elements} elements of ${dtype} need more than 2^53 bytes.`, dims);
  }
  if (expected !== end - begin) {
    return fail(name, rawDtype, 'size-mismatch', `shape ${JSON.stringify(dims)} × ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}.`, dims);
  }
  return declared(name, dtype, dims, elements, expected, begin, at);
}

/**
 * Checks that the declared byte ranges tile the data section exactly as the reference
 * implementation requires: sorted by offset, no overlaps, no holes, ending at the end of the file.
 * Tensors whose range lies outside the file are returned in `outOfBounds` (a truncated download).
 * `sorted` is `tensors` itself when the header already lists them in offset order (the usual case).
 */
export function checkLayout(
  header: Pick<ParsedHeader, 'tensors' | 'begins'>,
  dataLength: number,
): { problems: Problem[]; outOfBounds: Set<string>; sorted: readonly DeclaredTensor[] } {
  const problems: Problem[] = [];
  const outOfBounds = new Set<string>();
  const { sorted, begins } = sortByOffset(header.tensors, header.begins);
  let cursor = 0;
  let maxEnd = 0;
  const overlaps: string[] = [];
  const holes: string[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const t = sorted[i]!;
    const begin = begins[i]!;
    const end = begin + t.data.length;
    if (begin < cursor) overlaps.push(t.name);
    else if (begin > cursor) holes.push(t.name);
    if (end > cursor) cursor = end;
    if (end > dataLength) outOfBounds.add(t.name);
    if (end > maxEnd) maxEnd = end;
  }
  if (overlaps.length > 0) {
    problems.push(problem('tensors-overlap', 'error', `${plural(overlaps.length, 'tensor')} ${overlaps.length === 1 ? 'overlaps' : 'overlap'} the bytes of another tensor.`, { tensors: overlaps.slice(0, 100) }));
  }
  if (holes.length > 0) {
    problems.push(problem('data-hole', 'error', `${plural(holes.length, 'gap')} of unused bytes between tensors in the data section.`, { tensors: holes.slice(0, 100) }));
  }
  if (outOfBounds.size > 0) {
    problems.push(
      problem(
        'truncated',
        'error',
        `The file is truncated: its tensors need ${formatBytes(maxEnd)} of data (${formatCount(maxEnd)} bytes) but the file holds ${formatBytes(dataLength)} (${formatCount(dataLength)} bytes); ${outOfBounds.size === 1 ? '1 tensor is' : `${formatCount(outOfBounds.size)} tensors are`} cut off (an interrupted download or copy?).`,
        { tensors: [...outOfBounds].slice(0, 100) },
      ),
    );
  } else if (maxEnd < dataLength) {
    problems.push(problem('trailing-bytes', 'warning', `${plural(dataLength - maxEnd, 'byte')} after the last tensor ${dataLength - maxEnd === 1 ? 'is' : 'are'} not described by the header.`));
  }
  return { problems, outOfBounds, sorted };
}

/** Offset order; headers usually list tensors in data order already, so check before sorting. */
function sortByOffset(tensors: readonly DeclaredTensor[], begins: Float64Array): { sorted: readonly DeclaredTensor[]; begins: Float64Array } {
  for (let i = 1; i < tensors.length; i++) {
    const a = begins[i - 1]!;
    const b = begins[i]!;
    if (a > b || (a === b && tensors[i - 1]!.data.length > tensors[i]!.data.length)) {
      // By (begin, end), stable; end = begin + length exactly (both below 2^53).
      const order = Array.from(tensors, (_, j) => j).sort((x, y) => begins[x]! - begins[y]! || tensors[x]!.data.length - tensors[y]!.data.length);
      return { sorted: order.map((j) => tensors[j]!), begins: Float64Array.from(order, (j) => begins[j]!) };
    }
  }
  return { sorted: tensors, begins };
}
