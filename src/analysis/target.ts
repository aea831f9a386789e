import type { CanonicalParts, TowerId } from '../layouts/canonicalLayout.js';
import type { CanonicalView, LocalSpec } from '../layouts/canonical.js';
import { clipConfig, configForTimmName, type ClipConfig } from '../layouts/configs.js';
import { expectedLayout } from '../layouts/expected.js';
import type { FamilyId } from '../layouts/families.js';
import { err, ok, type Result } from '../core/result.js';
import type { TensorInfo } from '../core/checkpoint.js';
import { towerOf, towerOfCanonical } from '../layouts/towers.js';
import type { MismatchedTensor, MissingTensor, UnexpectedTensor } from './types.js';

/**
 * Targets: "what would happen if this file were loaded into that model". The target's expected
 * key set comes from the layout tables; the file is matched to it through canonical names, so
 * cross-layout targets (timm file → open_clip model) work the same as same-layout ones.
 */
export interface ResolvedTarget {
  id: string;
  family: FamilyId;
  /** The named configuration (an open_clip config, a timm model, `config.json (siglip)`). */
  variant: string;
  /** One of the twelve OpenAI-size configurations (src/layouts/configs.ts), when the target is one. */
  config?: ClipConfig;
  model: string;
  specs: LocalSpec[];
  /** From the generated layouts (src/layouts/spec): specs in the target's own names, matched by name. */
  generated?: boolean;
}

/** transformers classes → which canonical parts they hold. */
const HF_CLASSES: Record<string, { parts: CanonicalParts; omit?: string[] }> = {
  CLIPModel: { parts: { vision: true, text: true, logitScale: true } },
  CLIPVisionModelWithProjection: { parts: { vision: true } },
  CLIPVisionModel: { parts: { vision: true }, omit: ['visual.proj'] },
  CLIPTextModelWithProjection: { parts: { text: true } },
  CLIPTextModel: { parts: { text: true }, omit: ['text_projection'] },
};

export const TARGET_SYNTAX =
  'openclip:CONFIG (any open_clip model config, e.g. openclip:ViT-B-16, openclip:ViT-B-16-SigLIP, openclip:EVA02-B-16), hf:CLASS[@CONFIG] (CLIPModel, CLIPVisionModelWithProjection, CLIPVisionModel, CLIPTextModel, CLIPTextModelWithProjection; SiglipModel, SiglipVisionModel, SiglipTextModel with config.json beside the file), timm:MODEL (e.g. timm:vit_base_patch16_clip_224, timm:vit_base_patch16_siglip_224)';

/**
 * Parses `--target`. `detected` fills in the size for `hf:CLASS` without `@CONFIG`;
 * `fileFamily` keeps open_clip custom-text naming when the file uses it.
 */
