import { f16Table } from '../../core/decode.js';
/**
 * Dequantisation of ggml block formats to float32, following llama.cpp's reference
 * `dequantize_row_*` (ggml-quants.c) operation by operation in float32: each product and sum is
 * rounded to float32 (`Math.fround`) exactly where the C code rounds, so the values are bit-exact
 * with llama.cpp's scalar reference and with gguf-py's numpy `gguf.quants.dequantize`.
 *
 * Each function decodes `blocks` whole blocks from `src` (starting at byte 0) into `dst`
 * (starting at element 0).
 */
const f = Math.fround;

const f16 = f16Table;

const half = (t: Float32Array, b: Uint8Array, o: number) => t[b[o]! | (b[o + 1]! << 8)]!;

export type Dequantizer = (src: Uint8Array, blocks: number, dst: Float32Array) => void;

function q4_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 18;
    const d = half(t, src, o);
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = f(((q & 0xf) - 8) * d);
      dst[y + j + 16] = f(((q >> 4) - 8) * d);
    }
  }
}

function q4_1(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 20;
    const d = half(t, src, o);
    const m = half(t, src, o + 2);
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j]!;
      dst[y + j] = f(f((q & 0xf) * d) + m);
      dst[y + j + 16] = f(f((q >> 4) * d) + m);
    }
  }
}

function q5_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 22;
    const d = half(t, src, o);
    const qh = (src[o + 2]! | (src[o + 3]! << 8) | (src[o + 4]! << 16) | (src[o + 5]! << 24)) >>> 0;
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      dst[y + j] = f((((q & 0xf) | h0) - 16) * d);
      dst[y + j + 16] = f((((q >> 4) | h1) - 16) * d);
    }
  }
}

function q5_1(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 24;
    const d = half(t, src, o);
    const m = half(t, src, o + 2);
    const qh = (src[o + 4]! | (src[o + 5]! << 8) | (src[o + 6]! << 16) | (src[o + 7]! << 24)) >>> 0;
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j]!;
      const h0 = ((qh >>> j) << 4) & 0x10;
      const h1 = (qh >>> (j + 12)) & 0x10;
      dst[y + j] = f(f(((q & 0xf) | h0) * d) + m);
      dst[y + j + 16] = f(f(((q >> 4) | h1) * d) + m);
    }
  }
}

function q8_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 34;
    const d = half(t, src, o);
    const y = i * 32;
    for (let j = 0; j < 32; j++) dst[y + j] = f(((src[o + 2 + j]! << 24) >> 24) * d);
  }
}

/** The 6-bit scale and min of sub-block j of a Q4_K/Q5_K block (`get_scale_min_k4`). */
function scaleMin(s: Uint8Array, o: number, j: number): [number, number] {
  if (j < 4) return [s[o + j]! & 63, s[o + j + 4]! & 63];
  return [(s[o + j + 4]! & 0xf) | ((s[o + j - 4]! >> 6) << 4), (s[o + j + 4]! >> 4) | ((s[o + j]! >> 6) << 4)];
}

function q2_k(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_q2_K: scales[16], qs[64], d, dmin (84 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 84;
    const d = half(t, src, o + 80);
    const dmin = half(t, src, o + 82);
    let y = i * 256;
    let is = 0;
    let q = o + 16;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let sc = src[o + is++]!;
        let dl = f(d * (sc & 0xf));
        let ml = f(dmin * (sc >> 4));
        for (let l = 0; l < 16; l++) dst[y++] = f(f(dl * ((src[q + l]! >> shift) & 3)) - ml);
        sc = src[o + is++]!;
        dl = f(d * (sc & 0xf));
        ml = f(dmin * (sc >> 4));
        for (let l = 0; l < 16; l++) dst[y++] = f(f(dl * ((src[q + l + 16]! >> shift) & 3)) - ml);
        shift += 2;
      }
      q += 32;
    }
  }
}

function q3_k(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_q3_K: hmask[32], qs[64], scales[12], d (110 bytes).
  const t = f16();
  const aux = new Int32Array(16);
  for (let i = 0; i < blocks; i++) {
    const o = i * 110;
    const dAll = half(t, src, o + 108);
    const sc = o + 96;
    for (let j = 0; j < 16; j++) {
      const low = j < 8 ? src[sc + j]! & 0xf : src[sc + j - 8]! >> 4;
      const high = (src[sc + 8 + (j % 4)]! >> (2 * Math.floor(j / 4))) & 3;
      aux[j] = (low | (high << 4)) - 32;
    }
    let y = i * 256;
    let q = o + 32;
    let is = 0;
    let m = 1;
    for (let n = 0; n < 256; n += 128) {
      let shift = 0;
      for (let j = 0; j < 4; j++) {
        let dl = f(dAll * aux[is++]!);
        for (let l = 0; l < 16; l++) dst[y++] = f(dl * (((src[q + l]! >> shift) & 3) - (src[o + l]! & m ? 0 : 4)));
        dl = f(dAll * aux[is++]!);
        for (let l = 0; l < 16; l++) dst[y++] = f(dl * (((src[q + l + 16]! >> shift) & 3) - (src[o + l + 16]! & m ? 0 : 4)));
        shift += 2;
        m <<= 1;
      }
      q += 32;
    }
  }
}

function q4_k(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_q4_K: d, dmin, scales[12], qs[128] (144 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 144;
    const d = half(t, src, o);
    const min = half(t, src, o + 2);
    let y = i * 256;
    let q = o + 16;
    for (let j = 0, is = 0; j < 256; j += 64, is += 2, q += 32) {
      const [s1, m1s] = scaleMin(src, o + 4, is);
      const [s2, m2s] = scaleMin(src, o + 4, is + 1);
      const d1 = f(d * s1);
      const m1 = f(min * m1s);
      const d2 = f(d * s2);
      const m2 = f(min * m2s);
      for (let l = 0; l < 32; l++) dst[y++] = f(f(d1 * (src[q + l]! & 0xf)) - m1);
      for (let l = 0; l < 32; l++) dst[y++] = f(f(d2 * (src[q + l]! >> 4)) - m2);
    }
  }
}

