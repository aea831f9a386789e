import { plural } from '../../shared/text.js';
import { open, type FileHandle } from 'node:fs/promises';
import { problem, type Problem } from '../../core/problems.js';
import { CheckpointLensError, err, ok, readError, type Result } from '../../core/result.js';
import { GGUF_VALUE_TYPES, valueTypeWidth, type GgufValueTypeName } from './types.js';

/**
 * The GGUF header (magic, version, counts, key/value metadata, tensor infos), read front to back
 * through a bounded window of the file: nothing is allocated from a count or a length before that
 * count or length has been checked against the bytes the file still has, and large arrays (a
 * 150,000-token vocabulary) are summarised, not kept.
 *
 * Layout (llama.cpp gguf.cpp, GGUF v2/v3, little-endian): "GGUF" u32 version, u64 tensor count,
 * u64 kv count; kv = string key, u32 type, value; string = u64 length + bytes; array = u32 element
 * type, u64 count, elements; tensor info = string name, u32 n_dims, u64 ne[n_dims], u32 type,
 * u64 offset (relative to the data section, which starts at the next multiple of
 * `general.alignment`, default 32, after the infos).
 */

/** A metadata array: its length and element type, the first few values, and (for small integers) a histogram. */
export interface GgufArray {
  readonly kind: 'array';
  readonly elementType: GgufValueTypeName;
  readonly length: number;
  /** The first `ARRAY_SAMPLE` elements (all of them when `length` ≤ ARRAY_SAMPLE). */
  readonly sample: readonly GgufValue[];
  /** value → count, for integer arrays with at most 64 distinct values (token types, per-layer head counts). */
  readonly histogram?: ReadonlyMap<number, number>;
  /** File offset of the first element (string arrays): lets a reader fetch items past the sample later. */
  readonly offset?: number;
}

export type GgufValue = number | bigint | string | boolean | GgufArray;

export interface GgufKv {
  readonly key: string;
  readonly type: GgufValueTypeName;
  readonly value: GgufValue;
  /** True when a string value was longer than the retained prefix. */
  readonly cut?: boolean;
}

/** One tensor info as declared (not yet checked against types, shapes or the file). */
export interface GgufTensorDecl {
  readonly name: string;
  /** ggml order: ne[0] is the fastest-varying (row length). Null when a dim exceeds 2^53. */
  readonly ne: readonly number[] | null;
  readonly nDims: number;
  readonly typeId: number;
  /** Relative to the data section; null when above 2^53. */
  readonly offset: number | null;
}

export interface GgufHeader {
  readonly version: number;
  readonly kv: readonly GgufKv[];
  readonly kvByKey: ReadonlyMap<string, GgufKv>;
  readonly tensors: readonly GgufTensorDecl[];
  readonly alignment: number;
  /** End of the tensor infos. */
  readonly infoEnd: number;
  /** Absolute offset of the data section. */
  readonly dataStart: number;
  readonly problems: readonly Problem[];
}

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const DEFAULT_ALIGNMENT = 32;
/** Longest string kept in memory (longer ones are cut and marked). */
const STRING_RETAIN = 256 << 10;
/** Longest key or tensor name accepted at all. */
const MAX_NAME_BYTES = 1 << 16;
/** Longest string value accepted at all (a chat template is ~10 KB; a vocabulary is an array). */
const MAX_STRING_BYTES = 1 << 30;
const ARRAY_SAMPLE = 16;
const MAX_ARRAY_DEPTH = 8;
/** llama.cpp accepts at most 4 (GGML_MAX_DIMS); more is refused per tensor, absurd counts for the file. */
const MAX_DIMS_PARSED = 64;
const READ_CHUNK = 1 << 20;

