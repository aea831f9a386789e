import { plural } from '../../shared/text.js';
import { basename, dirname } from 'node:path';
import type { Checkpoint, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import { problem, type Problem } from '../../core/problems.js';
import { CheckpointLensError, err, ok, type Result } from '../../core/result.js';
import { readFileHead } from '../../io/fileHead.js';
import { readRange } from '../../io/fileRange.js';
import { sniffWrongFile } from '../safetensors/sniff.js';
import { assembleShards, type ShardContents } from '../sharded.js';
import { DEQUANTIZERS } from './dequant.js';
import { display, readGgufHeader, type GgufHeader } from './header.js';
import { bitsPerWeight, ggmlTypeById, REMOVED_GGML_TYPES, type GgmlType } from './types.js';

/** One GGUF file: its header and what it contributes to a Checkpoint. */
export interface GgufFile extends ShardContents {
  readonly path: string;
  readonly size: number;
  readonly header: GgufHeader;
}

/** llama.cpp refuses tensor names of 64 bytes or more (GGML_MAX_NAME). */
const GGML_MAX_NAME = 64;

const headers = new WeakMap<Checkpoint, readonly GgufFile[]>();

/** The parsed GGUF headers behind a checkpoint opened by this reader (first split first). */
export function ggufFilesOf(c: Checkpoint): readonly GgufFile[] | undefined {
  return headers.get(c);
}

/** Reads one GGUF file's header and lays out its tensors; `shard` names it inside a split set. */
export async function readGgufFile(path: string, shard?: string): Promise<Result<GgufFile>> {
  const name = shard ?? basename(path);
  const h = await readGgufHeader(path, name);
  if (!h.ok) {
    // Not GGUF at all: say what it is when we can (a Git LFS pointer, an HTML error page…).
    if (h.error.code === 'gguf-bad-magic') {
      const head = await readFileHead(path, name);
      const wrong = head.ok ? sniffWrongFile(head.value.head, head.value.size, name) : undefined;
      if (wrong && wrong.code !== 'gguf-file') return err(wrong);
    }
    return h;
  }
  const header = h.value;
  const size = header.size;
  const at = shard ? { file: shard } : {};
  const problems: Problem[] = header.problems.map((p) => ({ ...p, ...at }));
  const tensors: TensorInfo[] = [];
  const unreadable: UnreadableTensor[] = [];
  const seen = new Set<string>();
  const bad = (code: string, names: string[], message: string, severity: 'error' | 'warning' = 'error') => {
    if (names.length) problems.push(problem(code, severity, countText(message, names.length), { tensors: names.slice(0, 100), ...at }));
  };
  const byCode = new Map<string, string[]>();
  const note = (code: string, n: string) => (byCode.get(code) ?? byCode.set(code, []).get(code)!).push(n);
  const unread = (d: { name: string; ne: readonly number[] | null }, raw: string, reason: string) =>
    unreadable.push({ name: d.name, rawDtype: raw, ...(d.ne ? { shape: [...d.ne].reverse() } : {}), reason, ...(shard ? { shard } : {}) });
  const misaligned: string[] = [];
  const placed: { name: string; start: number; end: number }[] = [];

  for (const d of header.tensors) {
    if (Buffer.byteLength(d.name) >= GGML_MAX_NAME) note('gguf-tensor-name-too-long', d.name);
    if (seen.has(d.name)) {
      note('gguf-duplicate-tensor', d.name);
      unread(d, String(d.typeId), 'another tensor of the same name comes first in this file.');
      continue;
    }
    seen.add(d.name);
    const type = ggmlTypeById(d.typeId);
    if (!type) {
      note('gguf-unknown-tensor-type', d.name);
      const removed = REMOVED_GGML_TYPES[d.typeId];
      unread(d, removed ?? `type ${d.typeId}`, removed ? `its type ${removed} was removed from ggml; its layout is not defined any more.` : `its ggml type id ${d.typeId} is not one this reader knows.`);
      continue;
    }
    const shape = checkShape(d.ne, d.nDims, type);
    if (typeof shape === 'string') {
      note(shape.startsWith('block') ? 'gguf-tensor-block-mismatch' : 'gguf-tensor-shape-invalid', d.name);
      unread(d, type.name, shape.startsWith('block') ? `its row length ${d.ne?.[0]} is not a multiple of the ${type.name} block size ${type.blockElements}.` : shape);
      continue;
    }
    const { elements } = shape;
    const stored = (elements / type.blockElements) * type.blockBytes;
    if (d.offset === null || !Number.isSafeInteger(header.dataStart + d.offset + stored)) {
      note('gguf-tensor-past-eof', d.name);
      unread(d, type.name, 'its data offset is beyond any file size.');
      continue;
    }
    const start = header.dataStart + d.offset;
    const end = start + stored;
    if (end > size) {
      note('gguf-tensor-past-eof', d.name);
      unread(d, type.name, `its bytes ${start}..${end} lie past the end of the file (${size} bytes): truncated.`);
      continue;
    }
    if (d.offset % header.alignment !== 0) misaligned.push(d.name);
    placed.push({ name: d.name, start, end });
    tensors.push(tensorInfo(path, d.name, [...d.ne!].reverse(), elements, type, start, stored, shard));
  }

  bad('gguf-duplicate-tensor', byCode.get('gguf-duplicate-tensor') ?? [], '%n tensor name(s) appear more than once; llama.cpp refuses the file. Later copies are listed as unreadable.');
  bad('gguf-unknown-tensor-type', byCode.get('gguf-unknown-tensor-type') ?? [], '%n tensor(s) have a ggml type this reader does not know (or one removed from ggml); only those tensors are unreadable.');
  bad('gguf-tensor-shape-invalid', byCode.get('gguf-tensor-shape-invalid') ?? [], '%n tensor(s) have an invalid shape (more than 4 dimensions, or an element count above 2^53); they are unreadable.');
  bad('gguf-tensor-block-mismatch', byCode.get('gguf-tensor-block-mismatch') ?? [], "%n tensor(s) have rows that are not a whole number of their type's blocks; they are unreadable.");
  bad('gguf-tensor-past-eof', byCode.get('gguf-tensor-past-eof') ?? [], "%n tensor(s) point past the end of the file (truncated download or copy?); they are unreadable.");
  bad('gguf-tensor-name-too-long', byCode.get('gguf-tensor-name-too-long') ?? [], `%n tensor name(s) are ${GGML_MAX_NAME} bytes or longer; llama.cpp refuses names that long.`);
  bad('gguf-tensor-misaligned', misaligned, `%n tensor(s) start at an offset that is not a multiple of the alignment (${header.alignment}); llama.cpp refuses the file.`);
  bad('gguf-tensor-overlap', overlapping(placed), '%n tensor(s) share bytes with another tensor; at most one of each pair can hold its real values.');
  if (header.tensors.length > 0 && header.dataStart > size) {
    problems.push(problem('gguf-data-truncated', 'error', `The data section should start at byte ${header.dataStart} but the file has ${size} bytes.`, at));
  }
  tensors.sort((a, b) => offsetOf(a) - offsetOf(b));
  const metadata: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const kv of header.kv) metadata[kv.key] = display(kv.value, 4096, kv.type);
  return ok({ path, size, header, files: [{ path, size, dataStart: header.dataStart }], tensors, unreadable, problems, metadata: { ...metadata } });
}

