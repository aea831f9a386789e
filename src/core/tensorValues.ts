/**
 * A few decoded values of one tensor (dequantised for GGUF quantised types), reading only the
 * bytes or quantised blocks that hold them. Used by `checkpoint-lens values` and the editor's
 * details pane (first values of the selected tensor).
 */
import { storageType, type TensorInfo } from './checkpoint.js';
import { chunkAlignment, decodeToFloat32, elementsIn } from './decode.js';
import { readTensorBytes } from './values.js';

export interface ValuesResult {
  readonly name: string;
  /** The stored type (GGUF: Q4_K…, values dequantised). */
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly offset: number;
  /** Decoded values; NaN and ±Infinity as the strings "NaN", "Infinity", "-Infinity" (JSON has no such numbers). */
  readonly values: (number | string)[];
}

/**
 * `count` decoded values of a tensor from flat (row-major) element `offset`, reading only the
 * bytes (or quantised blocks) that hold them, whatever the format.
 */
export async function tensorValues(t: TensorInfo, offset: number, count: number): Promise<ValuesResult> {
  const n = Math.max(0, Math.min(count, t.elementCount - offset));
  const group = chunkAlignment(t.dtype); // bytes per packing group
  const perGroup = elementsIn(t.dtype, group); // elements per group
  const g0 = Math.floor(offset / perGroup);
  const g1 = Math.ceil((offset + n) / perGroup);
  const bytes = n === 0 ? new Uint8Array(0) : await readTensorBytes(t, g0 * group, Math.min(t.byteLength, g1 * group));
  const decoded = decodeToFloat32(t.dtype, bytes);
  const from = offset - g0 * perGroup;
  const values: (number | string)[] = [];
  for (let i = 0; i < n; i++) {
    const v = decoded[from + i]!;
    values.push(Number.isFinite(v) ? v : String(v));
  }
  return { name: t.name, dtype: storageType(t), shape: [...t.shape], offset, values };
}
