import type { TensorInfo } from '../core/checkpoint.js';
import type { DType } from '../core/dtype.js';
import { tensorByteChunks } from '../core/values.js';
import { GraphBuilder, ONNX_BFLOAT16, ONNX_DOUBLE, ONNX_FLOAT, ONNX_FLOAT16, type ExternalLocation } from './onnxGraph.js';
import type { ResolvedWeight } from './resolveWeights.js';

/**
 * Where each initializer's bytes come from. Checkpoint files that could be hard-linked into the
 * model directory are referenced in place (ORT mmaps them; nothing is copied). Everything else
 * — random-initialised tensors, tensors of files that could not be linked, tensors that are not
 * one contiguous byte range — goes into in-memory "files" handed to ORT as `externalData`.
 */
export interface MemoryFile {
  readonly path: string;
  readonly data: Uint8Array;
}

/** ORT rejects initializers over 2 GiB in one buffer only by Node's own limits; keep chunks well below. */
const MEMORY_CHUNK_BYTES = 1 << 30;

export class ExternalStore {
  private readonly chunks: { path: string; parts: Uint8Array[]; size: number }[] = [];
  /** Checkpoint tensors that had to be read into memory (not referenced in place). */
  copiedTensors = 0;

  /** `linked` maps an absolute checkpoint file path to its hard-link name inside the model directory. */
  constructor(private readonly linked: ReadonlyMap<string, string>) {}

  /** In-memory location for `bytes` (copied into a chunk). */
  memory(bytes: Uint8Array): ExternalLocation {
    let c = this.chunks[this.chunks.length - 1];
    if (!c || c.size + bytes.byteLength > MEMORY_CHUNK_BYTES) {
      c = { path: `mem-${this.chunks.length}.bin`, parts: [], size: 0 };
      this.chunks.push(c);
    }
    const offset = c.size;
    c.parts.push(bytes);
    c.size += bytes.byteLength;
    return { location: c.path, offset, length: bytes.byteLength };
  }

  /** The byte range of a tensor inside a linked file, or undefined when it must be read into memory. */
  inPlace(t: TensorInfo): ExternalLocation | undefined {
    const d = t.data;
    if (d.kind === 'contiguous') {
      const location = this.linked.get(d.file);
      return location === undefined ? undefined : { location, offset: d.offset, length: d.length };
    }
    if (d.kind === 'strided') {
      const location = this.linked.get(d.file);
      if (location === undefined || !isRowMajor(t.shape, d.strides)) return undefined;
      const width = t.byteLength / Math.max(1, t.elementCount);
      const offset = d.storage.offset + d.storageOffset * width;
      if (d.storageOffset * width + t.byteLength > d.storage.length) return undefined;
      return { location, offset, length: t.byteLength };
    }
    return undefined;
  }

  /** True when at least one checkpoint file is referenced in place. */
  get usesLinkedFiles(): boolean {
    return this.linked.size > 0;
  }

  memoryFiles(): MemoryFile[] {
    return this.chunks.map((c) => ({ path: c.path, data: c.parts.length === 1 ? c.parts[0]! : Buffer.concat(c.parts, c.size) }));
  }

  get memoryBytes(): number {
    return this.chunks.reduce((a, c) => a + c.size, 0);
  }
}

function isRowMajor(shape: readonly number[], strides: readonly number[]): boolean {
  let expect = 1;
  for (let k = shape.length - 1; k >= 0; k--) {
    if (shape[k]! !== 1 && strides[k] !== expect) return false;
    expect *= shape[k]!;
  }
  return true;
}

const ONNX_TYPE: Partial<Record<DType, number>> = { F32: ONNX_FLOAT, F16: ONNX_FLOAT16, BF16: ONNX_BFLOAT16, F64: ONNX_DOUBLE };

export function probeSupportsDtype(d: DType): boolean {
  return ONNX_TYPE[d] !== undefined;
}

async function readAll(t: TensorInfo): Promise<Uint8Array> {
  const out = new Uint8Array(t.byteLength);
  let pos = 0;
  for await (const c of tensorByteChunks(t)) {
    out.set(c, pos);
    pos += c.byteLength;
  }
  return out;
}

/**
 * Emits the initializer(s) for one resolved weight and returns the name of a float32 value with
 * the canonical shape. Half-precision weights are cast in the graph (ORT folds the Cast at load);
 * layout transforms (transpose / reshape / concat of q,k,v) are graph nodes too, so the
 * checkpoint bytes are never rewritten.
 */
export async function emitWeight(g: GraphBuilder, store: ExternalStore, w: ResolvedWeight): Promise<string> {
  const safe = `w:${w.name}`;
  if (w.kind === 'random') {
    const bytes = new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength);
    return g.externalInitializer(safe, ONNX_FLOAT, w.shape, store.memory(bytes));
  }
  const cw = w.weight;
  const parts: string[] = [];
  for (const [i, src] of cw.sources.entries()) {
    const type = ONNX_TYPE[src.dtype];
    if (type === undefined) throw new ProbeBuildError('probe-weight-dtype', `${src.name} is ${src.dtype}; the probe reads F32, F16, BF16 and F64 weights.`);
    let where = store.inPlace(src);
    if (!where) {
      where = store.memory(await readAll(src));
      store.copiedTensors++;
    }
    const name = cw.sources.length === 1 ? `${safe}:raw` : `${safe}:src${i}`;
    g.externalInitializer(name, type, src.shape, where);
    parts.push(type === ONNX_FLOAT ? name : g.op('Cast', [name], { to: ONNX_FLOAT }, 'cast'));
  }
  let v: string;
  switch (cw.transform) {
    case 'identity':
      v = parts[0]!;
      break;
    case 'transpose':
      v = g.op('Transpose', [parts[0]!], { perm: [...cw.sources[0]!.shape.keys()].reverse() }, 'transpose');
      break;
    case 'reshape':
      v = g.op('Reshape', [parts[0]!, g.int64Const([...w.shape])], {}, 'reshape');
      break;
    case 'concat0':
      v = g.op('Concat', parts, { axis: 0 }, 'concat');
      break;
    case 'patch-hwc': {
      // [D, p·p·C] → [D, p, p, C] → [D, C, p, p]; w.shape is the Conv shape.
      const [d, c, p, q] = w.shape as [number, number, number, number];
      v = g.op('Transpose', [g.op('Reshape', [parts[0]!, g.int64Const([d, p, q, c])], {}, 'reshape')], { perm: [0, 3, 1, 2] }, 'transpose');
      break;
    }
  }
  // Scalars stored as [1] are reshaped to the canonical [] (and vice versa).
  if (cw.transform !== 'reshape' && cw.transform !== 'patch-hwc' && !sameDims(cw.transform === 'transpose' ? [...cw.sources[0]!.shape].reverse() : cw.transform === 'concat0' ? concatShape(cw.sources) : cw.sources[0]!.shape, w.shape)) {
    v = g.op('Reshape', [v, g.int64Const([...w.shape])], {}, 'reshape');
  }
  return v;
}

function concatShape(s: readonly TensorInfo[]): number[] {
  const first = s[0]!.shape;
  return [s.reduce((a, t) => a + (t.shape[0] ?? 0), 0), ...first.slice(1)];
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A build failure with a stable code (bad dtype, unsupported layout): surfaced as a Result by the caller. */
export class ProbeBuildError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ProbeBuildError';
  }
}
