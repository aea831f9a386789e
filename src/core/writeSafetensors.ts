import { open, type FileHandle } from 'node:fs/promises';
import { byteLengthFor, type DType } from './dtype.js';

/**
 * Writes a safetensors file. Used by the demo, the probe's `--dump`, `convert`, tests and benches.
 * `data` may be omitted for a tensor: the file is then extended sparsely (zeros without
 * using disk), which lets tests and the demo build real-sized checkpoints cheaply.
 */
export interface TensorToWrite {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data?: Uint8Array;
}

export interface TensorDeclaration {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

/** The header bytes (length prefix + padded JSON) and where each tensor's bytes go in the data section. */
export interface SafetensorsLayout {
  readonly prefix: Uint8Array;
  readonly dataStart: number;
  readonly placed: readonly { readonly name: string; readonly begin: number; readonly length: number }[];
  /** Total file size. */
  readonly size: number;
}

/** Lays out a safetensors file: tensors back to back in the given order, header padded to 8 bytes. */
export function safetensorsLayout(tensors: readonly TensorDeclaration[], metadata?: Record<string, string>): SafetensorsLayout {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  const placed: { name: string; begin: number; length: number }[] = [];
  for (const t of tensors) {
    const elements = t.shape.reduce((a, b) => a * b, 1);
    const length = byteLengthFor(t.dtype, elements);
    if (typeof length !== 'number') throw new Error(`${t.name}: ${elements} × ${t.dtype} is not a valid byte length (${length})`);
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + length] };
    placed.push({ name: t.name, begin: offset, length });
    offset += length;
  }
  let json = Buffer.from(JSON.stringify(header), 'utf8');
  // Pad the header with spaces to a multiple of 8 so the data section is aligned, as the reference writer does.
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8 + json.length);
  prefix.writeBigUInt64LE(BigInt(json.length));
  json.copy(prefix, 8);
  return { prefix, dataStart: prefix.length, placed, size: prefix.length + offset };
}

export async function writeSafetensors(path: string, tensors: readonly TensorToWrite[], metadata?: Record<string, string>): Promise<void> {
  const layout = safetensorsLayout(tensors, metadata);
  const fh = await open(path, 'w');
  try {
    await fh.write(layout.prefix, 0, layout.prefix.length, 0);
    for (let i = 0; i < tensors.length; i++) {
      const t = tensors[i]!;
      const p = layout.placed[i]!;
      if (t.data && t.data.byteLength !== p.length) throw new Error(`${t.name}: data has ${t.data.byteLength} bytes, shape needs ${p.length}`);
      if (t.data && t.data.byteLength > 0) await fh.write(t.data, 0, t.data.byteLength, layout.dataStart + p.begin);
    }
    await fh.truncate(layout.size);
  } finally {
    await fh.close();
  }
}

/**
 * Writes a safetensors file tensor by tensor from streamed chunks, in bounded memory: the header
 * first (every shape is known up front), then each tensor's bytes in order. `writeTensor` checks
 * that exactly the declared number of bytes arrived. Chunks may be reused buffers (each is written
 * before the next is asked for).
 */
export class SafetensorsStreamWriter {
  private next = 0;
  private constructor(
    private readonly fh: FileHandle,
    readonly layout: SafetensorsLayout,
  ) {}

  static async create(path: string, tensors: readonly TensorDeclaration[], metadata?: Record<string, string>): Promise<SafetensorsStreamWriter> {
    const seen = new Set<string>();
    for (const t of tensors) {
      if (t.name === '__metadata__' || seen.has(t.name)) throw new Error(`tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
      seen.add(t.name);
    }
    const layout = safetensorsLayout(tensors, metadata);
    // 'wx': never follow or reuse an existing file (the caller picks a fresh temporary name).
    const fh = await open(path, 'wx');
    try {
      await fh.write(layout.prefix, 0, layout.prefix.length, 0);
    } catch (e) {
      await fh.close();
      throw e;
    }
    return new SafetensorsStreamWriter(fh, layout);
  }

  /** Writes the next tensor (declaration order) from `chunks`. */
  async writeTensor(chunks: AsyncIterable<Uint8Array>): Promise<void> {
    const p = this.layout.placed[this.next];
    if (!p) throw new Error('more tensors written than declared');
    let pos = 0;
    for await (const c of chunks) {
      if (pos + c.byteLength > p.length) throw new Error(`${p.name}: more bytes than its shape needs (${p.length})`);
      let done = 0;
      while (done < c.byteLength) {
        const { bytesWritten } = await this.fh.write(c, done, c.byteLength - done, this.layout.dataStart + p.begin + pos + done);
        done += bytesWritten;
      }
      pos += c.byteLength;
    }
    if (pos !== p.length) throw new Error(`${p.name}: ${pos} bytes written, its shape needs ${p.length}`);
    this.next++;
  }

  /** Flushes to disk (fsync) and closes; fails if some declared tensor was not written. */
  async finish(): Promise<void> {
    try {
      if (this.next !== this.layout.placed.length) throw new Error(`${this.layout.placed.length - this.next} declared tensors were not written`);
      await this.fh.truncate(this.layout.size);
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }

  /** Closes without finishing (after an error); the caller removes the file. */
  async abandon(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
