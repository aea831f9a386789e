import { readFile } from 'node:fs/promises';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

/**
 * Image decoding (pngjs / jpeg-js) and CLIP preprocessing as OpenAI's `_transform` does it with
 * PIL + torchvision: resize the shorter side to S with PIL's antialiased bicubic filter (uint8
 * between the horizontal and vertical pass, as PIL), centre crop S×S, /255, OpenAI mean/std.
 * SigLIP's preprocessing (squash to S×S, bilinear or bicubic, mean = std = 0.5) is chosen per
 * model in preprocess.ts and built from the same pieces.
 */
export const OPENAI_MEAN = [0.48145466, 0.4578275, 0.40821073] as const;
export const OPENAI_STD = [0.26862954, 0.26130258, 0.27577711] as const;

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** RGB bytes, row-major. */
  readonly data: Uint8Array;
}

export type DecodeResult = { ok: true; image: RgbImage } | { ok: false; code: string; message: string };

/** Upper bound on decoded pixels: a hostile PNG header can claim 2^31 × 2^31. */
const MAX_PIXELS = 64 * 1024 * 1024;

export async function decodeImageFile(path: string): Promise<DecodeResult> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    return { ok: false, code: 'image-unreadable', message: `cannot read ${path}: ${(e as Error).message}` };
  }
  return decodeImage(bytes, path);
}

export function decodeImage(bytes: Uint8Array, name = 'image'): DecodeResult {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  try {
    if (buf.length >= 8 && buf.readUInt32BE(0) === 0x89504e47) {
      if (buf.length >= 24 && buf.readUInt32BE(16) * buf.readUInt32BE(20) > MAX_PIXELS) return { ok: false, code: 'image-too-large', message: `${name} is larger than ${MAX_PIXELS} pixels` };
      const png = PNG.sync.read(buf);
      return { ok: true, image: { width: png.width, height: png.height, data: rgbaToRgb(png.data, png.width * png.height) } };
    }
    if (buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) {
      const j = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 1024 });
      return { ok: true, image: { width: j.width, height: j.height, data: rgbaToRgb(j.data, j.width * j.height) } };
    }
  } catch (e) {
    return { ok: false, code: 'image-invalid', message: `${name} could not be decoded: ${(e as Error).message}` };
  }
  return { ok: false, code: 'image-format', message: `${name} is neither PNG nor JPEG` };
}

/** Alpha is dropped as PIL's `convert('RGB')` does (no compositing onto a background). */
function rgbaToRgb(rgba: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let i = 0; i < pixels; i++) {
    out[i * 3] = rgba[i * 4]!;
    out[i * 3 + 1] = rgba[i * 4 + 1]!;
    out[i * 3 + 2] = rgba[i * 4 + 2]!;
  }
  return out;
}

/** The resampling filters PIL's antialiased `resize` offers that the probe's models use. */
export type ResizeFilter = 'bicubic' | 'bilinear';

function cubic(x: number): number {
  // PIL's bicubic kernel, a = -0.5.
  const a = -0.5;
  const ax = Math.abs(x);
  if (ax < 1) return ((a + 2) * ax - (a + 3)) * ax * ax + 1;
  if (ax < 2) return (((ax - 5) * ax + 8) * ax - 4) * a;
  return 0;
}

/** PIL's bilinear (triangle) kernel, support 1. */
function triangle(x: number): number {
  const ax = Math.abs(x);
  return ax < 1 ? 1 - ax : 0;
}

const FILTERS: Record<ResizeFilter, { readonly kernel: (x: number) => number; readonly support: number }> = {
  bicubic: { kernel: cubic, support: 2 },
  bilinear: { kernel: triangle, support: 1 },
};

/** PIL's fixed-point precision for 8-bit images (`PRECISION_BITS = 32 - 8 - 2`). */
const PRECISION = 2 ** 22;

/**
 * One antialiased pass along one axis, as PIL's `precompute_coeffs` + `ImagingResampleHorizontal/
 * Vertical_8bpc`: double weights normalised to sum 1, then rounded to 22-bit fixed point, summed
 * from 2^21 (rounding) and floored, clipped to 0..255. Integer sums stay far below 2^53, so the
 * arithmetic is exact in doubles and the bytes are PIL's.
 */
