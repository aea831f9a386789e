import type { CanonicalWeights } from './canonicalWeights.js';
import { siglipExpectedTensors } from './siglipModel.js';

/**
 * The shape of the CLIP forward pass the probe builds, read back from canonical tensor shapes the
 * way OpenAI's `build_model` does (schemas §1.7). When a whole tower is absent its config falls
 * back to the open_clip default that matches the other tower (text width = embed dim, 12 layers),
 * which is what a loader would instantiate before initialising it randomly.
 */
/** `gelu_tanh`: transformers' `gelu_pytorch_tanh` (SigLIP), the tanh approximation of GELU. */
export type Activation = 'quickgelu' | 'gelu' | 'gelu_tanh';
/**
 * EOT pooling: OpenAI/open_clip take argmax(ids) (EOT has the largest id); new HF configs the first
 * eos id; SigLIP the last position (its prompts are padded with the end token, no mask).
 */
export type TextPooling = { readonly kind: 'argmax' } | { readonly kind: 'eos'; readonly eosTokenId: number } | { readonly kind: 'last' };

/** A ViT image tower (patch conv + transformer). `kind` is optional so existing literals stay ViT. */
export interface VitShape {
  readonly kind?: 'vit';
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

/**
 * OpenAI's ModifiedResNet image tower (schemas §1.6): 3-conv stem + avgpool, four stages of
 * Bottleneck blocks (expansion 4; stages 2–4 downsample by 2 with an AvgPool), attention pool
 * over the (imageSize/32)² grid whose `c_proj` is the image projection.
 */
export interface ResNetShape {
  readonly kind: 'resnet';
  /** Stem width (64 for RN50); the attention pool works at 32 × width. */
  readonly width: number;
  /** Bottleneck blocks per stage (RN50: [3, 4, 6, 3]). */
  readonly stages: readonly [number, number, number, number];
  /** Attention-pool heads (OpenAI: width · 32 / 64). */
  readonly heads: number;
  readonly imageSize: number;
  /** Attention-pool tokens: (imageSize / 32)² + 1 (the mean token first). */
  readonly tokens: number;
}

/**
 * SigLIP's image tower (timm ViT as open_clip and transformers build it): patch conv with bias, no
 * class token, position embedding over the patch grid, pre-LN blocks, a final norm, then the MAP
 * head (one learned latent query attends over all tokens, + an MLP residual) whose output is the
 * image embedding (no projection).
 */
export interface SiglipVisionShape {
  readonly kind: 'siglip';
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlp: number;
  /** The MAP head's MLP width. */
  readonly mapMlp: number;
  readonly patch: number;
  readonly imageSize: number;
  /** Patch tokens: (imageSize / patch)² (no class token). */
  readonly tokens: number;
}

export type VisionShape = VitShape | ResNetShape | SiglipVisionShape;

/** The ResNet's total downsampling: stem stride 2, stem avgpool 2, three stride-2 stages. */
export const RESNET_STRIDE = 32;

export interface TextShape {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlp: number;
  readonly contextLength: number;
  readonly vocabSize: number;
  readonly layerScale: boolean;
  /** Causal attention mask (CLIP); SigLIP's text tower attends both ways. Default true. */
  readonly causal?: boolean;
}

export interface ProbeModelConfig {
  /** `siglip`: open_clip / transformers SigLIP names and forward (siglipModel.ts); default CLIP. */
  readonly architecture?: 'clip' | 'siglip';
  readonly vision: VisionShape;
  readonly text: TextShape;
  readonly embedDim: number;
  readonly activation: Activation;
  /** Where the activation choice came from, for the report ("override", "config.json hidden_act", ...). */
  readonly activationSource: string;
  /** The text tower's activation where it differs from the image tower's (open_clip SigLIP 2: tanh-GELU text, exact-GELU timm trunk). */
  readonly textActivation?: Activation;
  readonly pooling: TextPooling;
  readonly layerNormEps: number;
  /** `sigmoid`: SigLIP, logits = exp(logit_scale)·cos + logit_bias scored per pair; default `softmax` (CLIP). */
  readonly scoring?: 'softmax' | 'sigmoid';
  /** SigLIP text tower without a projection (open_clip `proj_type: none`): the pooled text is the embedding. */
  readonly textProjection?: 'none';
  /** The open_clip config whose head counts / missing-tower shapes were used, if any. */
  readonly namedConfig?: string;
}

export interface ConfigHints {
  readonly activation?: { readonly value: Activation; readonly source: string };
  /** The text tower's own activation (open_clip `text_cfg.act_kwargs`), when it differs. */
  readonly textActivation?: { readonly value: Activation; readonly source: string };
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
  if (w.tensors.has('visual.attn_pool.query') || w.tensors.has('cls_emb')) {
    return { ok: false, code: 'probe-unsupported-architecture', message: 'CoCa models (attentional pooler) are not supported by the probe yet.' };
  }
  const isResNet = w.tensors.has('visual.attnpool.c_proj.weight') || w.tensors.has('visual.layer1.0.conv1.weight');
  // Embedding dim: from whichever projection exists (a ResNet's projection is attnpool.c_proj, [E, 32w]).
  const embedDim = dim(w, 'visual.proj', 1) ?? dim(w, 'visual.attnpool.c_proj.weight', 0) ?? dim(w, 'text_projection', 1) ?? hints.embedDim;
  const hasVision = w.tensors.has('visual.conv1.weight') || isResNet;
  const hasText = w.tensors.has('token_embedding.weight') || w.tensors.has('ln_final.weight');
  if (!hasVision && !hasText) return { ok: false, code: 'probe-no-clip-tower', message: 'No CLIP image or text tower was found in this checkpoint (no visual.conv1.weight, no token_embedding.weight).' };
  if (embedDim === undefined) return { ok: false, code: 'probe-no-embed-dim', message: 'Neither visual.proj nor text_projection is present, so the joint embedding size is unknown.' };

