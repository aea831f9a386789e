import type { ProbeModelConfig } from './modelConfig.js';
import { encodeImageResNet } from './referenceResNet.js';
import { encodeImageSiglip, encodeTextSiglip } from './referenceSiglip.js';

/**
 * An independent CLIP forward pass in plain TypeScript (Float32Array storage, float64
 * accumulation), written from the model definition rather than from the ONNX graph. It exists to
 * check the graph: tests run both on tiny checkpoints and compare embeddings. It is O(naive) and
 * only meant for tiny configurations.
 */
export interface ReferenceOutputs {
  readonly imageEmbeds: Float32Array;
  readonly textEmbeds: Float32Array;
  readonly logitsPerImage: Float32Array;
}

export type WeightLookup = (canonicalName: string) => Float32Array;

export function referenceForward(cfg: ProbeModelConfig, W: WeightLookup, pixels: Float32Array, n: number, ids: BigInt64Array | readonly number[], m: number): ReferenceOutputs {
  const img = new Float32Array(n * cfg.embedDim);
  for (let i = 0; i < n; i++) img.set(l2(encodeImage(cfg, W, pixels.subarray(i * 3 * cfg.vision.imageSize ** 2, (i + 1) * 3 * cfg.vision.imageSize ** 2))), i * cfg.embedDim);
  const L = cfg.text.contextLength;
  const txt = new Float32Array(m * cfg.embedDim);
  for (let j = 0; j < m; j++) {
    const row: number[] = [];
    for (let k = 0; k < L; k++) row.push(Number(ids[j * L + k]));
    txt.set(l2(encodeText(cfg, W, row)), j * cfg.embedDim);
  }
  const scale = Math.exp(W('logit_scale')[0]!);
  // SigLIP adds its learned bias to every pair's logit (sigmoid scoring); CLIP has none.
  const bias = cfg.scoring === 'sigmoid' ? W('logit_bias')[0]! : 0;
  const logits = new Float32Array(n * m);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < m; j++) {
      let s = 0;
      for (let e = 0; e < cfg.embedDim; e++) s += img[i * cfg.embedDim + e]! * txt[j * cfg.embedDim + e]!;
      logits[i * m + j] = s * scale + bias;
    }
  return { imageEmbeds: img, textEmbeds: txt, logitsPerImage: logits };
}

function encodeImage(cfg: ProbeModelConfig, W: WeightLookup, px: Float32Array): Float32Array {
  const v = cfg.vision;
  if (v.kind === 'resnet') return encodeImageResNet(v, W, px);
  if (v.kind === 'siglip') return encodeImageSiglip(cfg, v, W, px);
  const S = v.imageSize;
  const P = v.patch;
  const G = S / P;
  const D = v.width;
  const T = v.tokens;
  const conv = W('visual.conv1.weight'); // [D,3,P,P]
  const x = new Float32Array(T * D);
  x.set(W('visual.class_embedding'), 0);
  for (let gy = 0; gy < G; gy++)
    for (let gx = 0; gx < G; gx++) {
      const tok = 1 + gy * G + gx;
      for (let d = 0; d < D; d++) {
        let s = 0;
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < P; ky++)
            for (let kx = 0; kx < P; kx++) s += conv[((d * 3 + c) * P + ky) * P + kx]! * px[(c * S + gy * P + ky) * S + gx * P + kx]!;
        x[tok * D + d] = s;
      }
    }
  addInPlace(x, W('visual.positional_embedding'));
  let h: Float32Array = layerNorm(x, T, D, W('visual.ln_pre.weight'), W('visual.ln_pre.bias'), cfg.layerNormEps);
  for (let i = 0; i < v.layers; i++) h = residualBlock(cfg, W, `visual.transformer.resblocks.${i}.`, h, T, D, v.heads, v.layerScale, false);
  const cls = layerNorm(h.subarray(0, D), 1, D, W('visual.ln_post.weight'), W('visual.ln_post.bias'), cfg.layerNormEps);
  const y = vecMat(cls, W('visual.proj'), D, cfg.embedDim);
  if (v.projBias) addInPlace(y, W('visual.proj_bias'));
  return y;
}

