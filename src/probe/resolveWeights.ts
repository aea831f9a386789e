import type { CanonicalWeight, CanonicalWeights } from './canonicalWeights.js';
import { expectedTensors, RESNET_STRIDE, type ProbeModelConfig } from './modelConfig.js';

/**
 * Decides, for every tensor the forward pass needs, whether it comes from the checkpoint or is
 * initialised randomly as open_clip's `CLIP.initialize_parameters` would do for a missing key
 * (a fixed seed, so two runs agree). The random ones are listed in the report: this is exactly
 * what a user gets when they load a vision-only file into a full CLIP and do not notice.
 */
export type ResolvedWeight =
  | { readonly kind: 'checkpoint'; readonly name: string; readonly shape: readonly number[]; readonly weight: CanonicalWeight }
  | { readonly kind: 'random'; readonly name: string; readonly shape: readonly number[]; readonly values: Float32Array; readonly init: string };

export interface ResolvedWeights {
  readonly byName: ReadonlyMap<string, ResolvedWeight>;
  /** Random-initialised tensors grouped by tower, for the report. */
  readonly randomInitialized: { readonly tower: 'vision' | 'text' | 'shared'; readonly tensors: readonly string[]; readonly whole: boolean }[];
}

export type ResolveResult = { ok: true; value: ResolvedWeights } | { ok: false; code: string; message: string };

export const DEFAULT_INIT_SEED = 0x5eed;
/** Random tensors are materialised in memory; declared shapes are attacker-controlled, so bound them. */
export const MAX_RANDOM_PARAMETERS = 1.5e9;

export function resolveWeights(w: CanonicalWeights, cfg: ProbeModelConfig, seed = DEFAULT_INIT_SEED): ResolveResult {
  const byName = new Map<string, ResolvedWeight>();
  const missing = { vision: [] as string[], text: [] as string[], shared: [] as string[] };
  const total = { vision: 0, text: 0, shared: 0 };
  let randomParams = 0;
  for (const e of expectedTensors(cfg)) {
    total[e.tower]++;
    const have = w.tensors.get(e.name);
    if (have) {
      // A `reshape` source only needs the same values (transformers' [T, D] position table for timm's [1, T, D]).
      if (!sameShape(have.shape, e.shape) && !(have.transform === 'reshape' && numel(have.shape) === numel(e.shape))) {
        return { ok: false, code: 'probe-shape-mismatch', message: `${e.name} has shape [${have.shape.join(', ')}] but the model built from the other tensors needs [${e.shape.join(', ')}].` };
      }
      byName.set(e.name, { kind: 'checkpoint', name: e.name, shape: e.shape, weight: have });
      continue;
    }
    randomParams += e.shape.reduce((a, b) => a * b, 1);
    if (randomParams > MAX_RANDOM_PARAMETERS) {
      return { ok: false, code: 'probe-random-init-too-large', message: `the missing tensors would need more than ${MAX_RANDOM_PARAMETERS.toExponential(1)} randomly initialised parameters (at ${e.name}); check the declared shapes or pass --target.` };
    }
    const { values, init } = initialValues(e.name, e.shape, cfg, seed);
    byName.set(e.name, { kind: 'random', name: e.name, shape: e.shape, values, init });
    missing[e.tower].push(e.name);
  }
  const randomInitialized = (['vision', 'text', 'shared'] as const)
    .filter((t) => missing[t].length > 0)
    .map((tower) => ({ tower, tensors: missing[tower], whole: missing[tower].length === total[tower] }));
  return { ok: true, value: { byName, randomInitialized } };
}

