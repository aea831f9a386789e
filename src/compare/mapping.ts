import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { detectFamily, toCanonical, type FamilyId } from '../layouts/canonical.js';
import { joinViews, pairByName, type Pairing, type SideMapping, type SideView } from './pairing.js';
import { ggufAsTransformersLlama } from '../formats/gguf/hfView.js';

export type MapMode = 'auto' | 'none';

/**
 * Chooses how to pair A and B. `none`: by stored name. `auto`: by name when both sides are in
 * the same layout family, else through the cross-layout mapping (src/layouts/canonical.ts),
 * which renames to OpenAI/open_clip names and records the transform (transpose, reshape, q/k/v
 * concat) each side needs.
 */
export function planPairing(a: Checkpoint, b: Checkpoint, map: MapMode): Pairing {
  if (map === 'none') return pairByName(a, b);
  // A llama-style GGUF against transformers safetensors: compare under transformers names.
  const ga = b.format !== 'gguf' && b.format !== 'gguf-split' ? ggufAsTransformersLlama(a) : undefined;
  const gb = a.format !== 'gguf' && a.format !== 'gguf-split' ? ggufAsTransformersLlama(b) : undefined;
  if (ga || gb) {
    const p = pairByName(ga?.checkpoint ?? a, gb?.checkpoint ?? b);
    return { ...p, notes: [...p.notes, ...(ga ? [ga.note] : []), ...(gb ? [gb.note.replace(/^A is/, 'B is')] : [])] };
  }
  const fa = detectFamily(a.tensors);
  const fb = detectFamily(b.tensors);
  if (fa === fb) {
    const p = pairByName(a, b);
    return fa === 'unknown' ? p : { ...p, layoutA: fa, layoutB: fb };
  }
  const ca = canonicalViews(a, fa);
  const cb = canonicalViews(b, fb);
  const p = joinViews('canonical', ca, cb);
  const notes = [...p.notes, ...ca.notes.map((n) => `A: ${n}`), ...cb.notes.map((n) => `B: ${n}`)];
  const unreadable = [...a.unreadable.map((u) => `A: ${u.name}`), ...b.unreadable.map((u) => `B: ${u.name}`)];
  if (unreadable.length) notes.push(`unreadable tensors are not mapped across layouts: ${unreadable.slice(0, 5).join(', ')}${unreadable.length > 5 ? ', …' : ''}`);
  return { ...p, notes };
}

function canonicalViews(c: Checkpoint, family: FamilyId): SideMapping & { notes: string[] } {
  const v = toCanonical(c.tensors, family);
  const order = new Map<TensorInfo, number>(c.tensors.map((t, i) => [t, i]));
  const first = (s: readonly TensorInfo[]) => Math.min(...s.map((t) => order.get(t) ?? Infinity));
  const views: SideView[] = [...v.tensors.values()]
    .map((ct) => ({
      key: ct.name,
      shape: ct.shape,
      dtype: ct.sources[0]?.dtype ?? 'unknown',
      sources: ct.sources,
      transform: ct.transform,
      description: describe(ct.sources, ct.transform, ct.description),
    }))
    .sort((x, y) => first(x.sources) - first(y.sources));
  const notes = v.partial.map((p) => `${p.name}: only ${p.present.length} of its q/k/v parts are present (missing part ${p.missingParts.join(', ')})`);
  const unmapped = [...v.unmapped, ...v.ignored, ...v.partial.flatMap((p) => p.present)];
  return { layout: family, views, unmapped, notes };
}

function describe(sources: readonly TensorInfo[], transform: SideView['transform'], mappingText: string): string {
  const names = sources.map((s) => s.name).join(', ');
  switch (transform) {
    case 'transpose':
      return `${names} is stored transposed`;
    case 'reshape':
      return `${names} is stored as [${sources[0]?.shape.join(', ') ?? ''}] (reshape)`;
    case 'concat0':
      return `${names} concatenated on dim 0`;
    default:
      return mappingText;
  }
}