function encodeText(cfg: ProbeModelConfig, W: WeightLookup, ids: number[]): Float32Array {
  if (cfg.architecture === 'siglip') return encodeTextSiglip(cfg, W, ids);
  const t = cfg.text;
  const L = t.contextLength;
  const D = t.width;
  const emb = W('token_embedding.weight');
  const x = new Float32Array(L * D);
  for (let k = 0; k < L; k++) x.set(emb.subarray(ids[k]! * D, (ids[k]! + 1) * D), k * D);
  addInPlace(x, W('positional_embedding'));
  let h: Float32Array = x;
  for (let i = 0; i < t.layers; i++) h = residualBlock(cfg, W, `transformer.resblocks.${i}.`, h, L, D, t.heads, t.layerScale, true);
  h = layerNorm(h, L, D, W('ln_final.weight'), W('ln_final.bias'), cfg.layerNormEps);
  let pos = 0;
  if (cfg.pooling.kind === 'argmax') {
    for (let k = 1; k < L; k++) if (ids[k]! > ids[pos]!) pos = k;
  } else if (cfg.pooling.kind === 'last') pos = L - 1;
  else {
    const eos = cfg.pooling.eosTokenId;
    const at = ids.indexOf(eos);
    pos = at < 0 ? 0 : at;
  }
  return vecMat(h.subarray(pos * D, (pos + 1) * D), W('text_projection'), D, cfg.embedDim);
}

/** Tensor names of a block relative to its prefix: OpenAI's by default, timm's for SigLIP image blocks. */
export interface RefBlockNames {
  readonly ln1: string;
  readonly qkv: string;
  readonly qkvBias: string;
  readonly out: string;
  readonly ln2: string;
  readonly fc1: string;
  readonly fc2: string;
}
const OPENAI_NAMES: RefBlockNames = { ln1: 'ln_1', qkv: 'attn.in_proj_weight', qkvBias: 'attn.in_proj_bias', out: 'attn.out_proj', ln2: 'ln_2', fc1: 'mlp.c_fc', fc2: 'mlp.c_proj' };

export function residualBlock(cfg: ProbeModelConfig, W: WeightLookup, p: string, x: Float32Array, T: number, D: number, H: number, layerScale: boolean, causal: boolean, names: RefBlockNames = OPENAI_NAMES, mlpWidth?: number): Float32Array {
  const h = layerNorm(x, T, D, W(`${p}${names.ln1}.weight`), W(`${p}${names.ln1}.bias`), cfg.layerNormEps);
  const qkv = linear(h, T, D, 3 * D, W(`${p}${names.qkv}`), W(`${p}${names.qkvBias}`));
  const hd = D / H;
  const ctx = new Float32Array(T * D);
  const scores = new Float64Array(T);
  for (let head = 0; head < H; head++) {
    for (let i = 0; i < T; i++) {
      let max = -Infinity;
      const limit = causal ? i + 1 : T;
      for (let j = 0; j < limit; j++) {
        let s = 0;
        for (let e = 0; e < hd; e++) s += qkv[i * 3 * D + head * hd + e]! * qkv[j * 3 * D + D + head * hd + e]!;
        s /= Math.sqrt(hd);
        scores[j] = s;
        if (s > max) max = s;
      }
      let sum = 0;
      for (let j = 0; j < limit; j++) {
        scores[j] = Math.exp(scores[j]! - max);
        sum += scores[j]!;
      }
      for (let e = 0; e < hd; e++) {
        let acc = 0;
        for (let j = 0; j < limit; j++) acc += scores[j]! * qkv[j * 3 * D + 2 * D + head * hd + e]!;
        ctx[i * D + head * hd + e] = acc / sum;
      }
    }
  }
  const a = linear(ctx, T, D, D, W(`${p}${names.out}.weight`), W(`${p}${names.out}.bias`));
  if (layerScale) scaleRows(a, T, D, W(`${p}ls_1.gamma`));
  const x1 = new Float32Array(x);
  addInPlace(x1, a);
  // Only ViT image towers and the text tower have transformer blocks.
  const M = mlpWidth ?? (p.startsWith('visual.') && cfg.vision.kind !== 'resnet' ? cfg.vision.mlp : cfg.text.mlp);
  const f1 = linear(layerNorm(x1, T, D, W(`${p}${names.ln2}.weight`), W(`${p}${names.ln2}.bias`), cfg.layerNormEps), T, D, M, W(`${p}${names.fc1}.weight`), W(`${p}${names.fc1}.bias`));
  activateInPlace(cfg, f1);
  const f2 = linear(f1, T, M, D, W(`${p}${names.fc2}.weight`), W(`${p}${names.fc2}.bias`));
  if (layerScale) scaleRows(f2, T, D, W(`${p}ls_2.gamma`));
  addInPlace(x1, f2);
  return x1;
}

