import { matchVariants } from '../analysis/architecture.js';
import type { ConfigHints } from '../probe/modelConfig.js';
import type { ClipConfig, InferredArchitecture } from './layoutAdapter.js';

/**
 * The configuration of the model being written, read from the sources' shapes (input first, then
 * donors in order), and the facts shapes cannot show (attention heads, activation) from config files
 * beside the sources or a named configuration with the same shapes. What is assumed is said.
 */
export interface DerivedConfig {
  readonly cfg: ClipConfig;
  /** Which tower came from which source (0 = input, k = donor k). */
  readonly visionFrom: number | null;
  readonly textFrom: number | null;
  /** The named open_clip configuration whose every shape fact agrees, if any. */
  readonly named: string | null;
  readonly activation: 'quick_gelu' | 'gelu';
  /** Facts not known from any config file or named configuration (head counts, activation). */
  readonly assumed: string[];
  /** Where heads / activation came from, for the summary. */
  readonly sources: string[];
}

export interface SourceFacts {
  readonly label: string;
  readonly inferred: InferredArchitecture;
  readonly hints: ConfigHints;
}

export function deriveConfig(sources: readonly SourceFacts[]): DerivedConfig | { error: string } {
  const visionFrom = sources.findIndex((s) => s.inferred.vision);
  const textFrom = sources.findIndex((s) => s.inferred.text && s.inferred.text.width > 0);
  const embedFrom = sources.findIndex((s) => s.inferred.embedDim);
  if (visionFrom < 0 && textFrom < 0) return { error: 'no source holds a CLIP image or text tower' };
  const iv = visionFrom >= 0 ? sources[visionFrom]!.inferred.vision! : undefined;
  const it = textFrom >= 0 ? sources[textFrom]!.inferred.text! : undefined;
  const merged: InferredArchitecture = { ...(iv ? { vision: iv } : {}), ...(it ? { text: it } : {}), ...(embedFrom >= 0 ? { embedDim: sources[embedFrom]!.inferred.embedDim! } : {}) };
  const { configs, exact } = matchVariants(merged, false);
  const named = exact && configs.length === 1 ? configs[0]! : null;
  const assumed: string[] = [];
  const from: string[] = [];
  const hint = <K extends keyof ConfigHints>(k: K, idx: number): { value: NonNullable<ConfigHints[K]>; label: string } | undefined => {
    const order = idx >= 0 ? [idx, ...sources.keys()] : [...sources.keys()];
    for (const i of order) {
      const v = sources[i]!.hints[k];
      if (v !== undefined) return { value: v as NonNullable<ConfigHints[K]>, label: sources[i]!.label };
    }
    return undefined;
  };
  const heads = (tower: 'vision' | 'text', width: number, idx: number): number => {
    const h = hint(tower === 'vision' ? 'visionHeads' : 'textHeads', idx);
    if (h) {
      from.push(`${tower} heads ${String(h.value)} from the config beside ${h.label}`);
      return h.value as number;
    }
    const n = named ? (tower === 'vision' ? named.vision.heads : named.text.heads) : undefined;
    if (n) return n;
    const guess = Math.max(1, Math.floor(width / 64));
    assumed.push(`${tower} attention heads = ${guess} (width / 64; not recorded in the weights)`);
    return guess;
  };
  const act = hint('activation', visionFrom >= 0 ? visionFrom : textFrom);
  let activation: 'quick_gelu' | 'gelu';
  if (act) {
    activation = act.value.value === 'quickgelu' ? 'quick_gelu' : 'gelu';
    from.push(`activation ${activation} from ${act.value.source} (${act.label})`);
  } else {
    activation = 'quick_gelu';
    assumed.push('activation = quick_gelu (OpenAI CLIP; QuickGELU vs GELU is not recorded in the weights)');
  }
  const E = merged.embedDim ?? named?.embedDim ?? it?.width ?? iv?.width ?? 0;
  let vision: ClipConfig['vision'];
  if (iv?.kind === 'resnet') {
    vision = { kind: 'resnet', width: iv.width, layers: iv.layers as unknown as [number, number, number, number], heads: heads('vision', iv.width * 32, visionFrom), image: iv.image ?? 224 };
  } else if (iv) {
    vision = { kind: 'vit', width: iv.width, layers: iv.layers, heads: heads('vision', iv.width, visionFrom), mlp: iv.mlp ?? 4 * iv.width, patch: iv.patch, image: iv.image };
  } else {
    // No image tower anywhere: sizes only matter for the (omitted or missing) tensors' shapes.
    vision = named?.vision ?? { kind: 'vit', width: 768, layers: 12, heads: 12, mlp: 3072, patch: 16, image: 224 };
  }
  const text: ClipConfig['text'] = it
    ? { width: it.width, layers: it.layers, heads: heads('text', it.width, textFrom), mlp: it.mlp ?? 4 * it.width, context: it.context ?? named?.text.context ?? 77, vocab: it.vocab ?? named?.text.vocab ?? 49408 }
    : (named?.text ?? { width: E, layers: 12, heads: Math.max(1, Math.floor(E / 64)), mlp: 4 * E, context: 77, vocab: 49408 });
  return {
    cfg: { name: named?.name ?? 'custom', embedDim: E, vision, text, ...(named?.timmName ? { timmName: named.timmName } : {}) },
    visionFrom: visionFrom >= 0 ? visionFrom : null,
    textFrom: textFrom >= 0 ? textFrom : null,
    named: named?.name ?? null,
    activation,
    assumed,
    sources: from,
  };
}
