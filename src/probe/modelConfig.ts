import type { CanonicalWeights } from './canonicalWeights.js';

/**
 * The shape of the CLIP forward pass the probe builds, read back from canonical tensor shapes the
 * way OpenAI's `build_model` does (schemas §1.7). When a whole tower is absent its config falls
 * back to the open_clip default that matches the other tower (text width = embed dim, 12 layers),
 * which is what a loader would instantiate before initialising it randomly.
 */
export type Activation = 'quickgelu' | 'gelu';
/** EOT pooling: OpenAI/open_clip take argmax(ids) (EOT has the largest id); new HF configs the first eos id. */
export type TextPooling = { readonly kind: 'argmax' } | { readonly kind: 'eos'; readonly eosTokenId: number };

export interface VisionShape {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlp: number;
  readonly patch: number;
  readonly imageSize: number;
  /** Tokens per image: (imageSize / patch)² + 1. */
  readonly tokens: number;
  readonly layerScale: boolean;
  /** timm heads carry a projection bias (`visual.proj_bias`, probe-only canonical name). */
  readonly projBias?: boolean;
}

export interface TextShape {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlp: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly layerScale: boolean;
}

export interface ProbeModelConfig {
  readonly vision: VisionShape;
  readonly text: TextShape;
  readonly embedDim: number;
  readonly activation: Activation;
  /** Where the activation choice came from, for the report ("override", "config.json hidden_act", ...). */
  readonly activationSource: string;
  readonly pooling: TextPooling;
  readonly layerNormEps: number;
  /** The open_clip config whose head counts / missing-tower shapes were used, if any. */
  readonly namedConfig?: string;
}

export interface ConfigHints {
  readonly activation?: { readonly value: Activation; readonly source: string };
  readonly visionHeads?: number;
  readonly textHeads?: number;
  readonly pooling?: TextPooling;
  /** Used only when both projections are missing. */
  readonly embedDim?: number;
  /** Shape of a tower the checkpoint lacks (from a named config); default: the open_clip pairing. */
  readonly missingText?: TextShape;
  readonly missingVision?: VisionShape;
  /** Name of the open_clip config the hints came from (reported). */
  readonly namedConfig?: string;
}

export type ConfigResult = { ok: true; config: ProbeModelConfig } | { ok: false; code: string; message: string };

const dim = (w: CanonicalWeights, name: string, i: number): number | undefined => {
  const s = w.tensors.get(name)?.shape;
  if (!s) return undefined;
  return s[i < 0 ? s.length + i : i];
};

