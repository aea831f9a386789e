import { MAP_IN_PROJ } from '../layouts/siglipNaming.js';
import type { ProbeModelConfig, SiglipVisionShape } from './modelConfig.js';
import { activateInPlace, addInPlace, layerNorm, linear, residualBlock, type RefBlockNames, type WeightLookup } from './reference.js';

/**
 * SigLIP's towers in plain TypeScript, written from transformers' SiglipModel / timm's
 * VisionTransformer(global_pool='map') and open_clip's TextTransformer(no_causal_mask,
 * pool_type='last'), not from the ONNX graph: the check the graph is compared against.
 */
const TIMM_NAMES: RefBlockNames = { ln1: 'norm1', qkv: 'attn.qkv.weight', qkvBias: 'attn.qkv.bias', out: 'attn.proj', ln2: 'norm2', fc1: 'mlp.fc1', fc2: 'mlp.fc2' };

export function encodeImageSiglip(cfg: ProbeModelConfig, v: SiglipVisionShape, W: WeightLookup, px: Float32Array): Float32Array {
  const S = v.imageSize;
  const P = v.patch;
  const G = S / P;
  const D = v.width;
  const T = v.tokens;
  const conv = W('visual.trunk.patch_embed.proj.weight');
  const convBias = W('visual.trunk.patch_embed.proj.bias');
  const x = new Float32Array(T * D);
  for (let gy = 0; gy < G; gy++)
    for (let gx = 0; gx < G; gx++) {
      const tok = gy * G + gx;
      for (let d = 0; d < D; d++) {
        let s = convBias[d]!;
        for (let c = 0; c < 3; c++)
          for (let ky = 0; ky < P; ky++)
            for (let kx = 0; kx < P; kx++) s += conv[((d * 3 + c) * P + ky) * P + kx]! * px[(c * S + gy * P + ky) * S + gx * P + kx]!;
        x[tok * D + d] = s;
      }
    }
  addInPlace(x, W('visual.trunk.pos_embed'));
  let h: Float32Array = x;
  for (let i = 0; i < v.layers; i++) h = residualBlock(cfg, W, `visual.trunk.blocks.${i}.`, h, T, D, v.heads, false, false, TIMM_NAMES, v.mlp);
  h = layerNorm(h, T, D, W('visual.trunk.norm.weight'), W('visual.trunk.norm.bias'), cfg.layerNormEps);

  // MAP head: one latent query over the T tokens, multi-head, then a residual MLP.
  const inW = W(`${MAP_IN_PROJ}.weight`); // [3D, D]: q, k, v rows
  const inB = W(`${MAP_IN_PROJ}.bias`);
  const rowsOf = (a: Float32Array, from: number, n: number) => a.subarray(from * D, (from + n) * D);
  const q = linear(W('visual.trunk.attn_pool.latent'), 1, D, D, rowsOf(inW, 0, D), inB.subarray(0, D));
  const k = linear(h, T, D, D, rowsOf(inW, D, D), inB.subarray(D, 2 * D));
  const val = linear(h, T, D, D, rowsOf(inW, 2 * D, D), inB.subarray(2 * D, 3 * D));
  const H = v.heads;
  const hd = D / H;
  const ctx = new Float32Array(D);
  const p = new Float64Array(T);
  for (let head = 0; head < H; head++) {
    let max = -Infinity;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let e = 0; e < hd; e++) s += q[head * hd + e]! * k[t * D + head * hd + e]!;
      p[t] = s / Math.sqrt(hd);
      max = Math.max(max, p[t]!);
    }
    let sum = 0;
    for (let t = 0; t < T; t++) sum += p[t] = Math.exp(p[t]! - max);
    for (let e = 0; e < hd; e++) {
      let acc = 0;
      for (let t = 0; t < T; t++) acc += p[t]! * val[t * D + head * hd + e]!;
      ctx[head * hd + e] = acc / sum;
    }
  }
  const pooled = linear(ctx, 1, D, D, W('visual.trunk.attn_pool.proj.weight'), W('visual.trunk.attn_pool.proj.bias'));
  const f1 = linear(layerNorm(pooled, 1, D, W('visual.trunk.attn_pool.norm.weight'), W('visual.trunk.attn_pool.norm.bias'), cfg.layerNormEps), 1, D, v.mapMlp, W('visual.trunk.attn_pool.mlp.fc1.weight'), W('visual.trunk.attn_pool.mlp.fc1.bias'));
  activateInPlace(cfg, f1);
  const f2 = linear(f1, 1, v.mapMlp, D, W('visual.trunk.attn_pool.mlp.fc2.weight'), W('visual.trunk.attn_pool.mlp.fc2.bias'));
  addInPlace(pooled, f2);
  return pooled;
}

export function encodeTextSiglip(cfg: ProbeModelConfig, W: WeightLookup, ids: number[]): Float32Array {
  const t = cfg.text;
  const L = t.contextLength;
  const D = t.width;
  const emb = W('text.token_embedding.weight');
  const x = new Float32Array(L * D);
  for (let k = 0; k < L; k++) x.set(emb.subarray(ids[k]! * D, (ids[k]! + 1) * D), k * D);
  addInPlace(x, W('text.positional_embedding'));
  let h: Float32Array = x;
  // The text tower's own activation (SigLIP 2 in open_clip: tanh-GELU) where it differs.
  const tc: ProbeModelConfig = cfg.textActivation ? { ...cfg, activation: cfg.textActivation } : cfg;
  // No causal mask: every position sees every other (SigLIP was trained that way).
  for (let i = 0; i < t.layers; i++) h = residualBlock(tc, W, `text.transformer.resblocks.${i}.`, h, L, D, t.heads, t.layerScale, false, undefined, t.mlp);
  const last = layerNorm(h.subarray((L - 1) * D, L * D), 1, D, W('text.ln_final.weight'), W('text.ln_final.bias'), cfg.layerNormEps);
  if (cfg.textProjection === 'none') return last;
  return linear(last, 1, D, cfg.embedDim, W('text.text_projection.weight'), W('text.text_projection.bias'));
}