function resamplePass(src: Uint8Array, w: number, h: number, outLen: number, horizontal: boolean, filter: ResizeFilter = 'bicubic'): Uint8Array {
  const { kernel, support: baseSupport } = FILTERS[filter];
  const inLen = horizontal ? w : h;
  const scale = inLen / outLen;
  const filterScale = Math.max(scale, 1);
  const support = baseSupport * filterScale;
  const ss = 1 / filterScale;
  const ow = horizontal ? outLen : w;
  const oh = horizontal ? h : outLen;
  const out = new Uint8Array(ow * oh * 3);
  for (let o = 0; o < outLen; o++) {
    const center = (o + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const hi = Math.min(inLen, Math.trunc(center + support + 0.5));
    const weights: number[] = [];
    let sum = 0;
    for (let j = lo; j < hi; j++) {
      const wgt = kernel((j - center + 0.5) * ss);
      weights.push(wgt);
      sum += wgt;
    }
    const fixed = weights.map((wgt) => {
      const k = sum !== 0 ? wgt / sum : wgt;
      return Math.trunc(k * PRECISION + (k < 0 ? -0.5 : 0.5));
    });
    const lines = horizontal ? h : w;
    for (let line = 0; line < lines; line++) {
      for (let c = 0; c < 3; c++) {
        let acc = PRECISION / 2;
        for (let j = lo; j < hi; j++) {
          const idx = horizontal ? (line * w + j) * 3 + c : (j * w + line) * 3 + c;
          acc += src[idx]! * fixed[j - lo]!;
        }
        const oi = horizontal ? (line * ow + o) * 3 + c : (o * ow + line) * 3 + c;
        out[oi] = Math.max(0, Math.min(255, Math.floor(acc / PRECISION)));
      }
    }
  }
  return out;
}

/** torchvision `Resize(S)`: the shorter side becomes S, the longer int(S·long/short). */
export function resizeShorterSide(img: RgbImage, S: number, filter: ResizeFilter = 'bicubic'): RgbImage {
  const { width: w, height: h } = img;
  const [nw, nh] = w <= h ? [S, Math.floor((S * h) / w)] : [Math.floor((S * w) / h), S];
  return resizeTo(img, nw, nh, filter);
}

/** PIL `Image.resize((nw, nh), filter)` with its antialiasing: horizontal pass, uint8, vertical pass. */
export function resizeTo(img: RgbImage, nw: number, nh: number, filter: ResizeFilter = 'bicubic'): RgbImage {
  const { width: w, height: h } = img;
  let data = img.data;
  let cw = w;
  if (nw !== w) {
    data = resamplePass(data, w, h, nw, true, filter);
    cw = nw;
  }
  if (nh !== h) data = resamplePass(data, cw, h, nh, false, filter);
  return { width: nw, height: nh, data };
}

/** Python's round(): halves go to the even neighbour (torchvision's crop offset uses it). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** Centre crop S×S (offset int(round((size − S) / 2)) as torchvision) → normalised CHW float32. */
export function cropAndNormalize(img: RgbImage, S: number, mean: readonly number[] = OPENAI_MEAN, std: readonly number[] = OPENAI_STD): Float32Array {
  if (img.width < S || img.height < S) throw new RangeError(`image ${img.width}×${img.height} is smaller than the ${S}×${S} crop`);
  const top = roundHalfEven((img.height - S) / 2);
  const left = roundHalfEven((img.width - S) / 2);
  const out = new Float32Array(3 * S * S);
  for (let y = 0; y < S; y++)
    for (let x = 0; x < S; x++) {
      const si = ((top + y) * img.width + left + x) * 3;
      for (let c = 0; c < 3; c++) out[c * S * S + y * S + x] = (img.data[si + c]! / 255 - mean[c]!) / std[c]!;
    }
  return out;
}

export function preprocess(img: RgbImage, S: number): Float32Array {
  return cropAndNormalize(resizeShorterSide(img, S), S);
}
