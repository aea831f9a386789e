/**
 * Builds safetensors bytes by hand, including malformed ones: the header is given as a string
 * (or an object), the length prefix can be overridden, and the data section is explicit.
 */
export function rawSafetensors(header: string | object, data: Uint8Array | number = 0, opts: { lengthPrefix?: bigint; pad?: boolean } = {}): Buffer {
  const text = typeof header === 'string' ? header : JSON.stringify(header);
  const h = Buffer.from(text, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(opts.lengthPrefix ?? BigInt(h.length));
  const body = typeof data === 'number' ? Buffer.alloc(data) : Buffer.from(data);
  return Buffer.concat([prefix, h, body]);
}

/** Header bytes given directly (e.g. invalid UTF-8). */
export function rawWithHeaderBytes(headerBytes: Uint8Array, data: number = 0): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(headerBytes.length));
  return Buffer.concat([prefix, Buffer.from(headerBytes), Buffer.alloc(data)]);
}

export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}
