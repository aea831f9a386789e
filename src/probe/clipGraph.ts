import type { ProbeModelConfig } from './modelConfig.js';
import { emitWeight, type ExternalStore } from './externalData.js';
import { GraphBuilder, ONNX_FLOAT, ONNX_INT64 } from './onnxGraph.js';
import type { ResolvedWeights } from './resolveWeights.js';
import { GraphOps, OPENAI_BLOCK } from './graphOps.js';
import { resnetImageFeatures } from './resnetGraph.js';
import { siglipImageFeatures, siglipTextFeatures } from './siglipGraph.js';

/**
 * The CLIP zero-shot forward pass as an ONNX graph, written against canonical (OpenAI) names:
 *
 *   pixel_values [N,3,S,S] → patch Conv → [cls; patches] + pos → ln_pre → blocks → ln_post(cls) @ visual.proj
 *                            (or the ModifiedResNet tower with its attention pool: resnetGraph.ts)
 *   input_ids [M,L]        → token emb + pos → causal blocks → ln_final → EOT pooling @ text_projection
 *   both L2-normalised; logits_per_image = exp(logit_scale) · img · txtᵀ
 *   SigLIP (siglipGraph.ts): timm ViT + MAP head, bidirectional text tower pooled at the last
 *   position, and logits_per_image = exp(logit_scale) · img · txtᵀ + logit_bias (sigmoid scoring)
 *
 * Plain opset-17 ops only (Gemm with transB for torch's [out,in] Linear weights — no Transpose of
 * big weights, which ORT would constant-fold slowly), so any execution provider can run it.
 * Activations are kept 2-D [rows, width] between attention blocks so every Linear is one Gemm.
 */
export const GRAPH_INPUTS = { pixels: 'pixel_values', ids: 'input_ids' } as const;
export const GRAPH_OUTPUTS = { image: 'image_embeds', text: 'text_embeds', logits: 'logits_per_image' } as const;