function offsetOf(t: TensorInfo): number {
  return t.encoding ? t.encoding.offset : t.data.kind === 'contiguous' ? t.data.offset : 0;
}

/** Shape checks: at most 4 dims (GGML_MAX_DIMS), element count a safe integer, rows of whole blocks. */
function checkShape(ne: readonly number[] | null, nDims: number, type: GgmlType): { elements: number } | string {
  if (ne === null) return 'a dimension is above 2^53.';
  if (nDims > 4) return `it declares ${nDims} dimensions; ggml has at most 4.`;
  let elements = 1;
  for (const n of ne) {
    elements *= n;
    if (!Number.isSafeInteger(elements)) return 'its element count is above 2^53.';
  }
  if (type.blockElements > 1 && (ne[0] ?? 1) % type.blockElements !== 0) return 'block';
  return { elements };
}

/** Names of tensors whose byte ranges intersect another's (sorted sweep). */
function overlapping(ranges: { name: string; start: number; end: number }[]): string[] {
  const sorted = [...ranges].filter((r) => r.end > r.start).sort((a, b) => a.start - b.start);
  const out = new Set<string>();
  let last: { name: string; end: number } | undefined;
  for (const r of sorted) {
    if (last && r.start < last.end) {
      out.add(last.name);
      out.add(r.name);
    }
    if (!last || r.end > last.end) last = r;
  }
  return [...out];
}

function tensorInfo(file: string, name: string, shape: number[], elements: number, type: GgmlType, offset: number, stored: number, shard: string | undefined): TensorInfo {
  const sh = shard ? { shard } : {};
  if (type.plain) {
    return { name, dtype: type.plain, shape, elementCount: elements, byteLength: stored, data: { kind: 'contiguous', file, offset, length: stored }, ...sh };
  }
  const encoding = { type: type.name, storedBytes: stored, bitsPerWeight: bitsPerWeight(type), decodable: DEQUANTIZERS[type.name] !== undefined, file, offset };
  return {
    name,
    dtype: 'F32',
    shape,
    elementCount: elements,
    byteLength: elements * 4,
    data: { kind: 'opaque', length: elements * 4, read: (s, e) => readDequantized(file, offset, type, name, elements, s, e) },
    encoding,
    ...sh,
  };
}

/**
 * Logical float32 bytes [start, end) of a quantised tensor: reads only the blocks that cover the
 * range and dequantises them.
 */
