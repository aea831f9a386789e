/**
 * Load targets the user can pick in `Checkpoint Lens: Set Load Target…`. `auto` lets the analysis
 * detect the family from the tensor names. The ids use the analysis' target syntax (`openclip:CONFIG`, `hf:CLASS[@CONFIG]`, `timm:MODEL`,
 * same as the CLI's `--target`) and are passed to it unchanged.
 */
export interface LoadTarget {
  readonly id: string;
  readonly label: string;
  readonly detail: string;
}

export const AUTO_TARGET = 'auto';

export const LOAD_TARGETS: readonly LoadTarget[] = [
  { id: AUTO_TARGET, label: 'Auto-detect', detail: 'The complete CLIP of the detected family and size' },
  { id: 'openclip:ViT-B-32', label: 'open_clip ViT-B-32', detail: 'open_clip.create_model("ViT-B-32")' },
  { id: 'openclip:ViT-B-16', label: 'open_clip ViT-B-16', detail: 'open_clip.create_model("ViT-B-16")' },
  { id: 'openclip:ViT-L-14', label: 'open_clip ViT-L-14', detail: 'open_clip.create_model("ViT-L-14")' },
  { id: 'hf:CLIPModel', label: 'transformers CLIPModel', detail: 'CLIPModel.from_pretrained(...) (size from the shapes)' },
  { id: 'hf:CLIPVisionModelWithProjection', label: 'transformers CLIPVisionModelWithProjection', detail: 'Vision tower with projection' },
  { id: 'hf:CLIPTextModelWithProjection', label: 'transformers CLIPTextModelWithProjection', detail: 'Text tower with projection' },
  { id: 'timm:vit_base_patch16_clip_224', label: 'timm vit_base_patch16_clip_224', detail: 'timm vision-only CLIP ViT-B/16' },
];

/** Syntax check only; the analysis resolves the target and reports `target-invalid` itself. */
export function isTargetSyntax(id: string): boolean {
  return id.length <= 100 && /^(auto|(openclip|open_clip|hf|timm):[A-Za-z0-9_@.-]+)$/.test(id);
}

/** The probe's config name (the CLI's `--target`) for a load target: `openclip:NAME` → NAME; other targets give none. */
export function probeTargetName(target: string): string | null {
  const m = /^open_?clip:(.+)$/.exec(target);
  return m ? m[1]! : null;
}
