import type { DType } from './dtype.js';
import type { Problem } from './problems.js';

/**
 * Where a tensor's bytes live. Every reader produces one of these; value readers
 * (statistics, comparison, probe) dispatch on `kind` and never on the file format.
 */
export type TensorData =
  /** Row-major bytes at an absolute offset of a plain file (safetensors, stored zip entries). */
  | { readonly kind: 'contiguous'; readonly file: string; readonly offset: number; readonly length: number }
  /**
   * A strided view into a storage (PyTorch): `storage` is the contiguous byte range of the whole
   * storage in `file`; element (i0..in) lives at storageOffset + Σ ik·strides[k] (in elements).
   */
  | {
      readonly kind: 'strided';
      readonly file: string;
      readonly storage: { readonly offset: number; readonly length: number };
      readonly storageOffset: number;
      readonly strides: readonly number[];
    }
  /** Bytes that are not addressable in place (e.g. a compressed zip entry); read through `read`. */
  | { readonly kind: 'opaque'; readonly length: number; readonly read: (start: number, end: number) => Promise<Uint8Array> };

/** A tensor whose declaration was validated: known dtype, consistent shape and byte range. */
export interface TensorInfo {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** Product of shape (1 for a scalar). Safe integer. */
  readonly elementCount: number;
  readonly byteLength: number;
  readonly data: TensorData;
  /** File name of the shard that holds it, relative to the opened checkpoint's directory. */
  readonly shard?: string;
  /**
   * How the file stores the tensor when that is not plain `dtype` values (GGUF quantised blocks):
   * `dtype`, `byteLength` and `data` then describe the decoded float32 values the value readers get
   * (dequantised on read), and this describes the bytes on disk.
   */
  readonly encoding?: TensorEncoding;
}

/** On-disk encoding of a tensor whose values are decoded on read (see TensorInfo.encoding). */
export interface TensorEncoding {
  /** The file's type name, e.g. `Q4_K`. */
  readonly type: string;
  /** Bytes on disk. */
  readonly storedBytes: number;
  /** Storage bits per weight (Q4_K: 4.5). */
  readonly bitsPerWeight: number;
  /** False: the layout is known but values cannot be decoded yet; reading them fails with `gguf-values-not-decodable`. */
  readonly decodable: boolean;
  /** Where the stored bytes are. */
  readonly file: string;
  readonly offset: number;
}

/** The type name a user sees for a tensor: the on-disk encoding when there is one, else its dtype. */
export function storageType(t: TensorInfo): string {
  return t.encoding?.type ?? t.dtype;
}

/** Bytes the tensor takes on disk. */
export function storedBytes(t: TensorInfo): number {
  return t.encoding?.storedBytes ?? t.byteLength;
}

/**
 * A tensor the file declares but that cannot be read (unknown dtype, bad shape...).
 * It is listed so the user sees it, but no value reader ever gets it.
 */
export interface UnreadableTensor {
  readonly name: string;
  readonly rawDtype: string;
  readonly shape?: readonly number[];
  readonly reason: string;
  readonly shard?: string;
}

export type CheckpointFormat = 'safetensors' | 'safetensors-sharded' | 'pytorch-zip' | 'pytorch-legacy' | 'torchscript' | 'pytorch-sharded' | 'gguf' | 'gguf-split';

export interface CheckpointFile {
  /** Absolute path. */
  readonly path: string;
  readonly size: number;
  /** Offset where tensor data starts (safetensors: 8 + header length). */
  readonly dataStart?: number;
}

/** The one model every reader produces. Downstream code never knows which format it came from. */
export interface Checkpoint {
  readonly format: CheckpointFormat;
  /** Absolute path of what the user opened (a file, or an index.json for sharded models). */
  readonly path: string;
  readonly files: readonly CheckpointFile[];
  /** Readable tensors, in file order (shard order, then offset order within a shard). */
  readonly tensors: readonly TensorInfo[];
  readonly unreadable: readonly UnreadableTensor[];
  /** `__metadata__` (safetensors) or string-valued non-tensor entries (PyTorch). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Integrity problems found while reading. Analysis adds its own findings elsewhere. */
  readonly problems: readonly Problem[];
  /** Non-tensor entries (PyTorch: epoch, optimizer state, ...), summarised as text. */
  readonly extras?: Readonly<Record<string, string>>;
}

export function parameterCount(tensors: readonly TensorInfo[]): number {
  let n = 0;
  for (const t of tensors) n += t.elementCount;
  return n;
}

/** Bytes on disk (quantised tensors count their stored blocks, not their decoded size). */
export function byteCount(tensors: readonly TensorInfo[]): number {
  let n = 0;
  for (const t of tensors) n += storedBytes(t);
  return n;
}

/** Parameters per dtype (on-disk type for quantised tensors), in a stable (sorted) order. */
export function dtypeHistogram(tensors: readonly TensorInfo[]): Record<string, { tensors: number; parameters: number; bytes: number }> {
  const out: Record<string, { tensors: number; parameters: number; bytes: number }> = {};
  for (const t of tensors) {
    const e = (out[storageType(t)] ??= { tensors: 0, parameters: 0, bytes: 0 });
    e.tensors++;
    e.parameters += t.elementCount;
    e.bytes += storedBytes(t);
  }
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