/** A forward-only window over a file: holds at most one chunk (or one value) at a time. */
class Cursor {
  private buf = new Uint8Array(0);
  private view = new DataView(this.buf.buffer);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
    private readonly what: () => string,
  ) {}

  remaining(): number {
    return this.size - this.pos;
  }

  /** Makes [pos, pos+n) available, or throws `gguf-header-truncated`. */
  async need(n: number): Promise<void> {
    if (this.pos + n <= this.bufStart + this.buf.length) return;
    if (this.pos + n > this.size) throw new CheckpointLensError('gguf-header-truncated', `The header ends early: ${this.what()} needs ${plural(n, 'byte')} at offset ${this.pos}, but the file has ${this.size} bytes.`);
    const keepFrom = Math.max(0, this.pos - this.bufStart);
    const kept = this.buf.subarray(Math.min(keepFrom, this.buf.length));
    const length = Math.min(this.size - this.pos, Math.max(n, READ_CHUNK));
    const next = new Uint8Array(length);
    let have = 0;
    if (this.pos >= this.bufStart && keepFrom < this.buf.length) {
      next.set(kept.subarray(0, Math.min(kept.length, length)));
      have = Math.min(kept.length, length);
    }
    while (have < length) {
      const { bytesRead } = await this.fh.read(next, have, length - have, this.pos + have);
      if (bytesRead === 0) throw new CheckpointLensError('gguf-header-truncated', `The file shrank while its header was read (at offset ${this.pos + have}).`);
      have += bytesRead;
    }
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
    this.bufStart = this.pos;
  }

  has(n: number): boolean {
    return this.pos >= this.bufStart && this.pos + n <= this.bufStart + this.buf.length;
  }

  skip(n: number): void {
    this.pos += n;
  }

  /** Skips one GGUF string when its length and bytes are all in the window; false (nothing consumed) otherwise. */
  skipStringInWindow(): boolean {
    const o = this.pos - this.bufStart;
    if (o < 0 || o + 8 > this.buf.length) return false;
    const hi = this.view.getUint32(o + 4, true);
    if (hi !== 0) return false;
    const n = this.view.getUint32(o, true);
    if (o + 8 + n > this.buf.length) return false;
    this.pos += 8 + n;
    return true;
  }

  u8(): number {
    return this.buf[this.pos++ - this.bufStart]!;
  }
  u32(): number {
    const v = this.view.getUint32(this.pos - this.bufStart, true);
    this.pos += 4;
    return v;
  }
  /** u64 as a number; values above 2^53 come back as Infinity (callers treat them as absurd). */
  u64n(): number {
    const lo = this.view.getUint32(this.pos - this.bufStart, true);
    const hi = this.view.getUint32(this.pos - this.bufStart + 4, true);
    this.pos += 8;
    return hi >= 0x200000 ? Infinity : hi * 4294967296 + lo;
  }
  scalar(t: GgufValueTypeName): number | bigint | boolean {
    const o = this.pos - this.bufStart;
    const v = this.view;
    let out: number | bigint | boolean;
    switch (t) {
      case 'u8':
        out = v.getUint8(o);
        break;
      case 'i8':
        out = v.getInt8(o);
        break;
      case 'bool':
        out = v.getUint8(o) !== 0;
        break;
      case 'u16':
        out = v.getUint16(o, true);
        break;
      case 'i16':
        out = v.getInt16(o, true);
        break;
      case 'u32':
        out = v.getUint32(o, true);
        break;
      case 'i32':
        out = v.getInt32(o, true);
        break;
      case 'f32':
        out = v.getFloat32(o, true);
        break;
      case 'f64':
        out = v.getFloat64(o, true);
        break;
      case 'u64': {
        const b = v.getBigUint64(o, true);
        out = b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
        break;
      }
      case 'i64': {
        const b = v.getBigInt64(o, true);
        out = b <= BigInt(Number.MAX_SAFE_INTEGER) && b >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(b) : b;
        break;
      }
      default:
        throw new Error(`not a scalar type: ${t}`);
    }
    this.pos += valueTypeWidth(t)!;
    return out;
  }
  bytes(n: number): Uint8Array {
    const o = this.pos - this.bufStart;
    this.pos += n;
    return this.buf.subarray(o, o + n);
  }
}

const utf8 = new TextDecoder('utf-8');

/**
 * Reads and validates the header of one GGUF file. Fatal problems (bad magic, unsupported version,
 * truncated header, absurd counts or lengths, unknown value types) are a ReadError with one code
 * per rule; the rest are Problems on the header.
 */