  let vision: VisionShape;
  if (isResNet) {
    // OpenAI tells the two apart by visual.proj (ViT only); a file with both is not one model.
    if (w.tensors.has('visual.proj') || w.tensors.has('visual.class_embedding')) return { ok: false, code: 'probe-unsupported-architecture', message: 'the image tower has both ViT (visual.proj / visual.class_embedding) and ModifiedResNet (visual.layer1 / visual.attnpool) keys.' };
    const r = resnetShape(w, hints.visionHeads);
    if (!r.ok) return r;
    vision = r.shape;
  } else if (hasVision) {
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
  const towers = [['text', text.width, text.heads, text.layers]] as [string, number, number, number][];
  if (vision.kind === 'resnet') towers.unshift(['image attention-pool', RESNET_STRIDE * vision.width, vision.heads, 1]);
  else towers.unshift(['image', vision.width, vision.heads, vision.layers]);
  for (const [label, width, heads, layers] of towers) {
    if (!(heads >= 1) || width % heads !== 0) return { ok: false, code: 'probe-bad-heads', message: `${label} width ${width} is not divisible by ${heads} attention heads.` };
    if (layers === 0) return { ok: false, code: 'probe-incomplete-tower', message: `the ${label} tower has no transformer blocks.` };
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

/**
 * A ModifiedResNet's shape read back from its keys as OpenAI's `build_model` does: width from
 * `layer1.0.conv1` rows, blocks per `layer{k}` prefix, image size from the attention pool's
 * positional rows ((rows − 1)^½ × 32). Every other shape is then checked against this by
 * `resolveWeights` (a wrong one is `probe-shape-mismatch`).
 */
function resnetShape(w: CanonicalWeights, headsHint: number | undefined): { ok: true; shape: ResNetShape } | { ok: false; code: string; message: string } {
  const width = dim(w, 'visual.layer1.0.conv1.weight', 0) ?? dim(w, 'visual.conv3.weight', 0);
  if (width === undefined || width < 2 || width % 2 !== 0) return { ok: false, code: 'probe-incomplete-tower', message: 'the ResNet image tower has no usable visual.layer1.0.conv1.weight / visual.conv3.weight (its stem width is unknown or odd).' };
  const stages = [1, 2, 3, 4].map((k) => countLayers(w, `visual.layer${k}.`)) as [number, number, number, number];
  const empty = stages.findIndex((n) => n === 0);
  if (empty >= 0) return { ok: false, code: 'probe-incomplete-tower', message: `the ResNet image tower has no visual.layer${empty + 1} blocks.` };
  const tokens = dim(w, 'visual.attnpool.positional_embedding', 0);
  if (tokens === undefined) return { ok: false, code: 'probe-incomplete-tower', message: 'visual.attnpool.positional_embedding is missing, so the image size is unknown.' };
  const grid = Math.round(Math.sqrt(tokens - 1));
  if (grid < 1 || grid * grid + 1 !== tokens) return { ok: false, code: 'probe-unsupported-architecture', message: `visual.attnpool.positional_embedding has ${tokens} rows, not a square grid plus a mean token.` };
  // OpenAI: heads = width · 32 / 64 (head width 64 at the pool's 32·width channels).
  const heads = headsHint ?? Math.max(1, Math.floor((width * RESNET_STRIDE) / 64));
  return { ok: true, shape: { kind: 'resnet', width, stages, heads, imageSize: grid * RESNET_STRIDE, tokens } };
}

/** Every canonical tensor the forward pass reads, with its shape. Layer-scale tensors only when the config has them. */
export function expectedTensors(c: ProbeModelConfig): { name: string; shape: number[]; tower: 'vision' | 'text' | 'shared' }[] {
  if (c.vision.kind === 'siglip') return siglipExpectedTensors(c);
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
  if (v.kind === 'resnet') out.push(...resnetTensors(v, c.embedDim));
  else {
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
    );
  }
  out.push(
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

/** Every Bottleneck block in order (prefix, widths, stride, whether it has a downsample path), as OpenAI's `_make_layer` builds them. */
export function resnetBlocks(v: ResNetShape): { prefix: string; inplanes: number; planes: number; stride: number; downsample: boolean }[] {
  const out: { prefix: string; inplanes: number; planes: number; stride: number; downsample: boolean }[] = [];
  let inplanes = v.width;
  v.stages.forEach((blocks, k) => {
    const planes = v.width * 2 ** k;
    for (let i = 0; i < blocks; i++) {
      const stride = i === 0 && k > 0 ? 2 : 1;
      // Bottleneck adds a downsample path when the stride or the width changes (only a stage's first block).
      out.push({ prefix: `visual.layer${k + 1}.${i}.`, inplanes, planes, stride, downsample: stride > 1 || inplanes !== planes * 4 });
      inplanes = planes * 4;
    }
  });
  return out;
}

/** The ModifiedResNet tensors the forward reads (BatchNorm's `num_batches_tracked` is not read). */
function resnetTensors(v: ResNetShape, E: number): { name: string; shape: number[]; tower: 'vision' }[] {
  const w = v.width;
  const out: { name: string; shape: number[]; tower: 'vision' }[] = [];
  const t = (name: string, shape: number[]) => out.push({ name, shape, tower: 'vision' });
  const bn = (p: string, C: number) => {
    for (const k of ['weight', 'bias', 'running_mean', 'running_var']) t(`${p}.${k}`, [C]);
  };
  t('visual.conv1.weight', [w / 2, 3, 3, 3]);
  bn('visual.bn1', w / 2);
  t('visual.conv2.weight', [w / 2, w / 2, 3, 3]);
  bn('visual.bn2', w / 2);
  t('visual.conv3.weight', [w, w / 2, 3, 3]);
  bn('visual.bn3', w);
  for (const b of resnetBlocks(v)) {
    t(`${b.prefix}conv1.weight`, [b.planes, b.inplanes, 1, 1]);
    bn(`${b.prefix}bn1`, b.planes);
    t(`${b.prefix}conv2.weight`, [b.planes, b.planes, 3, 3]);
    bn(`${b.prefix}bn2`, b.planes);
    t(`${b.prefix}conv3.weight`, [b.planes * 4, b.planes, 1, 1]);
    bn(`${b.prefix}bn3`, b.planes * 4);
    if (b.downsample) {
      t(`${b.prefix}downsample.0.weight`, [b.planes * 4, b.inplanes, 1, 1]);
      bn(`${b.prefix}downsample.1`, b.planes * 4);
    }
  }
  const C = RESNET_STRIDE * w;
  t('visual.attnpool.positional_embedding', [v.tokens, C]);
  for (const p of ['q', 'k', 'v']) {
    t(`visual.attnpool.${p}_proj.weight`, [C, C]);
    t(`visual.attnpool.${p}_proj.bias`, [C]);
  }
  t('visual.attnpool.c_proj.weight', [E, C]);
  t('visual.attnpool.c_proj.bias', [E]);
  return out;
}