const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** `[]` and `[1]` are the same scalar (open_clip reshapes between them when loading `logit_scale`). */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  const n = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);
  if (b.length === 0 || a.length === 0) return n(a) === 1 && n(b) === 1;
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** open_clip `CLIP.initialize_parameters` + PyTorch module defaults, per canonical name. */
function initialValues(name: string, shape: readonly number[], cfg: ProbeModelConfig, seed: number): { values: Float32Array; init: string } {
  const count = shape.reduce((a, b) => a * b, 1);
  const rnd = normalStream(seed, name);
  const normal = (std: number) => {
    const v = new Float32Array(count);
    for (let i = 0; i < count; i++) v[i] = rnd() * std;
    return { values: v, init: `normal(0, ${std.toPrecision(4)})` };
  };
  const fill = (x: number, init: string) => ({ values: new Float32Array(count).fill(x), init });
  const uniform = (bound: number) => {
    const u = uniformStream(seed, name);
    const v = new Float32Array(count);
    for (let i = 0; i < count; i++) v[i] = (u() * 2 - 1) * bound;
    return { values: v, init: `uniform(±${bound.toPrecision(4)})` };
  };
  const vision = cfg.vision;
  if (cfg.architecture === 'siglip') {
    // SigLIP (open_clip / timm / transformers inits): logit_scale log 10, logit_bias −10, LayerNorms
    // 1 / 0, Linear and conv biases 0, the MAP latent N(0, D^-½), other weights N(0, 0.02).
    if (name === 'logit_scale') return fill(Math.log(10), 'log(10) (SigLIP init)');
    if (name === 'logit_bias') return fill(-10, '−10 (SigLIP init)');
    if (/(norm\d?|ln_\d|ln_final|attn_pool\.norm)\.weight$/.test(name)) return fill(1, 'ones (LayerNorm)');
    if (name.endsWith('.bias') || name.endsWith('in_proj_bias')) return fill(0, 'zeros');
    if (name.endsWith('attn_pool.latent')) return normal(vision.width ** -0.5);
    return normal(0.02);
  }
  if (vision.kind === 'resnet' && name.startsWith('visual.')) {
    // open_clip ModifiedResNet.init_parameters + PyTorch defaults: BN weight 1 (bn3 0, so a block
    // starts as its shortcut), bias/running_mean 0, running_var 1; attention-pool Linear weights
    // N(0, C^-½); convs and Linear biases keep torch's U(±fan_in^-½); pos N(0,1)·C^-½.
    const C = RESNET_STRIDE * vision.width;
    if (name.endsWith('.running_var')) return fill(1, 'ones (BatchNorm running_var)');
    if (name.endsWith('.running_mean')) return fill(0, 'zeros (BatchNorm running_mean)');
    if (/(^visual\.bn\d|\.bn\d|\.downsample\.1)\.bias$/.test(name)) return fill(0, 'zeros (BatchNorm bias)');
    if (/\.layer\d\.\d+\.bn3\.weight$/.test(name)) return fill(0, 'zeros (open_clip bn3 init)');
    if (/(^visual\.bn\d|\.bn\d|\.downsample\.1)\.weight$/.test(name)) return fill(1, 'ones (BatchNorm weight)');
    if (/^visual\.attnpool\.[qkvc]_proj\.weight$/.test(name)) return normal(C ** -0.5);
    if (name.startsWith('visual.attnpool.') && name.endsWith('.bias')) return uniform(C ** -0.5);
    if (name === 'visual.attnpool.positional_embedding') return normal(C ** -0.5);
    // Conv weights [out, in, k, k]: kaiming_uniform(a=√5) = U(±fan_in^-½).
    return uniform(shape.slice(1).reduce((a, b) => a * b, 1) ** -0.5);
  }
  const text = name.startsWith('visual.') ? undefined : cfg.text;
  const vit = vision.kind === 'vit' || vision.kind === undefined ? vision : undefined;
  const D = text ? text.width : vision.width;
  const layers = text ? text.layers : (vit?.layers ?? 0);
  if (name === 'logit_scale') return fill(Math.log(1 / 0.07), 'log(1/0.07)');
  if (/ln_\w+\.weight$|ln_final\.weight$/.test(name)) return fill(1, 'ones (LayerNorm)');
  if (/\.gamma$/.test(name)) return fill(1e-5, 'ls_init_value');
  if (/(ln_\w+|ln_final|in_proj|out_proj)\.?bias$/.test(name) || name.endsWith('in_proj_bias')) return fill(0, 'zeros');
  if (name === 'token_embedding.weight') return normal(0.02);
  if (name === 'positional_embedding') return normal(0.01);
  const attnStd = D ** -0.5;
  const projStd = D ** -0.5 * (2 * layers) ** -0.5;
  if (name.endsWith('attn.in_proj_weight')) return normal(attnStd);
  if (name.endsWith('attn.out_proj.weight') || name.endsWith('mlp.c_proj.weight')) return normal(projStd);
  if (name.endsWith('mlp.c_fc.weight')) return normal((2 * D) ** -0.5);
  if (name.endsWith('mlp.c_fc.bias') || name.endsWith('mlp.c_proj.bias')) {
    // nn.Linear default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
    const fanIn = name.endsWith('c_fc.bias') ? D : name.startsWith('visual.') ? (vit?.mlp ?? D) : cfg.text.mlp;
    return uniform(fanIn ** -0.5);
  }
  // class/positional embeddings and both projections: scale · randn with scale = width^-0.5.
  if (name === 'text_projection') return normal(cfg.text.width ** -0.5);
  if (name.startsWith('visual.')) return normal(cfg.vision.width ** -0.5);
  return normal(0.02);
}

/** xorshift128+ seeded from (seed, name): the same tensor gets the same values whatever else is missing. */
function uniformStream(seed: number, name: string): () => number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  let s0 = (h >>> 0) | 1;
  let s1 = (Math.imul(h, 0x9e3779b1) >>> 0) | 2;
  return () => {
    let x = s0;
    const y = s1;
    s0 = y;
    x ^= x << 23;
    x ^= x >>> 17;
    x ^= y ^ (y >>> 26);
    s1 = x >>> 0;
    return ((s0 + s1) >>> 0) / 4294967296;
  };
}

function normalStream(seed: number, name: string): () => number {
  const u = uniformStream(seed, name);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    // Box–Muller; 1 - u avoids log(0).
    const r = Math.sqrt(-2 * Math.log(1 - u()));
    const th = 2 * Math.PI * u();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
}