/** QuickGELU, exact GELU (erf) or transformers' tanh GELU, in place. */
export function activateInPlace(cfg: ProbeModelConfig, f: Float32Array): void {
  for (let i = 0; i < f.length; i++) {
    const z = f[i]!;
    if (cfg.activation === 'quickgelu') f[i] = z / (1 + Math.exp(-1.702 * z));
    else if (cfg.activation === 'gelu_tanh') f[i] = 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z * z * z)));
    else f[i] = 0.5 * z * (1 + erf(z / Math.SQRT2));
  }
}

/** y = x·Wᵀ + b for torch Linear weights [out, in]. */
export function linear(x: Float32Array, rows: number, inDim: number, outDim: number, w: Float32Array, b: Float32Array): Float32Array {
  const y = new Float32Array(rows * outDim);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outDim; o++) {
      let s = b[o]!;
      for (let i = 0; i < inDim; i++) s += x[r * inDim + i]! * w[o * inDim + i]!;
      y[r * outDim + o] = s;
    }
  return y;
}

/** y = x·P for projection matrices stored [in, out]. */
function vecMat(x: Float32Array, p: Float32Array, inDim: number, outDim: number): Float32Array {
  const y = new Float32Array(outDim);
  for (let o = 0; o < outDim; o++) {
    let s = 0;
    for (let i = 0; i < inDim; i++) s += x[i]! * p[i * outDim + o]!;
    y[o] = s;
  }
  return y;
}

export function layerNorm(x: Float32Array, rows: number, D: number, w: Float32Array, b: Float32Array, eps: number): Float32Array {
  const y = new Float32Array(rows * D);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < D; i++) mean += x[r * D + i]!;
    mean /= D;
    let v = 0;
    for (let i = 0; i < D; i++) v += (x[r * D + i]! - mean) ** 2;
    const inv = 1 / Math.sqrt(v / D + eps);
    for (let i = 0; i < D; i++) y[r * D + i] = (x[r * D + i]! - mean) * inv * w[i]! + b[i]!;
  }
  return y;
}

export function addInPlace(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) x[i]! += y[i]!;
}

function scaleRows(x: Float32Array, rows: number, D: number, g: Float32Array): void {
  for (let r = 0; r < rows; r++) for (let i = 0; i < D; i++) x[r * D + i]! *= g[i]!;
}

function l2(x: Float32Array): Float32Array {
  let s = 0;
  for (const v of x) s += v * v;
  const n = Math.sqrt(s);
  return x.map((v) => v / n);
}

/** erf via Abramowitz–Stegun 7.1.26 is too coarse (1e-7 abs is fine, but we want margin): use a series/continued fraction. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: converges quickly for |x| < 2.5.
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 60; n++) {
      term *= (-ax * ax) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17) break;
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // Continued fraction for erfc at larger |x|.
  let f = 0;
  for (let k = 60; k >= 1; k--) f = (k / 2) / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return x < 0 ? -(1 - erfc) : 1 - erfc;
}