export async function readGgufHeader(path: string, name: string): Promise<Result<GgufHeader & { size: number }>> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err(readError('file-not-found', `${name} does not exist.`, name));
    if (code === 'EISDIR') return err(readError('not-a-file', `${name} is a directory.`, name));
    return err(readError('io-error', `${name} cannot be read (${code ?? String(e)}).`, name));
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) return err(readError('not-a-file', `${name} is not a regular file.`, name));
    let where = 'the fixed header';
    const c = new Cursor(fh, st.size, () => where);
    const h = await parse(c, (w) => (where = w));
    return ok({ ...h, size: st.size });
  } catch (e) {
    if (e instanceof CheckpointLensError) return err(readError(e.code, `${name}: ${e.message}`, name));
    const code = (e as NodeJS.ErrnoException).code;
    return err(readError('io-error', `${name}: reading the GGUF header failed (${code ?? String(e)}).`, name));
  } finally {
    await fh.close();
  }
}

async function parse(c: Cursor, at: (where: string) => void): Promise<GgufHeader> {
  const problems: Problem[] = [];
  if (c.size < 4) throw new CheckpointLensError('gguf-header-truncated', `The file has ${c.size} bytes: too small for the GGUF magic.`);
  await c.need(4);
  const magic = c.u32();
  if (magic !== GGUF_MAGIC) throw new CheckpointLensError('gguf-bad-magic', `The file does not start with the GGUF magic "GGUF" (found bytes ${hex(magic)}).`);
  await c.need(4);
  const version = c.u32();
  if (version !== 2 && version !== 3) {
    // A big-endian file (s390x builds) reads as a byte-swapped version: 0x02000000 / 0x03000000.
    if (version === 0x02000000 || version === 0x03000000) throw new CheckpointLensError('gguf-big-endian', `This is a big-endian GGUF file (version ${version >>> 24} byte-swapped); only little-endian files are read.`);
    throw new CheckpointLensError('gguf-unsupported-version', version === 1 ? 'GGUF version 1 (32-bit counts, 2023) is not supported; convert it with a current llama.cpp.' : `GGUF version ${version} is not supported (versions 2 and 3 are).`);
  }
  await c.need(16);
  const tensorCount = c.u64n();
  const kvCount = c.u64n();
  // Each kv takes at least 13 bytes (8 key length, 4 type, 1 value) and each tensor info 24.
  // A count the rest of the file cannot hold is refused before any loop runs: a plausible one
  // (up to 2^24) means the file is cut short, a larger one that the header is corrupt.
  const tooMany = (count: number, what: string, room: number) => {
    if (count <= room) return;
    if (count <= 1 << 24) throw new CheckpointLensError('gguf-header-truncated', `The header declares ${fmtCount(count)} ${what}, but only ${c.remaining()} bytes follow: the file is cut short.`);
    throw new CheckpointLensError('gguf-count-too-large', `The header declares ${fmtCount(count)} ${what}; the file's remaining ${c.remaining()} bytes cannot hold that many.`);
  };
  tooMany(kvCount, 'metadata entries', c.remaining() / 13);
  tooMany(tensorCount, 'tensor infos', (c.remaining() - kvCount * 13) / 24);

  const kv: GgufKv[] = [];
  const kvByKey = new Map<string, GgufKv>();
  for (let i = 0; i < kvCount; i++) {
    at(`metadata entry ${i}`);
    const key = await readName(c, 'metadata key');
    at(`metadata entry ${JSON.stringify(key.slice(0, 80))}`);
    await c.need(4);
    const type = valueType(c.u32(), key);
    const { value, cut } = await readValue(c, type, 0, key);
    const entry: GgufKv = cut ? { key, type, value, cut } : { key, type, value };
    if (kvByKey.has(key)) {
      problems.push(problem('gguf-duplicate-key', 'error', `Metadata key ${JSON.stringify(key)} appears more than once; llama.cpp refuses such a file. The first value is shown.`));
      continue;
    }
    kvByKey.set(key, entry);
    kv.push(entry);
  }

  const tensors: GgufTensorDecl[] = [];
  for (let i = 0; i < tensorCount; i++) {
    at(`tensor info ${i}`);
    const name = await readName(c, 'tensor name');
    at(`tensor info ${JSON.stringify(name.slice(0, 80))}`);
    await c.need(4);
    const nDims = c.u32();
    if (nDims > MAX_DIMS_PARSED) throw new CheckpointLensError('gguf-tensor-dims-invalid', `Tensor ${JSON.stringify(name)} declares ${nDims} dimensions; the header is corrupt (ggml has at most 4).`);
    await c.need(nDims * 8 + 12);
    let ne: number[] | null = [];
    for (let d = 0; d < nDims; d++) {
      const v = c.u64n();
      if (!Number.isSafeInteger(v)) ne = null;
      else ne?.push(v);
    }
    const typeId = c.u32();
    const off = c.u64n();
    tensors.push({ name, ne, nDims, typeId, offset: Number.isSafeInteger(off) ? off : null });
  }
  const infoEnd = c.pos;

  let alignment = DEFAULT_ALIGNMENT;
  const a = kvByKey.get('general.alignment');
  if (a) {
    const v = a.value;
    const pow2 = typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 1 << 30 && (v & (v - 1)) === 0;
    if (a.type !== 'u32' || !pow2) {
      problems.push(problem('gguf-alignment-invalid', 'error', `general.alignment is ${a.type} ${display(v)}; it must be a u32 power of two. llama.cpp refuses the file; offsets are computed with ${pow2 ? v : DEFAULT_ALIGNMENT}.`));
    }
    if (pow2) alignment = v as number;
  }
  const dataStart = Math.ceil(infoEnd / alignment) * alignment;
  return { version, kv, kvByKey, tensors, alignment, infoEnd, dataStart, problems };
}