function countLayers(w: CanonicalWeights, prefix: string): number {
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}(\\d+)\\.`);
  let max = -1;
  for (const n of w.tensors.keys()) {
    const m = re.exec(n);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max + 1;
}

function headsFor(width: number, hint: number | undefined): number {
  // OpenAI derives heads = width // 64; tiny test models (width < 64) get one head.
  const h = hint ?? Math.max(1, Math.floor(width / 64));
  return h;
}

export function deriveConfig(w: CanonicalWeights, hints: ConfigHints = {}): ConfigResult {
  if (w.tensors.has('visual.attnpool.c_proj.weight') || w.tensors.has('visual.layer1.0.conv1.weight')) {
    return { ok: false, code: 'probe-unsupported-architecture', message: 'ModifiedResNet (RN50…) image towers are not supported by the probe yet; only ViT towers are.' };
  }
  if (w.tensors.has('visual.attn_pool.query') || w.tensors.has('cls_emb')) {
    return { ok: false, code: 'probe-unsupported-architecture', message: 'CoCa models (attentional pooler) are not supported by the probe yet.' };
  }
  // Embedding dim: from whichever projection exists.
  const embedDim = dim(w, 'visual.proj', 1) ?? dim(w, 'text_projection', 1) ?? hints.embedDim;
  const hasVision = w.tensors.has('visual.conv1.weight');
  const hasText = w.tensors.has('token_embedding.weight') || w.tensors.has('ln_final.weight');
  if (!hasVision && !hasText) return { ok: false, code: 'probe-no-clip-tower', message: 'No CLIP image or text tower was found in this checkpoint (no visual.conv1.weight, no token_embedding.weight).' };
  if (embedDim === undefined) return { ok: false, code: 'probe-no-embed-dim', message: 'Neither visual.proj nor text_projection is present, so the joint embedding size is unknown.' };

  let vision: VisionShape;
  if (hasVision) {
    const width = dim(w, 'visual.conv1.weight', 0)!;
    const patch = dim(w, 'visual.conv1.weight', -1)!;
    const tokens = dim(w, 'visual.positional_embedding', 0);
    if (tokens === undefined) return { ok: false, code: 'probe-incomplete-tower', message: 'visual.positional_embedding is missing, so the image size is unknown.' };
    const grid = Math.round(Math.sqrt(tokens - 1));
    if (grid * grid + 1 !== tokens) return { ok: false, code: 'probe-unsupported-architecture', message: `visual.positional_embedding has ${tokens} rows, not a square patch grid plus a class token.` };
    const layers = countLayers(w, 'visual.transformer.resblocks.');
    const mlp = dim(w, 'visual.transformer.resblocks.0.mlp.c_fc.weight', 0) ?? 4 * width;
    vision = {
      width,
      layers,
      heads: headsFor(width, hints.visionHeads),
      mlp,
      patch,
      imageSize: grid * patch,
      tokens,
      layerScale: w.tensors.has('visual.transformer.resblocks.0.ls_1.gamma'),
      ...(w.tensors.has('visual.proj_bias') ? { projBias: true } : {}),
    };
  } else if (hints.missingVision) {
    vision = hints.missingVision;
  } else {
    // A text-only file: instantiate the ViT-B/16 image tower that pairs with the common text towers.
    const width = 768;
    vision = { width, layers: 12, heads: headsFor(width, hints.visionHeads), mlp: 4 * width, patch: 16, imageSize: 224, tokens: 197, layerScale: false };
  }

  let text: TextShape;
  if (hasText) {
    const width = dim(w, 'ln_final.weight', 0) ?? dim(w, 'token_embedding.weight', 1)!;
    text = {
      width,
      layers: countLayers(w, 'transformer.resblocks.'),
      heads: headsFor(width, hints.textHeads),
      mlp: dim(w, 'transformer.resblocks.0.mlp.c_fc.weight', 0) ?? 4 * width,
      contextLength: dim(w, 'positional_embedding', 0) ?? 77,
      vocabSize: dim(w, 'token_embedding.weight', 0) ?? 49408,
      layerScale: w.tensors.has('transformer.resblocks.0.ls_1.gamma'),
    };
  } else if (hints.missingText) {
    text = hints.missingText;
  } else {
    // open_clip's ViT configs pair a text tower whose width equals the embed dim (B: 512, L: 768, H: 1024).
    const width = embedDim;
    text = { width, layers: 12, heads: headsFor(width, hints.textHeads), mlp: 4 * width, contextLength: 77, vocabSize: 49408, layerScale: false };
  }
  for (const [label, s] of [['image', vision], ['text', text]] as const) {
    if (s.width % s.heads !== 0) return { ok: false, code: 'probe-bad-heads', message: `${label} width ${s.width} is not divisible by ${s.heads} attention heads.` };
    if (s.layers === 0) return { ok: false, code: 'probe-incomplete-tower', message: `the ${label} tower has no transformer blocks.` };
  }
  const activation = hints.activation ?? { value: 'quickgelu' as const, source: 'default for OpenAI-layout weights (QuickGELU is invisible in the state dict)' };
  return {
    ok: true,
    config: {
      vision,
      text,
      embedDim,
      activation: activation.value,
      activationSource: activation.source,
      pooling: hints.pooling ?? { kind: 'argmax' },
      layerNormEps: 1e-5,
      ...(hints.namedConfig ? { namedConfig: hints.namedConfig } : {}),
    },
  };
}

/** Every canonical tensor the forward pass reads, with its shape. Layer-scale tensors only when the config has them. */
export function expectedTensors(c: ProbeModelConfig): { name: string; shape: number[]; tower: 'vision' | 'text' | 'shared' }[] {
  const out: { name: string; shape: number[]; tower: 'vision' | 'text' | 'shared' }[] = [];
  const v = c.vision;
  const t = c.text;
  const block = (prefix: string, D: number, M: number, ls: boolean, tower: 'vision' | 'text') => {
    out.push(
      { name: `${prefix}ln_1.weight`, shape: [D], tower },
      { name: `${prefix}ln_1.bias`, shape: [D], tower },
      { name: `${prefix}attn.in_proj_weight`, shape: [3 * D, D], tower },
      { name: `${prefix}attn.in_proj_bias`, shape: [3 * D], tower },
      { name: `${prefix}attn.out_proj.weight`, shape: [D, D], tower },
      { name: `${prefix}attn.out_proj.bias`, shape: [D], tower },
      { name: `${prefix}ln_2.weight`, shape: [D], tower },
      { name: `${prefix}ln_2.bias`, shape: [D], tower },
      { name: `${prefix}mlp.c_fc.weight`, shape: [M, D], tower },
      { name: `${prefix}mlp.c_fc.bias`, shape: [M], tower },
      { name: `${prefix}mlp.c_proj.weight`, shape: [D, M], tower },
      { name: `${prefix}mlp.c_proj.bias`, shape: [D], tower },
    );
    if (ls) out.push({ name: `${prefix}ls_1.gamma`, shape: [D], tower }, { name: `${prefix}ls_2.gamma`, shape: [D], tower });
  };
  out.push(
    { name: 'visual.class_embedding', shape: [v.width], tower: 'vision' },
    { name: 'visual.positional_embedding', shape: [v.tokens, v.width], tower: 'vision' },
    { name: 'visual.conv1.weight', shape: [v.width, 3, v.patch, v.patch], tower: 'vision' },
    { name: 'visual.ln_pre.weight', shape: [v.width], tower: 'vision' },
    { name: 'visual.ln_pre.bias', shape: [v.width], tower: 'vision' },
  );
  for (let i = 0; i < v.layers; i++) block(`visual.transformer.resblocks.${i}.`, v.width, v.mlp, v.layerScale, 'vision');
  out.push(
    { name: 'visual.ln_post.weight', shape: [v.width], tower: 'vision' },
    { name: 'visual.ln_post.bias', shape: [v.width], tower: 'vision' },
    { name: 'visual.proj', shape: [v.width, c.embedDim], tower: 'vision' },
    ...(v.projBias ? [{ name: 'visual.proj_bias', shape: [c.embedDim], tower: 'vision' as const }] : []),
    { name: 'token_embedding.weight', shape: [t.vocabSize, t.width], tower: 'text' },
    { name: 'positional_embedding', shape: [t.contextLength, t.width], tower: 'text' },
  );
  for (let i = 0; i < t.layers; i++) block(`transformer.resblocks.${i}.`, t.width, t.mlp, t.layerScale, 'text');
  out.push(
    { name: 'ln_final.weight', shape: [t.width], tower: 'text' },
    { name: 'ln_final.bias', shape: [t.width], tower: 'text' },
    { name: 'text_projection', shape: [t.width, c.embedDim], tower: 'text' },
    { name: 'logit_scale', shape: [], tower: 'shared' },
  );
  return out;
}