/** `onLayer(done, what)` is called after each transformer layer / ResNet block (image tower first). */
export async function buildClipGraph(cfg: ProbeModelConfig, weights: ResolvedWeights, store: ExternalStore, onLayer?: (done: number, what: string) => void): Promise<Uint8Array> {
  const g = new GraphBuilder();
  let layersDone = 0;
  const layerDone = (what: string) => onLayer?.(++layersDone, what);
  const cache = new Map<string, string>();
  const W = async (name: string): Promise<string> => {
    const hit = cache.get(name);
    if (hit) return hit;
    const r = weights.byName.get(name);
    if (!r) throw new Error(`internal: no resolved weight ${name}`);
    const v = await emitWeight(g, store, r);
    cache.set(name, v);
    return v;
  };
  const v = cfg.vision;
  const t = cfg.text;
  const pixels = g.input(GRAPH_INPUTS.pixels, ONNX_FLOAT, ['N', 3, v.imageSize, v.imageSize]);
  const ids = g.input(GRAPH_INPUTS.ids, ONNX_INT64, ['M', t.contextLength]);

  const ops = new GraphOps(g, W, cfg.activation, cfg.layerNormEps);
  const layerNorm = (x: string, prefix: string) => ops.layerNorm(x, prefix);

  // ---- image tower
  let imgFeat: string;
  if (v.kind === 'resnet') {
    imgFeat = await resnetImageFeatures(g, W, pixels, v);
    layersDone += v.stages.reduce((a, b) => a + b, 0) - 1;
    layerDone('image tower (ResNet blocks)');
  } else if (v.kind === 'siglip') {
    imgFeat = await siglipImageFeatures(ops, pixels, v, layerDone);
  } else {
    const grid = v.imageSize / v.patch;
    const conv = g.op('Conv', [pixels, await W('visual.conv1.weight')], { kernel_shape: [v.patch, v.patch], strides: [v.patch, v.patch] });
    const patches = g.op('Transpose', [g.op('Reshape', [conv, g.int64Const([0, v.width, grid * grid])])], { perm: [0, 2, 1] });
    // The class token broadcast to [N,1,D]: N is dynamic, so the target shape is built from Shape(pixels).
    const n = g.op('Slice', [g.op('Shape', [pixels]), g.int64Const([0]), g.int64Const([1])]);
    const clsShape = g.op('Concat', [n, g.int64Const([1, v.width])], { axis: 0 });
    const cls = g.op('Expand', [g.op('Reshape', [await W('visual.class_embedding'), g.int64Const([1, 1, v.width])]), clsShape]);
    let xi = g.op('Add', [g.op('Concat', [cls, patches], { axis: 1 }), await W('visual.positional_embedding')]);
    xi = g.op('Reshape', [await layerNorm(xi, 'visual.ln_pre'), g.int64Const([-1, v.width])]);
    for (let i = 0; i < v.layers; i++) {
      xi = await ops.block(xi, `visual.transformer.resblocks.${i}.`, OPENAI_BLOCK, v.tokens, v.width, v.heads, v.layerScale);
      layerDone(`image layer ${i + 1}/${v.layers}`);
    }
    const clsOut = g.op('Gather', [g.op('Reshape', [xi, g.int64Const([-1, v.tokens, v.width])]), g.int64Const([0], [])], { axis: 1 });
    imgFeat = g.op('MatMul', [await layerNorm(clsOut, 'visual.ln_post'), await W('visual.proj')]);
    if (v.projBias) imgFeat = g.op('Add', [imgFeat, await W('visual.proj_bias')]);
  }

  // ---- text tower
  const textOps = cfg.textActivation ? new GraphOps(g, W, cfg.textActivation, cfg.layerNormEps) : ops;
  const txtFeat = cfg.architecture === 'siglip' ? await siglipTextFeatures(textOps, ids, t, cfg.textProjection !== 'none', layerDone) : await clipTextFeatures();
  async function clipTextFeatures(): Promise<string> {
    const L = t.contextLength;
    const causal = new Float32Array(L * L);
    for (let r = 0; r < L; r++) for (let c = r + 1; c < L; c++) causal[r * L + c] = -Infinity;
    const mask = g.floatConst(causal, [L, L], 'causal_mask');
    let xt = g.op('Add', [g.op('Gather', [await W('token_embedding.weight'), ids], { axis: 0 }), await W('positional_embedding')]);
    xt = g.op('Reshape', [xt, g.int64Const([-1, t.width])]);
    for (let i = 0; i < t.layers; i++) {
      xt = await ops.block(xt, `transformer.resblocks.${i}.`, OPENAI_BLOCK, L, t.width, t.heads, t.layerScale, mask);
      layerDone(`text layer ${i + 1}/${t.layers}`);
    }
    const xt3 = g.op('Reshape', [await layerNorm(xt, 'ln_final'), g.int64Const([-1, L, t.width])]);
    // EOT position: argmax over ids (first maximal index), or the first position equal to the eos id.
    const poolSource = cfg.pooling.kind === 'eos' ? g.op('Cast', [g.op('Equal', [ids, g.int64Const([cfg.pooling.eosTokenId], [])])], { to: ONNX_FLOAT }) : g.op('Cast', [ids], { to: ONNX_FLOAT });
    const eot = g.op('ArgMax', [poolSource], { axis: -1, keepdims: 1 });
    const pooled = g.op('GatherND', [xt3, eot], { batch_dims: 1 });
    return g.op('MatMul', [pooled, await W('text_projection')]);
  }

  // ---- joint space
  const l2 = (x: string) => g.op('Div', [x, g.op('ReduceL2', [x], { axes: [1], keepdims: 1 })], {}, 'l2norm');
  const img = l2(imgFeat);
  const txt = l2(txtFeat);
  const scale = g.op('Exp', [g.op('Reshape', [await W('logit_scale'), g.int64Const([], [0])])]);
  let logits = g.op('Mul', [g.op('MatMul', [img, g.op('Transpose', [txt], { perm: [1, 0] })]), scale]);
  // SigLIP: a per-pair logit, sigmoid(logits) is the probability that the pair matches.
  if (cfg.scoring === 'sigmoid') logits = g.op('Add', [logits, g.op('Reshape', [await W('logit_bias'), g.int64Const([], [0])])]);
  g.outputAs(img, GRAPH_OUTPUTS.image, ONNX_FLOAT, ['N', cfg.embedDim]);
  g.outputAs(txt, GRAPH_OUTPUTS.text, ONNX_FLOAT, ['M', cfg.embedDim]);
  g.outputAs(logits, GRAPH_OUTPUTS.logits, ONNX_FLOAT, ['N', 'M']);
  return g.serialize('clip_zero_shot', `CLIP zero-shot forward built by checkpoint-lens (activation ${cfg.activation}, pooling ${cfg.pooling.kind})`);
}