function valueType(id: number, key: string): GgufValueTypeName {
  const t = GGUF_VALUE_TYPES[id];
  if (t === undefined) throw new CheckpointLensError('gguf-bad-value-type', `Metadata ${JSON.stringify(key)} has value type ${id}, which GGUF does not define (0–12); the rest of the header cannot be located.`);
  return t;
}

async function readName(c: Cursor, what: string): Promise<string> {
  await c.need(8);
  const n = c.u64n();
  if (n > MAX_NAME_BYTES || n > c.remaining()) throw new CheckpointLensError('gguf-string-too-long', `A ${what} claims ${fmtCount(n)} bytes (limit ${MAX_NAME_BYTES}, ${c.remaining()} left in the file).`);
  await c.need(n);
  return utf8.decode(c.bytes(n));
}

async function readString(c: Cursor, key: string, retain: boolean): Promise<{ value: string; cut: boolean }> {
  if (!c.has(8)) await c.need(8);
  const n = c.u64n();
  if (n > MAX_STRING_BYTES || n > c.remaining()) throw new CheckpointLensError('gguf-string-too-long', `A string in ${JSON.stringify(key)} claims ${fmtCount(n)} bytes (limit ${MAX_STRING_BYTES}, ${c.remaining()} left in the file).`);
  if (!retain) {
    c.skip(n);
    return { value: '', cut: false };
  }
  const keep = Math.min(n, STRING_RETAIN);
  if (!c.has(keep)) await c.need(keep);
  const value = utf8.decode(c.bytes(keep));
  c.skip(n - keep);
  return { value, cut: keep < n };
}

