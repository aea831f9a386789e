import type { Activation } from './modelConfig.js';
import { GraphBuilder } from './onnxGraph.js';

/**
 * The transformer pieces the probe's graphs share (CLIP and SigLIP towers): LayerNorm, torch
 * Linear as Gemm(transB), the activations, and one pre-LN residual block whose tensor names are
 * given per layout (OpenAI `ln_1` / `attn.in_proj_weight` …, timm `norm1` / `attn.qkv.weight` …).
 * Activations stay 2-D [rows, width] so every Linear is one Gemm.
 */
export type WeightRef = (name: string) => Promise<string>;

/** Where a block's tensors are, relative to its prefix. */
export interface BlockNames {
  readonly ln1: string;
  readonly qkvWeight: string;
  readonly qkvBias: string;
  readonly out: string;
  readonly ln2: string;
  readonly fc1: string;
  readonly fc2: string;
  readonly ls1?: string;
  readonly ls2?: string;
}

export const OPENAI_BLOCK: BlockNames = { ln1: 'ln_1', qkvWeight: 'attn.in_proj_weight', qkvBias: 'attn.in_proj_bias', out: 'attn.out_proj', ln2: 'ln_2', fc1: 'mlp.c_fc', fc2: 'mlp.c_proj', ls1: 'ls_1.gamma', ls2: 'ls_2.gamma' };
export const TIMM_BLOCK_NAMES: BlockNames = { ln1: 'norm1', qkvWeight: 'attn.qkv.weight', qkvBias: 'attn.qkv.bias', out: 'attn.proj', ln2: 'norm2', fc1: 'mlp.fc1', fc2: 'mlp.fc2' };

export class GraphOps {
  constructor(
    readonly g: GraphBuilder,
    readonly W: WeightRef,
    private readonly act: Activation,
    private readonly eps: number,
  ) {}

  async layerNorm(x: string, prefix: string): Promise<string> {
    return this.g.op('LayerNormalization', [x, await this.W(`${prefix}.weight`), await this.W(`${prefix}.bias`)], { axis: -1, epsilon: { float: this.eps } }, 'ln');
  }

  async linear(x: string, prefix: string): Promise<string> {
    return this.g.op('Gemm', [x, await this.W(`${prefix}.weight`), await this.W(`${prefix}.bias`)], { transB: 1 }, 'linear');
  }

  activation(x: string): string {
    const g = this.g;
    if (this.act === 'quickgelu') return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.floatConst([1.702], [])])])], {}, 'quickgelu');
    if (this.act === 'gelu_tanh') {
      // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.floatConst([0.044715], [])])]), g.floatConst([Math.sqrt(2 / Math.PI)], [])]);
      return g.op('Mul', [g.op('Mul', [x, g.floatConst([0.5], [])]), g.op('Add', [g.op('Tanh', [inner]), g.floatConst([1], [])])], {}, 'gelu_tanh');
    }
    // Exact GELU: 0.5·x·(1 + erf(x/√2)).
    const erf = g.op('Erf', [g.op('Mul', [x, g.floatConst([Math.SQRT1_2], [])])]);
    return g.op('Mul', [g.op('Mul', [x, g.floatConst([0.5], [])]), g.op('Add', [erf, g.floatConst([1], [])])], {}, 'gelu');
  }

  /** Multi-head attention of q [B·Tq, D] over k, v [B·Tk, D] (already projected); returns [B·Tq, D]. */
  attention(q: string, k: string, v: string, Tq: number, Tk: number, D: number, H: number, mask?: string): string {
    const g = this.g;
    const hd = D / H;
    const heads = (x: string, T: number, perm: number[]) => g.op('Transpose', [g.op('Reshape', [x, g.int64Const([-1, T, H, hd])])], { perm });
    const qh = heads(g.op('Mul', [q, g.floatConst([1 / Math.sqrt(hd)], [])]), Tq, [0, 2, 1, 3]);
    const kh = heads(k, Tk, [0, 2, 3, 1]);
    const vh = heads(v, Tk, [0, 2, 1, 3]);
    let scores = g.op('MatMul', [qh, kh], {}, 'scores');
    if (mask) scores = g.op('Add', [scores, mask]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    return g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] }), g.int64Const([-1, D])]);
  }

  /** One pre-LN residual block on x [B·T, D]; `mask` is an additive [T,T] attention bias. */
  async block(x: string, prefix: string, names: BlockNames, T: number, D: number, H: number, layerScale: boolean, mask?: string): Promise<string> {
    const g = this.g;
    const h = await this.layerNorm(x, `${prefix}${names.ln1}`);
    const qkv = g.op('Gemm', [h, await this.W(`${prefix}${names.qkvWeight}`), await this.W(`${prefix}${names.qkvBias}`)], { transB: 1 }, 'qkv');
    const [q, k, v] = g.opN('Split', [qkv, g.int64Const([D, D, D])], 3, { axis: 1 }, 'split') as [string, string, string];
    let a = await this.linear(this.attention(q, k, v, T, T, D, H, mask), `${prefix}${names.out}`);
    if (layerScale && names.ls1) a = g.op('Mul', [a, await this.W(`${prefix}${names.ls1}`)]);
    const x1 = g.op('Add', [x, a], {}, 'resid');
    let f = await this.linear(this.activation(await this.linear(await this.layerNorm(x1, `${prefix}${names.ln2}`), `${prefix}${names.fc1}`)), `${prefix}${names.fc2}`);
    if (layerScale && names.ls2) f = g.op('Mul', [f, await this.W(`${prefix}${names.ls2}`)]);
    return g.op('Add', [x1, f], {}, 'resid');
  }
}
