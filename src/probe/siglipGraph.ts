import { MAP_IN_PROJ } from '../layouts/siglipNaming.js';
import { TIMM_BLOCK_NAMES, OPENAI_BLOCK, type GraphOps } from './graphOps.js';
import type { SiglipVisionShape, TextShape } from './modelConfig.js';

/**
 * SigLIP's towers as ONNX nodes, on the probe's SigLIP names (src/layouts/siglipNaming.ts):
 *
 *   image: patch Conv (+bias) → + pos_embed (no class token) → timm blocks → norm → MAP head:
 *          the learned latent attends over all tokens (packed in_proj: q rows, then k, v),
 *          out proj, then latent + MLP(LayerNorm(latent)) — the image embedding (no projection)
 *   text:  token emb + pos → open_clip blocks without a mask → ln_final → the LAST position →
 *          Linear text projection with bias
 */
export async function siglipImageFeatures(ops: GraphOps, pixels: string, v: SiglipVisionShape, layerDone: (what: string) => void): Promise<string> {
  const { g, W } = ops;
  const D = v.width;
  const grid = v.imageSize / v.patch;
  const p = 'visual.trunk.';
  const conv = g.op('Conv', [pixels, await W(`${p}patch_embed.proj.weight`), await W(`${p}patch_embed.proj.bias`)], { kernel_shape: [v.patch, v.patch], strides: [v.patch, v.patch] });
  const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64Const([0, D, grid * grid])])], { perm: [0, 2, 1] });
  let x = g.op('Reshape', [g.op('Add', [patches, g.op('Reshape', [await W(`${p}pos_embed`), g.int64Const([1, v.tokens, D])])]), g.int64Const([-1, D])]);
  for (let i = 0; i < v.layers; i++) {
    x = await ops.block(x, `${p}blocks.${i}.`, TIMM_BLOCK_NAMES, v.tokens, D, v.heads, false);
    layerDone(`image layer ${i + 1}/${v.layers}`);
  }
  x = await ops.layerNorm(x, `${p}norm`);
  // MAP head. The packed in_proj is sliced in the graph (ORT folds it): q from the latent, k and v from the tokens.
  const inW = await W(`${MAP_IN_PROJ}.weight`);
  const inB = await W(`${MAP_IN_PROJ}.bias`);
  const rows = (t: string, a: number, b: number) => g.op('Slice', [t, g.int64Const([a]), g.int64Const([b]), g.int64Const([0])]);
  const latent = g.op('Reshape', [await W(`${p}attn_pool.latent`), g.int64Const([1, D])]);
  const q = g.op('Gemm', [latent, rows(inW, 0, D), rows(inB, 0, D)], { transB: 1 }, 'map_q');
  const k = g.op('Gemm', [x, rows(inW, D, 2 * D), rows(inB, D, 2 * D)], { transB: 1 }, 'map_k');
  const val = g.op('Gemm', [x, rows(inW, 2 * D, 3 * D), rows(inB, 2 * D, 3 * D)], { transB: 1 }, 'map_v');
  // q is [1·1, D]: Reshape to [-1, 1, H, hd] gives batch 1, which MatMul broadcasts over the N images.
  const pooled = await ops.linear(ops.attention(q, k, val, 1, v.tokens, D, v.heads), `${p}attn_pool.proj`);
  const mlp = await ops.linear(ops.activation(await ops.linear(await ops.layerNorm(pooled, `${p}attn_pool.norm`), `${p}attn_pool.mlp.fc1`)), `${p}attn_pool.mlp.fc2`);
  layerDone('image MAP head');
  return g.op('Add', [pooled, mlp], {}, 'map_out');
}

export async function siglipTextFeatures(ops: GraphOps, ids: string, t: TextShape, projection: boolean, layerDone: (what: string) => void): Promise<string> {
  const { g, W } = ops;
  const L = t.contextLength;
  let x = g.op('Add', [g.op('Gather', [await W('text.token_embedding.weight'), ids], { axis: 0 }), await W('text.positional_embedding')]);
  x = g.op('Reshape', [x, g.int64Const([-1, t.width])]);
  for (let i = 0; i < t.layers; i++) {
    x = await ops.block(x, `text.transformer.resblocks.${i}.`, OPENAI_BLOCK, L, t.width, t.heads, t.layerScale);
    layerDone(`text layer ${i + 1}/${t.layers}`);
  }
  const x3 = g.op('Reshape', [await ops.layerNorm(x, 'text.ln_final'), g.int64Const([-1, L, t.width])]);
  const last = g.op('Gather', [x3, g.int64Const([L - 1], [])], { axis: 1 });
  return projection ? ops.linear(last, 'text.text_projection') : last;
}