async function readValue(c: Cursor, type: GgufValueTypeName, depth: number, key: string): Promise<{ value: GgufValue; cut: boolean }> {
  if (type === 'string') return readString(c, key, true);
  if (type !== 'array') {
    const w = valueTypeWidth(type)!;
    if (!c.has(w)) await c.need(w);
    return { value: c.scalar(type), cut: false };
  }
  if (depth >= MAX_ARRAY_DEPTH) throw new CheckpointLensError('gguf-array-nesting-too-deep', `Metadata ${JSON.stringify(key)} nests arrays more than ${MAX_ARRAY_DEPTH} deep.`);
  await c.need(12);
  const elementType = valueType(c.u32(), key);
  const length = c.u64n();
  const minWidth = valueTypeWidth(elementType) ?? (elementType === 'string' ? 8 : 12);
  if (length > c.remaining() / minWidth) throw new CheckpointLensError('gguf-array-too-long', `Metadata ${JSON.stringify(key)} claims an array of ${fmtCount(length)} ${elementType} values; the file's remaining ${c.remaining()} bytes cannot hold that many.`);
  const sample: GgufValue[] = [];
  const w = valueTypeWidth(elementType);
  if (w !== undefined) {
    const integer = elementType !== 'f32' && elementType !== 'f64' && elementType !== 'bool';
    let hist: Map<number, number> | undefined = integer ? new Map() : undefined;
    // Scalars: one bounded window at a time.
    const perWindow = Math.max(1, Math.floor(READ_CHUNK / w));
    for (let i = 0; i < length; ) {
      const n = Math.min(perWindow, length - i);
      await c.need(n * w);
      for (let j = 0; j < n; j++, i++) {
        const v = c.scalar(elementType);
        if (i < ARRAY_SAMPLE) sample.push(v);
        if (hist && typeof v === 'number') {
          hist.set(v, (hist.get(v) ?? 0) + 1);
          if (hist.size > 64) hist = undefined;
        }
      }
    }
    return { value: hist ? { kind: 'array', elementType, length, sample, histogram: hist } : { kind: 'array', elementType, length, sample }, cut: false };
  }
  const offset = c.pos;
  for (let i = 0; i < length; i++) {
    if (elementType === 'string') {
      // Fast path (no await) for the common case: a string past the sample, wholly in the window.
      if (i >= ARRAY_SAMPLE && c.skipStringInWindow()) continue;
      const s = await readString(c, key, i < ARRAY_SAMPLE);
      if (i < ARRAY_SAMPLE) sample.push(s.value);
    } else {
      const sub = await readValue(c, 'array', depth + 1, key);
      if (i < ARRAY_SAMPLE) sample.push(sub.value);
    }
  }
  return { value: elementType === 'string' ? { kind: 'array', elementType, length, sample, offset } : { kind: 'array', elementType, length, sample }, cut: false };
}

/**
 * Items `wanted` (indices) of a string array whose elements start at `offset` in the file: one
 * forward pass through a bounded window, keeping only the wanted strings (e.g. the text of special
 * tokens past the retained sample). Indices out of range are left out.
 */
export async function readStringArrayItems(path: string, offset: number, length: number, wanted: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const want = new Set(wanted.filter((i) => Number.isSafeInteger(i) && i >= 0 && i < length));
  if (want.size === 0) return out;
  const last = Math.max(...want);
  const fh = await open(path, 'r');
  try {
    const st = await fh.stat();
    const c = new Cursor(fh, st.size, () => 'a string array');
    c.pos = offset;
    for (let i = 0; i <= last; i++) {
      const s = await readString(c, 'array', want.has(i));
      if (want.has(i)) out.set(i, s.value);
    }
  } catch {
    // The header was validated when the file was opened; a file changed since then yields fewer items.
  } finally {
    await fh.close();
  }
  return out;
}

function hex(u: number): string {
  return [0, 8, 16, 24].map((s) => ((u >>> s) & 0xff).toString(16).padStart(2, '0')).join(' ');
}

function fmtCount(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString('en-US') : 'more than 2^53';
}

/** The shortest decimal that reads back as the same float32 (1e-5, not 0.000009999999747378752). */
export function f32String(v: number): string {
  if (!Number.isFinite(v) || Number.isInteger(v)) return String(v);
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return String(s);
  }
  return String(v);
}

/** A value as one line of text (arrays: type, length and the first values); `type` formats f32 values shortest-first. */
export function display(v: GgufValue, maxChars = 200, type?: GgufValueTypeName): string {
  if (typeof v === 'string') return v.length > maxChars ? v.slice(0, maxChars) + '…' : v;
  if (typeof v !== 'object') return type === 'f32' && typeof v === 'number' ? f32String(v) : String(v);
  const f32 = v.elementType === 'f32';
  const items = v.sample.slice(0, 8).map((x) => (typeof x === 'string' ? JSON.stringify(x.length > 40 ? x.slice(0, 40) + '…' : x) : typeof x === 'object' ? `[${x.elementType} × ${x.length}]` : f32 && typeof x === 'number' ? f32String(x) : String(x)));
  const s = `[${v.elementType} × ${v.length}] ${items.join(', ')}${v.length > items.length ? ', …' : ''}`;
  return s.length > maxChars ? s.slice(0, maxChars) + '…' : s;
}