function q5_k(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_q5_K: d, dmin, scales[12], qh[32], qs[128] (176 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 176;
    const d = half(t, src, o);
    const min = half(t, src, o + 2);
    const qh = o + 16;
    let y = i * 256;
    let ql = o + 48;
    let u1 = 1;
    let u2 = 2;
    for (let j = 0, is = 0; j < 256; j += 64, is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
      const [s1, m1s] = scaleMin(src, o + 4, is);
      const [s2, m2s] = scaleMin(src, o + 4, is + 1);
      const d1 = f(d * s1);
      const m1 = f(min * m1s);
      const d2 = f(d * s2);
      const m2 = f(min * m2s);
      for (let l = 0; l < 32; l++) dst[y++] = f(f(d1 * ((src[ql + l]! & 0xf) + (src[qh + l]! & u1 ? 16 : 0))) - m1);
      for (let l = 0; l < 32; l++) dst[y++] = f(f(d2 * ((src[ql + l]! >> 4) + (src[qh + l]! & u2 ? 16 : 0))) - m2);
    }
  }
}

function q6_k(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_q6_K: ql[128], qh[64], scales[16] (int8), d (210 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 210;
    const d = half(t, src, o + 208);
    let ql = o;
    let qh = o + 128;
    let sc = o + 192;
    let y = i * 256;
    for (let n = 0; n < 256; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = src[qh + l]!;
        const q1 = ((src[ql + l]! & 0xf) | ((h & 3) << 4)) - 32;
        const q2 = ((src[ql + l + 32]! & 0xf) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((src[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((src[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        const s = (k: number) => (src[sc + is + k]! << 24) >> 24;
        dst[y + l] = f(f(d * s(0)) * q1);
        dst[y + l + 32] = f(f(d * s(2)) * q2);
        dst[y + l + 64] = f(f(d * s(4)) * q3);
        dst[y + l + 96] = f(f(d * s(6)) * q4);
      }
    }
  }
}

/** IQ4_NL's non-linear 4-bit grid (kvalues_iq4nl), shared by IQ4_XS. */
const KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113];

function iq4_nl(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_iq4_nl: d, qs[16] (18 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 18;
    const d = half(t, src, o);
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      dst[y + j] = f(d * KVALUES_IQ4NL[q & 0xf]!);
      dst[y + j + 16] = f(d * KVALUES_IQ4NL[q >> 4]!);
    }
  }
}

function iq4_xs(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_iq4_xs: d, scales_h (u16), scales_l[4], qs[128] (136 bytes).
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 136;
    const d = half(t, src, o);
    const sh = src[o + 2]! | (src[o + 3]! << 8);
    let y = i * 256;
    for (let ib = 0; ib < 8; ib++) {
      const ls = ((src[o + 4 + (ib >> 1)]! >> (4 * (ib & 1))) & 0xf) | (((sh >> (2 * ib)) & 3) << 4);
      const dl = f(d * (ls - 32));
      const qs = o + 8 + ib * 16;
      for (let j = 0; j < 16; j++) dst[y + j] = f(dl * KVALUES_IQ4NL[src[qs + j]! & 0xf]!);
      for (let j = 0; j < 16; j++) dst[y + j + 16] = f(dl * KVALUES_IQ4NL[src[qs + j]! >> 4]!);
      y += 32;
    }
  }
}

function tq2_0(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_tq2_0: qs[64], d (66 bytes); 2-bit ternary values q - 1 ∈ {-1, 0, 1, 2}.
  const t = f16();
  for (let i = 0; i < blocks; i++) {
    const o = i * 66;
    const d = half(t, src, o + 64);
    let y = i * 256;
    for (let j = 0; j < 64; j += 32) {
      for (let l = 0; l < 4; l++) {
        for (let m = 0; m < 32; m++) dst[y++] = f((((src[o + j + m]! >> (2 * l)) & 3) - 1) * d);
      }
    }
  }
}

/** E2M1 values doubled (kvalues_mxfp4); the block scale is E8M0 halved: 2^(e − 128). */
const KVALUES_MXFP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12];

function mxfp4(src: Uint8Array, blocks: number, dst: Float32Array): void {
  // block_mxfp4: e (E8M0), qs[16] (17 bytes).
  for (let i = 0; i < blocks; i++) {
    const o = i * 17;
    const d = 2 ** (src[o]! - 128);
    const y = i * 32;
    for (let j = 0; j < 16; j++) {
      const q = src[o + 1 + j]!;
      dst[y + j] = f(d * KVALUES_MXFP4[q & 0xf]!);
      dst[y + j + 16] = f(d * KVALUES_MXFP4[q >> 4]!);
    }
  }
}

/** Dequantisers by ggml type name; types without one are "values not decodable yet". */
export const DEQUANTIZERS: Readonly<Record<string, Dequantizer>> = {
  Q4_0: q4_0,
  Q4_1: q4_1,
  Q5_0: q5_0,
  Q5_1: q5_1,
  Q8_0: q8_0,
  Q2_K: q2_k,
  Q3_K: q3_k,
  Q4_K: q4_k,
  Q5_K: q5_k,
  Q6_K: q6_k,
  IQ4_NL: iq4_nl,
  IQ4_XS: iq4_xs,
  TQ2_0: tq2_0,
  MXFP4: mxfp4,
};
