import { resnetBlocks, RESNET_STRIDE, type ResNetShape } from './modelConfig.js';
import type { WeightLookup } from './reference.js';

/**
 * OpenAI's ModifiedResNet image tower in plain TypeScript (CHW Float32Array storage, float64
 * accumulation), written from the model definition (schemas §1.6), not from the ONNX graph, so
 * tests can check one against the other. Naive loops: tiny configurations only.
 */
interface Map3 {
  readonly c: number;
  readonly h: number;
  readonly w: number;
  readonly data: Float32Array;
}

const BN_EPS = 1e-5;

/** The [E] image features of one CHW image (before L2 normalisation). */
export function encodeImageResNet(v: ResNetShape, W: WeightLookup, px: Float32Array): Float32Array {
  let x: Map3 = { c: 3, h: v.imageSize, w: v.imageSize, data: px };
  x = relu(batchNorm(conv2d(x, W('visual.conv1.weight'), 3, 2), W, 'visual.bn1'));
  x = relu(batchNorm(conv2d(x, W('visual.conv2.weight'), 3, 1), W, 'visual.bn2'));
  x = relu(batchNorm(conv2d(x, W('visual.conv3.weight'), 3, 1), W, 'visual.bn3'));
  x = avgPool(x, 2);
  for (const b of resnetBlocks(v)) {
    const p = b.prefix;
    let out = relu(batchNorm(conv2d(x, W(`${p}conv1.weight`), 1, 1), W, `${p}bn1`));
    out = relu(batchNorm(conv2d(out, W(`${p}conv2.weight`), 3, 1), W, `${p}bn2`));
    out = batchNorm(conv2d(avgPool(out, b.stride), W(`${p}conv3.weight`), 1, 1), W, `${p}bn3`);
    const identity = b.downsample ? batchNorm(conv2d(avgPool(x, b.stride), W(`${p}downsample.0.weight`), 1, 1), W, `${p}downsample.1`) : x;
    for (let i = 0; i < out.data.length; i++) out.data[i] = Math.max(0, out.data[i]! + identity.data[i]!);
    x = out;
  }
  return attentionPool(v, W, x);
}

/** Square kernel k, padding (k−1)/2 as every ModifiedResNet conv uses, no bias. Weights [out, in, k, k]. */
function conv2d(x: Map3, weight: Float32Array, k: number, stride: number): Map3 {
  const pad = (k - 1) / 2;
  const cout = weight.length / (x.c * k * k);
  const h = Math.floor((x.h + 2 * pad - k) / stride) + 1;
  const w = Math.floor((x.w + 2 * pad - k) / stride) + 1;
  const out = new Float32Array(cout * h * w);
  for (let o = 0; o < cout; o++)
    for (let oy = 0; oy < h; oy++)
      for (let ox = 0; ox < w; ox++) {
        let s = 0;
        for (let c = 0; c < x.c; c++)
          for (let ky = 0; ky < k; ky++) {
            const iy = oy * stride + ky - pad;
            if (iy < 0 || iy >= x.h) continue;
            for (let kx = 0; kx < k; kx++) {
              const ix = ox * stride + kx - pad;
              if (ix < 0 || ix >= x.w) continue;
              s += weight[((o * x.c + c) * k + ky) * k + kx]! * x.data[(c * x.h + iy) * x.w + ix]!;
            }
          }
        out[(o * h + oy) * w + ox] = s;
      }
  return { c: cout, h, w, data: out };
}

/** Inference-mode BatchNorm: (x − running_mean) / √(running_var + ε) · weight + bias. */
function batchNorm(x: Map3, W: WeightLookup, p: string): Map3 {
  const g = W(`${p}.weight`);
  const b = W(`${p}.bias`);
  const mean = W(`${p}.running_mean`);
  const variance = W(`${p}.running_var`);
  const hw = x.h * x.w;
  const out = new Float32Array(x.data.length);
  for (let c = 0; c < x.c; c++) {
    const scale = g[c]! / Math.sqrt(variance[c]! + BN_EPS);
    for (let i = 0; i < hw; i++) out[c * hw + i] = (x.data[c * hw + i]! - mean[c]!) * scale + b[c]!;
  }
  return { ...x, data: out };
}

