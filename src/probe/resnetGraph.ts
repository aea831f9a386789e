import { resnetBlocks, RESNET_STRIDE, type ResNetShape } from './modelConfig.js';
import type { GraphBuilder } from './onnxGraph.js';

/**
 * OpenAI's ModifiedResNet image tower as ONNX nodes, from canonical `visual.*` names:
 *
 *   stem: 3×(Conv 3×3 → BN → ReLU) (first stride 2) → AvgPool 2
 *   Bottleneck: 1×1 → BN → ReLU → 3×3 → BN → ReLU → AvgPool(stride) → 1×1 → BN, + identity
 *               (downsample: AvgPool(stride) → 1×1 → BN), → ReLU
 *   attention pool: flatten HW, prepend the mean token, + positional embedding, multi-head
 *               attention with only the mean token as query, c_proj (the image projection)
 *
 * BatchNormalization runs in inference mode on the stored running_mean / running_var, as a
 * loaded CLIP does under `model.eval()`. Returns the [N, E] image features (before L2).
 */
export type WeightRef = (name: string) => Promise<string>;

const BN_EPS = 1e-5;

export async function resnetImageFeatures(g: GraphBuilder, W: WeightRef, pixels: string, v: ResNetShape): Promise<string> {
  const conv = async (x: string, name: string, k: number, stride = 1) =>
    g.op('Conv', [x, await W(name)], { kernel_shape: [k, k], strides: [stride, stride], pads: k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0] }, 'conv');
  const bn = async (x: string, p: string) =>
    g.op('BatchNormalization', [x, await W(`${p}.weight`), await W(`${p}.bias`), await W(`${p}.running_mean`), await W(`${p}.running_var`)], { epsilon: { float: BN_EPS } }, 'bn');
  const relu = (x: string) => g.op('Relu', [x]);
  // torch AvgPool2d(s): kernel s, stride s, no padding (floor mode).
  const avgPool = (x: string, s: number) => (s > 1 ? g.op('AveragePool', [x], { kernel_shape: [s, s], strides: [s, s] }, 'avgpool') : x);

  let x = relu(await bn(await conv(pixels, 'visual.conv1.weight', 3, 2), 'visual.bn1'));
  x = relu(await bn(await conv(x, 'visual.conv2.weight', 3), 'visual.bn2'));
  x = relu(await bn(await conv(x, 'visual.conv3.weight', 3), 'visual.bn3'));
  x = avgPool(x, 2);
  for (const b of resnetBlocks(v)) {
    const p = b.prefix;
    let out = relu(await bn(await conv(x, `${p}conv1.weight`, 1), `${p}bn1`));
    out = relu(await bn(await conv(out, `${p}conv2.weight`, 3), `${p}bn2`));
    out = await bn(await conv(avgPool(out, b.stride), `${p}conv3.weight`, 1), `${p}bn3`);
    const identity = b.downsample ? await bn(await conv(avgPool(x, b.stride), `${p}downsample.0.weight`, 1), `${p}downsample.1`) : x;
    x = relu(g.op('Add', [out, identity], {}, 'resid'));
  }

  // Attention pool on [N, C, G, G] → tokens [N, T, C] with T = G² + 1.
  const C = RESNET_STRIDE * v.width;
  const T = v.tokens;
  const H = v.heads;
  const hd = C / H;
  const grid = g.op('Transpose', [g.op('Reshape', [x, g.int64Const([0, C, -1])])], { perm: [0, 2, 1] });
  const mean = g.op('ReduceMean', [grid], { axes: [1], keepdims: 1 });
  const tokens = g.op('Add', [g.op('Concat', [mean, grid], { axis: 1 }), await W('visual.attnpool.positional_embedding')]);
  const linear = async (y: string, p: string) => g.op('Gemm', [y, await W(`${p}.weight`), await W(`${p}.bias`)], { transB: 1 }, 'linear');
  const flat = g.op('Reshape', [tokens, g.int64Const([-1, C])]);
  const query = g.op('Gather', [tokens, g.int64Const([0], [])], { axis: 1 });
  const q = g.op('Mul', [await linear(query, 'visual.attnpool.q_proj'), g.floatConst([1 / Math.sqrt(hd)], [])]);
  const k = await linear(flat, 'visual.attnpool.k_proj');
  const val = await linear(flat, 'visual.attnpool.v_proj');
  const qh = g.op('Reshape', [q, g.int64Const([-1, H, 1, hd])]);
  const kh = g.op('Transpose', [g.op('Reshape', [k, g.int64Const([-1, T, H, hd])])], { perm: [0, 2, 3, 1] });
  const vh = g.op('Transpose', [g.op('Reshape', [val, g.int64Const([-1, T, H, hd])])], { perm: [0, 2, 1, 3] });
  const probs = g.op('Softmax', [g.op('MatMul', [qh, kh], {}, 'scores')], { axis: -1 });
  // [N, H, 1, hd] → [N, C]: heads concatenated in order, as torch's multi_head_attention_forward.
  const ctx = g.op('Reshape', [g.op('MatMul', [probs, vh]), g.int64Const([-1, C])]);
  return linear(ctx, 'visual.attnpool.c_proj');
}