export function resolveTarget(spec: string, detected: string | null, fileFamily: FamilyId): Result<ResolvedTarget> {
  const colon = spec.indexOf(':');
  const kind = colon > 0 ? spec.slice(0, colon).toLowerCase() : '';
  const rest = colon > 0 ? spec.slice(colon + 1) : '';
  const bad = (why: string) => err({ code: 'target-invalid', message: `--target ${JSON.stringify(spec)}: ${why}. Use ${TARGET_SYNTAX}.` });
  if (kind === 'openclip' || kind === 'open_clip') {
    const cfg = clipConfig(rest.replace(/-quickgelu$/i, ''));
    if (!cfg) return bad(`unknown open_clip configuration ${JSON.stringify(rest)}`);
    // (any other open_clip config name is resolved by the generated layouts: src/analysis/generated.ts)
    const family: FamilyId = cfg.coca ? 'openclip-coca' : fileFamily === 'openclip-custom-text' ? 'openclip-custom-text' : 'openai-clip';
    return ok({ id: `openclip:${cfg.name}`, family, variant: cfg.name, config: cfg, model: cfg.coca ? 'open_clip CoCa' : family === 'openclip-custom-text' ? 'open_clip CustomTextCLIP' : 'open_clip CLIP', specs: expectedLayout(family, cfg) });
  }
  if (kind === 'hf') {
    const [cls = '', size] = rest.split('@');
    const entry = HF_CLASSES[cls];
    if (!entry) return bad(`unknown transformers class ${JSON.stringify(cls)}`);
    const name = size ?? detected;
    if (!name) return bad('the model size could not be detected from the file; add @CONFIG (e.g. hf:CLIPModel@ViT-B-16)');
    const cfg = clipConfig(name);
    if (!cfg || cfg.coca || cfg.vision.kind !== 'vit') return bad(`transformers CLIP has no configuration ${JSON.stringify(name)} (ViT sizes only)`);
    const omit = new Set(entry.omit ?? []);
    const specs = expectedLayout('hf-clip', cfg, entry.parts).filter((s) => s.canonical === null || !omit.has(s.canonical));
    return ok({ id: `hf:${cls}@${cfg.name}`, family: 'hf-clip', variant: cfg.name, config: cfg, model: cls, specs });
  }
  if (kind === 'timm') {
    const cfg = configForTimmName(rest);
    if (!cfg) return bad(`unknown timm CLIP tower ${JSON.stringify(rest)}`);
    return ok({ id: `timm:${rest}`, family: 'timm-vit', variant: cfg.name, config: cfg, model: rest, specs: expectedLayout('timm-vit', cfg) });
  }
  return bad('unknown target kind');
}

/** The default: the complete dual-tower CLIP of the detected size in the file's own family (timm files → open_clip, since timm has no text tower). */
export function defaultTargetSpec(family: FamilyId, variant: string): string | null {
  const cfg = clipConfig(variant);
  if (!cfg) return null;
  if (family === 'hf-clip') return cfg.vision.kind === 'vit' && !cfg.coca ? `hf:CLIPModel@${cfg.name}` : null;
  if (family === 'openai-clip' || family === 'openclip-custom-text' || family === 'openclip-coca' || family === 'timm-vit') return `openclip:${cfg.name}`;
  return null;
}

