import { open } from 'node:fs/promises';
import { byteLengthFor, type DType } from './dtype.js';

/**
 * Writes a safetensors file. Used by the demo, the probe's `--dump`, tests and benches.
 * `data` may be omitted for a tensor: the file is then extended sparsely (zeros without
 * using disk), which lets tests and the demo build real-sized checkpoints cheaply.
 */
export interface TensorToWrite {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data?: Uint8Array;
}

export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const placed: { t: TensorToWrite; begin: number; length: number }[] = [];
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    const length = byteLengthFor(t.dtype, elements);
    if (typeof length !== 'number') throw new Error(`${t.name}: ${elements} × ${t.dtype} is not a valid byte length (${length})`);
    if (t.data && t.data.byteLength !== length) throw new Error(`${t.name}: data has ${t.data.byteLength} bytes, shape needs ${length}`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    placed.push({ t, begin: offset, length });
    offset += length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces to a multiple of 8 so the data section is aligned, as the reference writer does.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  const dataStart = 8 + json.length;
  const fh = await open(path, 'w');
  try {
    await fh.write(prefix, 0, 8, 0);
    await fh.write(json, 0, json.length, 8);
    for (const { t, begin } of placed) {
      if (t.data && t.data.byteLength > 0) await fh.write(t.data, 0, t.data.byteLength, dataStart + begin);
    }
    await fh.truncate(dataStart + offset);
  } finally {
    await fh.close();
  }
}