function relu(x: Map3): Map3 {
  return { ...x, data: x.data.map((v) => (v > 0 ? v : 0)) };
}

/** torch AvgPool2d(s): kernel s, stride s, floor mode. */
function avgPool(x: Map3, s: number): Map3 {
  if (s === 1) return x;
  const h = Math.floor(x.h / s);
  const w = Math.floor(x.w / s);
  const out = new Float32Array(x.c * h * w);
  for (let c = 0; c < x.c; c++)
    for (let oy = 0; oy < h; oy++)
      for (let ox = 0; ox < w; ox++) {
        let sum = 0;
        for (let ky = 0; ky < s; ky++) for (let kx = 0; kx < s; kx++) sum += x.data[(c * x.h + oy * s + ky) * x.w + ox * s + kx]!;
        out[(c * h + oy) * w + ox] = sum / (s * s);
      }
  return { c: x.c, h, w, data: out };
}

/** AttentionPool2d: tokens = [mean; HW positions] + pos; one query (the mean token) over all tokens. */
function attentionPool(v: ResNetShape, W: WeightLookup, x: Map3): Float32Array {
  const C = RESNET_STRIDE * v.width;
  const hw = x.h * x.w;
  const T = hw + 1;
  const pos = W('visual.attnpool.positional_embedding');
  const tok = new Float64Array(T * C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = 0; i < hw; i++) {
      const val = x.data[c * hw + i]!;
      tok[(i + 1) * C + c] = val;
      s += val;
    }
    tok[c] = s / hw;
  }
  for (let i = 0; i < T * C; i++) tok[i]! += pos[i]!;
  const proj = (p: string, rows: number[]) => {
    const w = W(`visual.attnpool.${p}.weight`);
    const b = W(`visual.attnpool.${p}.bias`);
    const out = new Float64Array(rows.length * C);
    rows.forEach((r, ri) => {
      for (let o = 0; o < C; o++) {
        let s = b[o]!;
        for (let i = 0; i < C; i++) s += tok[r * C + i]! * w[o * C + i]!;
        out[ri * C + o] = s;
      }
    });
    return out;
  };
  const all = Array.from({ length: T }, (_, i) => i);
  const q = proj('q_proj', [0]);
  const k = proj('k_proj', all);
  const val = proj('v_proj', all);
  const H = v.heads;
  const hd = C / H;
  const ctx = new Float64Array(C);
  const scores = new Float64Array(T);
  for (let h = 0; h < H; h++) {
    let max = -Infinity;
    for (let j = 0; j < T; j++) {
      let s = 0;
      for (let e = 0; e < hd; e++) s += q[h * hd + e]! * k[j * C + h * hd + e]!;
      scores[j] = s / Math.sqrt(hd);
      max = Math.max(max, scores[j]!);
    }
    let sum = 0;
    for (let j = 0; j < T; j++) {
      scores[j] = Math.exp(scores[j]! - max);
      sum += scores[j]!;
    }
    for (let e = 0; e < hd; e++) {
      let acc = 0;
      for (let j = 0; j < T; j++) acc += scores[j]! * val[j * C + h * hd + e]!;
      ctx[h * hd + e] = acc / sum;
    }
  }
  const cw = W('visual.attnpool.c_proj.weight');
  const cb = W('visual.attnpool.c_proj.bias');
  const E = cb.length;
  const y = new Float32Array(E);
  for (let o = 0; o < E; o++) {
    let s = cb[o]!;
    for (let i = 0; i < C; i++) s += ctx[i]! * cw[o * C + i]!;
    y[o] = s;
  }
  return y;
}
