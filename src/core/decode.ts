import { DTYPE_BITS, type DType } from './dtype.js';

/**
 * Decodes little-endian raw bytes of a dtype into float32 values, for statistics and comparison.
 * `bytes` must hold whole elements (callers chunk on element boundaries, see `chunkAlignment`).
 * Sub-byte dtypes (F4, F6_*) need chunks aligned to their packing group.
 * C64 decodes to the magnitude |re + i·im|. Integers above 2^24 lose precision in float32, as in numpy.
 */
export function decodeToFloat32(dtype: DType, bytes: Uint8Array, out?: Float32Array): Float32Array {
  const n = elementsIn(dtype, bytes.byteLength);
  const dst = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
  const aligned = (width: number) => (bytes.byteOffset % width === 0 ? bytes : bytes.slice());
  switch (dtype) {
    case 'F32': {
      const b = aligned(4);
      dst.set(new Float32Array(b.buffer, b.byteOffset, n));
      break;
    }
    case 'F64': {
      const b = aligned(8);
      const src = new Float64Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
      break;
    }
    case 'F16': {
      const b = aligned(2);
      const src = new Uint16Array(b.buffer, b.byteOffset, n);
      const t = f16Table();
      for (let i = 0; i < n; i++) dst[i] = t[src[i]!]!;
      break;
    }
    case 'BF16': {
      // bfloat16 is the upper half of a float32. Two values per 32-bit load halves the loads.
      const b = aligned(4);
      const u = new Uint32Array(dst.buffer, dst.byteOffset, n);
      const pairs = n >> 1;
      const src32 = new Uint32Array(b.buffer, b.byteOffset, pairs);
      for (let i = 0; i < pairs; i++) {
        const w = src32[i]!;
        u[2 * i] = w << 16;
        u[2 * i + 1] = w & 0xffff0000;
      }
      if (n & 1) u[n - 1] = (b[2 * n - 2]! | (b[2 * n - 1]! << 8)) << 16;
      break;
    }
    case 'F8_E4M3':
    case 'F8_E5M2':
    case 'F8_E8M0': {
      const t = f8Table(dtype);
      for (let i = 0; i < n; i++) dst[i] = t[bytes[i]!]!;
      break;
    }
    case 'BOOL':
    case 'U8':
      for (let i = 0; i < n; i++) dst[i] = bytes[i]!;
      break;
    case 'I8': {
      const src = new Int8Array(bytes.buffer, bytes.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
      break;
    }
    case 'I16':
    case 'U16': {
      const b = aligned(2);
      const src = dtype === 'I16' ? new Int16Array(b.buffer, b.byteOffset, n) : new Uint16Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
      break;
    }
    case 'I32':
    case 'U32': {
      const b = aligned(4);
      const src = dtype === 'I32' ? new Int32Array(b.buffer, b.byteOffset, n) : new Uint32Array(b.buffer, b.byteOffset, n);
      for (let i = 0; i < n; i++) dst[i] = src[i]!;
      break;
    }
    case 'I64':
    case 'U64': {
      const b = aligned(4);
      const src = new Uint32Array(b.buffer, b.byteOffset, n * 2);
      const signed = dtype === 'I64';
      for (let i = 0; i < n; i++) {
        const lo = src[2 * i]!;
        const hi = src[2 * i + 1]!;
        dst[i] = signed ? (hi | 0) * 4294967296 + lo : hi * 4294967296 + lo;
      }
      break;
    }
    case 'C64': {
      const b = aligned(4);
      const src = new Float32Array(b.buffer, b.byteOffset, n * 2);
      for (let i = 0; i < n; i++) dst[i] = Math.hypot(src[2 * i]!, src[2 * i + 1]!);
      break;
    }
    case 'F4':
      // Two E2M1 values per byte, low nibble first (the MX/OCP packing used by safetensors).
      for (let i = 0; i < n; i++) {
        const byte = bytes[i >> 1]!;
        dst[i] = F4_VALUES[(i & 1) === 0 ? byte & 0xf : byte >> 4]!;
      }
      break;
    case 'F6_E2M3':
    case 'F6_E3M2': {
      // Four 6-bit values per 3 bytes, packed little-endian bit order.
      const t = f6Table(dtype);
      for (let i = 0; i < n; i++) {
        const bit = i * 6;
        const byteIdx = bit >> 3;
        const shift = bit & 7;
        const word = bytes[byteIdx]! | ((bytes[byteIdx + 1] ?? 0) << 8);
        dst[i] = t[(word >> shift) & 0x3f]!;
      }
      break;
    }
  }
  return dst;
}

/** Number of whole elements in `byteLength` bytes of a dtype. */
export function elementsIn(dtype: DType, byteLength: number): number {
  return Math.floor((byteLength * 8) / DTYPE_BITS[dtype]);
}

/** Chunk sizes (in bytes) must be a multiple of this to stay on element (and packing) boundaries. */
export function chunkAlignment(dtype: DType): number {
  const bits = DTYPE_BITS[dtype];
  if (bits === 4) return 1;
  if (bits === 6) return 3;
  return bits / 8;
}

let F16: Float32Array | undefined;
/** IEEE half → float32 for all 65,536 bit patterns (built once; shared with the GGUF dequantisers). */
export function f16Table(): Float32Array {
  if (F16) return F16;
  const t = new Float32Array(65536);
  for (let h = 0; h < 65536; h++) {
    const s = h & 0x8000 ? -1 : 1;
    const e = (h >> 10) & 0x1f;
    const m = h & 0x3ff;
    t[h] = e === 0 ? s * m * 2 ** -24 : e === 31 ? (m ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
  }
  return (F16 = t);
}

const F8: Partial<Record<DType, Float32Array>> = {};
function f8Table(d: 'F8_E4M3' | 'F8_E5M2' | 'F8_E8M0'): Float32Array {
  const cached = F8[d];
  if (cached) return cached;
  const t = new Float32Array(256);
  for (let b = 0; b < 256; b++) {
    if (d === 'F8_E8M0') {
      // Unsigned power of two scale (OCP MX); 0xff is NaN.
      t[b] = b === 0xff ? NaN : 2 ** (b - 127);
      continue;
    }
    const s = b & 0x80 ? -1 : 1;
    if (d === 'F8_E4M3') {
      // E4M3FN: bias 7, no infinities, S.1111.111 is NaN.
      const e = (b >> 3) & 0xf;
      const m = b & 7;
      t[b] = e === 15 && m === 7 ? NaN : e === 0 ? s * m * 2 ** -9 : s * (1 + m / 8) * 2 ** (e - 7);
    } else {
      // E5M2: bias 15, IEEE-like with infinities and NaNs.
      const e = (b >> 2) & 0x1f;
      const m = b & 3;
      t[b] = e === 31 ? (m ? NaN : s * Infinity) : e === 0 ? s * m * 2 ** -16 : s * (1 + m / 4) * 2 ** (e - 15);
    }
  }
  return (F8[d] = t);
}

/** E2M1 (bias 1, no inf/NaN). */
const F4_VALUES = (() => {
  const t = new Float32Array(16);
  for (let v = 0; v < 16; v++) {
    const s = v & 8 ? -1 : 1;
    const e = (v >> 1) & 3;
    const m = v & 1;
    t[v] = e === 0 ? s * m * 0.5 : s * (1 + m / 2) * 2 ** (e - 1);
  }
  return t;
})();

function f6Table(d: 'F6_E2M3' | 'F6_E3M2'): Float32Array {
  const t = new Float32Array(64);
  const [eb, mb, bias] = d === 'F6_E2M3' ? [2, 3, 1] : [3, 2, 3];
  for (let v = 0; v < 64; v++) {
    const s = v & 0x20 ? -1 : 1;
    const e = (v >> mb) & ((1 << eb) - 1);
    const m = v & ((1 << mb) - 1);
    t[v] = e === 0 ? s * (m / 2 ** mb) * 2 ** (1 - bias) : s * (1 + m / 2 ** mb) * 2 ** (e - bias);
  }
  return t;
}