async function readDequantized(file: string, offset: number, type: GgmlType, name: string, elements: number, start: number, end: number): Promise<Uint8Array> {
  const deq = DEQUANTIZERS[type.name];
  if (!deq) throw new CheckpointLensError('gguf-values-not-decodable', `${name}: values of ${type.name} tensors are not decodable yet.`);
  if (start < 0 || end > elements * 4 || start > end) throw new CheckpointLensError('range-invalid', `byte range ${start}..${end} is outside tensor ${name}`);
  if (start === end) return new Uint8Array(0);
  const e0 = Math.floor(start / 4);
  const e1 = Math.ceil(end / 4);
  const b0 = Math.floor(e0 / type.blockElements);
  const b1 = Math.ceil(e1 / type.blockElements);
  const raw = await readRange(file, offset + b0 * type.blockBytes, offset + b1 * type.blockBytes);
  if (raw.length !== (b1 - b0) * type.blockBytes) throw new CheckpointLensError('gguf-data-truncated', `${name}: the file ended while its blocks were read (it shrank?).`);
  const vals = new Float32Array((b1 - b0) * type.blockElements);
  deq(raw, b1 - b0, vals);
  const from = (e0 - b0 * type.blockElements) * 4 + (start - e0 * 4);
  return new Uint8Array(vals.buffer, from, end - start);
}

const SPLIT_NAME = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i;

/**
 * Opens a GGUF path: a single file, or any file of a split set (`NAME-00001-of-00003.gguf`, as
 * llama.cpp's gguf-split writes them), which opens every split as one model with an integrity
 * report from the shared shard assembler plus the GGUF split keys (`split.no`, `split.count`,
 * `split.tensors.count`).
 */
export async function openGguf(path: string): Promise<Result<Checkpoint>> {
  const m = SPLIT_NAME.exec(basename(path));
  const count = m ? Number(m[3]) : 1;
  if (!m || count <= 1) {
    const r = await readGgufFile(path);
    if (!r.ok) return r;
    const f = r.value;
    const c: Checkpoint = { format: 'gguf', path, files: f.files, tensors: f.tensors, unreadable: f.unreadable, metadata: f.metadata, problems: f.problems };
    headers.set(c, [f]);
    return ok(c);
  }
  const dir = dirname(path);
  const shards: string[] = [];
  for (let i = 1; i <= count; i++) shards.push(`${m[1]}-${String(i).padStart(5, '0')}-of-${m[3]}.gguf`);
  const opened = new Map<string, GgufFile>();
  const r = await assembleShards({ path, format: 'gguf-split', dir, shards }, async (p, shard) => {
    const f = await readGgufFile(p, shard);
    if (f.ok) opened.set(shard, f.value);
    return f;
  });
  if (!r.ok) return r;
  const files = shards.map((s) => opened.get(s)).filter((f): f is GgufFile => f !== undefined);
  if (files.length === 0) return err({ code: 'gguf-split-unreadable', message: `None of the ${count} split files of ${basename(path)} could be read.`, file: basename(path) });
  const c: Checkpoint = { ...r.value, problems: [...r.value.problems, ...splitProblems(shards, opened, r.value.tensors.length + r.value.unreadable.length)] };
  headers.set(c, files);
  return ok(c);
}

function splitProblems(shards: readonly string[], opened: ReadonlyMap<string, GgufFile>, found: number): Problem[] {
  const out: Problem[] = [];
  const num = (f: GgufFile, k: string) => {
    const v = f.header.kvByKey.get(k)?.value;
    return typeof v === 'number' ? v : undefined;
  };
  let declaredTotal: number | undefined;
  shards.forEach((s, i) => {
    const f = opened.get(s);
    if (!f) return;
    const no = num(f, 'split.no');
    const cnt = num(f, 'split.count');
    if (no === undefined || cnt === undefined) {
      out.push(problem('gguf-split-metadata-missing', 'warning', `${s} is named as split ${i + 1} of ${shards.length} but has no split.no/split.count keys; it may not belong to this set.`, { file: s }));
      return;
    }
    if (no !== i || cnt !== shards.length) {
      out.push(problem('gguf-split-mismatch', 'error', `${s} says it is split ${no + 1} of ${cnt}, but its name says ${i + 1} of ${shards.length}; llama.cpp would load the splits in the wrong order or refuse them.`, { file: s }));
    }
    if (i === 0) declaredTotal = num(f, 'split.tensors.count');
  });
  if (declaredTotal !== undefined && opened.size === shards.length && declaredTotal !== found) {
    out.push(problem('gguf-split-tensor-count', 'error', `The first split declares split.tensors.count = ${declaredTotal} but the splits hold ${found} tensors.`));
  }
  return out;
}

const SINGULAR: Readonly<Record<string, string>> = { have: 'has', appear: 'appears', are: 'is', point: 'points', start: 'starts', share: 'shares' };

/** `%n tensor(s) have …` with the count: `1 tensor has …`, `3 tensors have …`. */
function countText(message: string, n: number): string {
  return message.replace(/%n ([a-z ]+?)\(s\)(?: (have|appear|are|point|start|share)\b)?/, (_m, noun: string, verb: string | undefined) => `${plural(n, noun)}${verb ? ` ${n === 1 ? SINGULAR[verb] : verb}` : ''}`);
}
