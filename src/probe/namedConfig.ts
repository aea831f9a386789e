import { CLIP_CONFIGS, clipConfig, type ClipConfig } from '../layouts/configs.js';
import type { CanonicalWeights } from './canonicalWeights.js';
import type { ConfigHints, TextShape, VisionShape } from './modelConfig.js';

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

export function hintsFromNamed(c: ClipConfig): ConfigHints {
  const text: TextShape = { width: c.text.width, layers: c.text.layers, heads: c.text.heads, mlp: c.text.mlp, contextLength: c.text.context, vocabSize: c.text.vocab, layerScale: false };
  const hints: { -readonly [K in keyof ConfigHints]: ConfigHints[K] } = { textHeads: c.text.heads, missingText: text, embedDim: c.embedDim, namedConfig: c.name };
  if (c.vision.kind === 'vit') {
    const v = c.vision;
    const grid = v.image / v.patch;
    const vision: VisionShape = { width: v.width, layers: v.layers, heads: v.heads, mlp: v.mlp, patch: v.patch, imageSize: v.image, tokens: grid * grid + 1, layerScale: false };
    hints.visionHeads = v.heads;
    hints.missingVision = vision;
  }
  return hints;
}
