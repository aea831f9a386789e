/**
 * Named CLIP configurations as data (open_clip model_configs / OpenAI release sizes), from
 * ../shared/reference/clip-checkpoint-schemas.md §1.5, §1.6, §1.9. Every shape the tool expects
 * is generated from these numbers plus the layout tables in `canonicalLayout.ts` / `families.ts`.
 */

export interface VitVision {
  readonly kind: 'vit';
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  /** MLP hidden width (4 × width except bigG). */
  readonly mlp: number;
  readonly patch: number;
  readonly image: number;
}

export interface ResNetVision {
  readonly kind: 'resnet';
  /** Stem width (64 for RN50). */
  readonly width: number;
  readonly layers: readonly [number, number, number, number];
  readonly heads: number;
  readonly image: number;
}

export interface TextTower {
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly mlp: number;
  /** Rows of the text position table (context length; +1 with CoCa's cls embedding). */
  readonly context: number;
  readonly vocab: number;
}

/** CoCa's extra parts (attentional pooler on the image side, multimodal decoder). */
export interface CocaParts {
  readonly poolQueries: number;
  readonly decoderWidth: number;
  readonly decoderLayers: number;
}

export interface ClipConfig {
  /** open_clip config name, e.g. `ViT-B-16`. */
  readonly name: string;
  readonly embedDim: number;
  readonly vision: VitVision | ResNetVision;
  readonly text: TextTower;
  readonly coca?: CocaParts;
  /** The timm model that holds this image tower (CLIP projection head), when timm has one. */
  readonly timmName?: string;
}

const text = (width: number, layers: number, heads = width / 64): TextTower => ({ width, layers, heads, mlp: 4 * width, context: 77, vocab: 49408 });
const vit = (width: number, layers: number, patch: number, image: number, heads = width / 64, mlp = 4 * width): VitVision => ({ kind: 'vit', width, layers, heads, mlp, patch, image });
const rn = (width: number, layers: [number, number, number, number], image: number): ResNetVision => ({ kind: 'resnet', width, layers, heads: (width * 32) / 64, image });

export const CLIP_CONFIGS: readonly ClipConfig[] = [
  { name: 'ViT-B-32', embedDim: 512, vision: vit(768, 12, 32, 224), text: text(512, 12), timmName: 'vit_base_patch32_clip_224' },
  { name: 'ViT-B-16', embedDim: 512, vision: vit(768, 12, 16, 224), text: text(512, 12), timmName: 'vit_base_patch16_clip_224' },
  { name: 'ViT-L-14', embedDim: 768, vision: vit(1024, 24, 14, 224), text: text(768, 12), timmName: 'vit_large_patch14_clip_224' },
  { name: 'ViT-L-14-336', embedDim: 768, vision: vit(1024, 24, 14, 336), text: text(768, 12), timmName: 'vit_large_patch14_clip_336' },
  { name: 'ViT-H-14', embedDim: 1024, vision: vit(1280, 32, 14, 224, 16), text: text(1024, 24, 16), timmName: 'vit_huge_patch14_clip_224' },
  { name: 'ViT-bigG-14', embedDim: 1280, vision: vit(1664, 48, 14, 224, 16, 8192), text: text(1280, 32, 20), timmName: 'vit_gigantic_patch14_clip_224' },
  { name: 'RN50', embedDim: 1024, vision: rn(64, [3, 4, 6, 3], 224), text: text(512, 12) },
  { name: 'RN101', embedDim: 512, vision: rn(64, [3, 4, 23, 3], 224), text: text(512, 12) },
  { name: 'RN50x4', embedDim: 640, vision: rn(80, [4, 6, 10, 6], 288), text: text(640, 12) },
  { name: 'RN50x16', embedDim: 768, vision: rn(96, [6, 8, 18, 8], 384), text: text(768, 12) },
  { name: 'RN50x64', embedDim: 1024, vision: rn(128, [3, 15, 36, 10], 448), text: text(1024, 12) },
  {
    name: 'coca_ViT-B-32',
    embedDim: 512,
    vision: vit(768, 12, 32, 224),
    text: { ...text(512, 12), context: 77 },
    coca: { poolQueries: 256, decoderWidth: 512, decoderLayers: 12 },
  },
];

export function clipConfig(name: string): ClipConfig | undefined {
  return CLIP_CONFIGS.find((c) => c.name.toLowerCase() === name.toLowerCase());
}

export function configForTimmName(timmName: string): ClipConfig | undefined {
  // `*_clip_quickgelu_*` names share the layout of the plain names (§4.4).
  const plain = timmName.replace('_clip_quickgelu_', '_clip_');
  return CLIP_CONFIGS.find((c) => c.timmName === plain);
}
