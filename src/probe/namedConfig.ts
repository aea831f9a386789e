import { CLIP_CONFIGS, clipConfig, type ClipConfig } from '../layouts/configs.js';
import type { CanonicalWeights } from './canonicalWeights.js';
import { RESNET_STRIDE, type ConfigHints, type TextShape, type VisionShape } from './modelConfig.js';

/**
 * Named open_clip configurations (src/layouts/configs.ts) as probe hints. They matter where the
 * state dict is silent: head counts (ViT-H/bigG use head width 80/104, not OpenAI's width/64) and
 * the shape of a tower the checkpoint lacks. `--target NAME` picks one; otherwise the named
 * config whose present tower matches the file's shapes is used.
 */
export function namedConfig(name: string): ClipConfig | undefined {
  return clipConfig(name);
}

export function matchNamedConfig(w: CanonicalWeights): ClipConfig | undefined {
  const shape = (n: string) => w.tensors.get(n)?.shape;
  const conv = shape('visual.conv1.weight');
  const pos = shape('visual.positional_embedding');
  const lnFinal = shape('ln_final.weight');
  const proj = shape('visual.proj') ?? shape('text_projection');
  const pool = shape('visual.attnpool.positional_embedding');
  if (pool || w.tensors.has('visual.layer1.0.conv1.weight')) return matchResNet(w);
  return CLIP_CONFIGS.find((c) => {
    if (c.vision.kind !== 'vit' || c.coca) return false;
    const v = c.vision;
    const grid = v.image / v.patch;
    if (conv && (conv[0] !== v.width || conv[3] !== v.patch)) return false;
    if (pos && pos[0] !== grid * grid + 1) return false;
    if (lnFinal && lnFinal[0] !== c.text.width) return false;
    if (proj && proj[1] !== c.embedDim) return false;
    return Boolean(conv || lnFinal);
  });
}

/**
 * RN50/RN101/RN50x4… by their ResNet shapes (stem width, blocks per stage, pool grid, embed dim):
 * a vision-only ResNet file then gets its real text tower (RN50: 512 wide, not the embed dim 1024).
 */
function matchResNet(w: CanonicalWeights): ClipConfig | undefined {
  const shape = (n: string) => w.tensors.get(n)?.shape;
  const width = shape('visual.layer1.0.conv1.weight')?.[0];
  const pool = shape('visual.attnpool.positional_embedding')?.[0];
  const embed = shape('visual.attnpool.c_proj.weight')?.[0];
  const lnFinal = shape('ln_final.weight')?.[0];
  const blocks = (k: number) => {
    let n = 0;
    while (w.tensors.has(`visual.layer${k}.${n}.conv1.weight`)) n++;
    return n;
  };
  return CLIP_CONFIGS.find((c) => {
    if (c.vision.kind !== 'resnet') return false;
    const v = c.vision;
    const grid = v.image / 32;
    if (width !== v.width || pool !== grid * grid + 1 || embed !== c.embedDim) return false;
    if (lnFinal !== undefined && lnFinal !== c.text.width) return false;
    return v.layers.every((n, k) => blocks(k + 1) === n);
  });
}

export function hintsFromNamed(c: ClipConfig): ConfigHints {
  const text: TextShape = { width: c.text.width, layers: c.text.layers, heads: c.text.heads, mlp: c.text.mlp, contextLength: c.text.context, vocabSize: c.text.vocab, layerScale: false };
  const hints: { -readonly [K in keyof ConfigHints]: ConfigHints[K] } = { textHeads: c.text.heads, missingText: text, embedDim: c.embedDim, namedConfig: c.name };
  if (c.vision.kind === 'vit') {
    const v = c.vision;
    const grid = v.image / v.patch;
    const vision: VisionShape = { width: v.width, layers: v.layers, heads: v.heads, mlp: v.mlp, patch: v.patch, imageSize: v.image, tokens: grid * grid + 1, layerScale: false };
    hints.visionHeads = v.heads;
    hints.missingVision = vision;
  } else {
    const v = c.vision;
    const grid = v.image / RESNET_STRIDE;
    hints.visionHeads = v.heads;
    hints.missingVision = { kind: 'resnet', width: v.width, stages: v.layers, heads: v.heads, imageSize: v.image, tokens: grid * grid + 1 };
  }
  return hints;
}