export interface Comparison {
  missing: MissingTensor[];
  unexpected: UnexpectedTensor[];
  mismatched: MismatchedTensor[];
  /** File tensor names that fill a target tensor (for the tree). */
  usedFileTensors: Set<TensorInfo>;
  /** Generated layouts: the tower of each file tensor that fills a target tensor (the spec's word for it). */
  towerOf?: Map<TensorInfo, TowerId>;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/**
 * MISSING = expected − present, UNEXPECTED = present − expected, MISMATCHED = same tensor, other
 * shape (§10.3), all matched through canonical names. `unreadable` names (e.g. in a missing shard)
 * are missing with their reason.
 */
export function compareToTarget(view: CanonicalView, target: ResolvedTarget, fileFamily: FamilyId, unreadableReasons: Map<string, string>, normalizedName: (t: TensorInfo) => string): Comparison {
  const missing: MissingTensor[] = [];
  const mismatched: MismatchedTensor[] = [];
  const used = new Set<TensorInfo>();
  const partialByName = new Map(view.partial.map((p) => [p.name, p]));
  const neededCanonical = new Set<string>();
  const unmappedByName = new Map(view.unmapped.map((t) => [normalizedName(t), t]));
  const reasonFor = (name: string, canonical: string | null) => unreadableReasons.get(name) ?? (canonical ? unreadableReasons.get(`canonical:${canonical}`) : undefined);

  for (const s of target.specs) {
    const expected = [...s.shape];
    if (s.canonical === null) {
      // Local-only extras (timm head.bias): the file's own copy, or derivable by the converter from visual.proj.
      const own = target.family === fileFamily ? unmappedByName.get(s.name) : undefined;
      if (own) {
        used.add(own);
        if (!sameShape(own.shape, expected)) mismatched.push({ name: s.name, files: [own.name], expected, found: [...own.shape], tower: s.tower });
      } else if (!view.tensors.has('visual.proj')) {
        missing.push({ name: s.name, shape: expected, tower: s.tower });
      }
      continue;
    }
    neededCanonical.add(s.canonical);
    const whole = view.tensors.get(s.canonical);
    if (s.part !== undefined) {
      // Target stores this part separately (HF q/k/v).
      if (whole) {
        whole.sources.forEach((t) => used.add(t));
        const found = [(whole.shape[0] ?? 0) / 3, ...whole.shape.slice(1)];
        if (!sameShape(found, expected)) mismatched.push({ name: s.name, files: whole.sources.map((t) => t.name), expected, found, tower: s.tower });
        continue;
      }
      const partial = partialByName.get(s.canonical);
      const src = partial?.present.find((t) => !partial.missingParts.includes(s.part!) && partSourceIndex(partial, t, s.part!));
      if (partial && src) {
        used.add(src);
        if (!sameShape(src.shape, expected)) mismatched.push({ name: s.name, files: [src.name], expected, found: [...src.shape], tower: s.tower });
        continue;
      }
      const reason = reasonFor(s.name, s.canonical);
      missing.push({ name: s.name, shape: expected, tower: s.tower, ...(reason ? { reason } : {}) });
      continue;
    }
    if (!whole) {
      const reason = reasonFor(s.name, s.canonical);
      const partial = partialByName.get(s.canonical);
      const why = reason ?? (partial ? (partial.missingParts.length ? `only ${partial.present.length} of its ${partial.present.length + partial.missingParts.length} q/k/v parts are in the file` : 'its q/k/v parts have incompatible shapes') : undefined);
      missing.push({ name: s.name, shape: expected, tower: s.tower, ...(why ? { reason: why } : {}) });
      continue;
    }
    whole.sources.forEach((t) => used.add(t));
    const found = localShape(whole.shape, s);
    if (!sameShape(found, expected)) {
      const transposed = found.length === 2 && sameShape([...found].reverse(), expected);
      mismatched.push({ name: s.name, files: whole.sources.map((t) => t.name), expected, found, tower: s.tower, ...(transposed ? { hint: 'stored transposed' } : {}) });
    }
  }
  const unexpected: UnexpectedTensor[] = [];
  const addUnexpected = (t: TensorInfo, tower?: TowerId) => {
    if (used.has(t)) return;
    unexpected.push({ name: t.name, dtype: t.dtype, shape: t.shape, tower: tower ?? towerOf(fileFamily, normalizedName(t)) });
  };
  // A mapped tensor's tower is its canonical name's (that is what towerOf computes from the file
  // name): once per canonical tensor instead of once per file tensor (100k on big files).
  const sameFamily = view.family === fileFamily;
  view.tensors.forEach((c) => {
    if (neededCanonical.has(c.name)) return;
    const tower = sameFamily ? towerOfCanonical(c.name) : undefined;
    for (let i = 0; i < c.sources.length; i++) addUnexpected(c.sources[i]!, tower);
  });
  for (const t of view.unmapped) addUnexpected(t);
  for (const p of view.partial) for (const t of p.present) addUnexpected(t);
  return { missing, unexpected, mismatched, usedFileTensors: used };
}

/** Is `t` the source of part `part` of a partial concatenation? Sources are stored in part order minus the missing ones. */
function partSourceIndex(p: { present: readonly TensorInfo[]; missingParts: readonly number[] }, t: TensorInfo, part: number): boolean {
  const presentParts = [0, 1, 2].filter((i) => !p.missingParts.includes(i));
  return p.present[presentParts.indexOf(part)] === t;
}

/** The canonical shape as the target would store it (inverse of the row transform). */
function localShape(canonicalShape: readonly number[], s: LocalSpec): number[] {
  if (s.transform === 'transpose') return [...canonicalShape].reverse();
  if (s.transform === 'reshape') return [...new Array<number>(s.shape.length - canonicalShape.length > 0 ? s.shape.length - canonicalShape.length : 0).fill(1), ...canonicalShape];
  return [...canonicalShape];
}
