/**
 * A tiny GGUF writer for hostile tests: every field can be set to a wrong value (counts, lengths,
 * types, offsets), which llama.cpp's own writer would never produce.
 */
export type KvValue =
  | { t: 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'bool' | 'u64' | 'i64' | 'f64'; v: number | bigint | boolean }
  | { t: 'string'; v: string; len?: bigint }
  | { t: 'array'; of: string; items: KvValue[]; len?: bigint }
  | { t: 'raw'; typeId: number; bytes: number[] };

export interface TensorDecl {
  name: string;
  ne: (number | bigint)[];
  type: number;
  offset: number | bigint;
  nDims?: number;
}

const TYPE_IDS: Record<string, number> = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, string: 8, array: 9, u64: 10, i64: 11, f64: 12 };

export class Bytes {
  parts: number[] = [];
  u8(v: number) {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(...b);
    return this;
  }
  u64(v: number | bigint) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.parts.push(...b);
    return this;
  }
  str(s: string, len?: bigint) {
    const b = Buffer.from(s, 'utf8');
    this.u64(len ?? BigInt(b.length));
    this.parts.push(...b);
    return this;
  }
  value(k: KvValue) {
    switch (k.t) {
      case 'string':
        return this.str(k.v, k.len);
      case 'array':
        this.u32(TYPE_IDS[k.of] ?? Number(k.of));
        this.u64(k.len ?? BigInt(k.items.length));
        for (const it of k.items) this.value(it);
        return this;
      case 'raw':
        this.parts.push(...k.bytes);
        return this;
      default: {
        const b = Buffer.alloc(8);
        const v = k.v;
        switch (k.t) {
          case 'u8':
          case 'i8':
          case 'bool':
            return this.u8(Number(v));
          case 'u16':
          case 'i16':
            b.writeUInt16LE(Number(v) & 0xffff);
            this.parts.push(...b.subarray(0, 2));
            return this;
          case 'u32':
          case 'i32':
            return this.u32(Number(v));
          case 'f32':
            b.writeFloatLE(Number(v));
            this.parts.push(...b.subarray(0, 4));
            return this;
          case 'f64':
            b.writeDoubleLE(Number(v));
            this.parts.push(...b);
            return this;
          default:
            return this.u64(BigInt(v as number));
        }
      }
    }
  }
  get length() {
    return this.parts.length;
  }
  toBuffer() {
    return Buffer.from(this.parts);
  }
}

export interface GgufSpec {
  magic?: number;
  version?: number;
  tensorCount?: number | bigint;
  kvCount?: number | bigint;
  kv?: [string, KvValue][];
  tensors?: TensorDecl[];
  alignment?: number;
  /** Bytes of tensor data after the aligned data start (zeros unless given). */
  data?: Buffer | number;
}

/** Serialises a GGUF file; returns the buffer and the data start offset. */
export function buildGguf(spec: GgufSpec): { buf: Buffer; dataStart: number } {
  const b = new Bytes();
  b.u32(spec.magic ?? 0x46554747).u32(spec.version ?? 3);
  const kv = spec.kv ?? [];
  const tensors = spec.tensors ?? [];
  b.u64(spec.tensorCount ?? tensors.length).u64(spec.kvCount ?? kv.length);
  for (const [k, v] of kv) {
    b.str(k);
    b.u32(v.t === 'raw' ? v.typeId : TYPE_IDS[v.t]!);
    b.value(v);
  }
  for (const t of tensors) {
    b.str(t.name).u32(t.nDims ?? t.ne.length);
    for (const n of t.ne) b.u64(n);
    b.u32(t.type).u64(t.offset);
  }
  const align = spec.alignment ?? 32;
  const dataStart = Math.ceil(b.length / align) * align;
  while (b.length < dataStart) b.u8(0);
  const head = b.toBuffer();
  const data = typeof spec.data === 'number' ? Buffer.alloc(spec.data) : (spec.data ?? Buffer.alloc(0));
  return { buf: Buffer.concat([head, data]), dataStart };
}
