/**
 * float32 → F32 / F16 / BF16 bytes (little-endian, round to nearest even), the inverse of
 * `decodeToFloat32` for the float dtypes the tool writes (synthetic checkpoints, `convert --dtype`).
 */
export type EncodableDType = 'F32' | 'F16' | 'BF16';

export function encodeFloats(values: Float32Array, dtype: EncodableDType): Uint8Array {
  if (dtype === 'F32') return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint16Array(values.length);
  // A Uint32 view needs 4-byte alignment; copy when the values are a misaligned view.
  const v = values.byteOffset % 4 === 0 ? values : values.slice();
  const u32 = new Uint32Array(v.buffer, v.byteOffset, v.length);
  if (dtype === 'BF16') for (let i = 0; i < v.length; i++) out[i] = bf16Bits(u32[i]!);
  else for (let i = 0; i < v.length; i++) out[i] = f16Bits(v[i]!);
  return new Uint8Array(out.buffer);
}

export function bf16Bits(u: number): number {
  // NaN stays a (quiet) NaN instead of rounding into Inf.
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) | 0x40) & 0xffff;
  // Round to nearest even on the dropped 16 bits.
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

const f32 = new Float32Array(1);
const u32v = new Uint32Array(f32.buffer);
export function f16Bits(x: number): number {
  f32[0] = x;
  const u = u32v[0]!;
  const sign = (u >>> 16) & 0x8000;
  if ((u & 0x7f800000) === 0x7f800000) return sign | 0x7c00 | ((u & 0x7fffff) !== 0 ? 0x200 : 0);
  const exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp >= 31) return sign | 0x7c00;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    if ((mant >>> (shift - 1)) & 1 && ((mant & ((1 << (shift - 1)) - 1)) !== 0 || h & 1)) h++;
    return sign | h;
  }
  let h = sign | (exp << 10) | (mant >>> 13);
  if ((mant & 0x1000) !== 0 && ((mant & 0xfff) !== 0 || (h & 1) !== 0)) h++;
  return h;
}
