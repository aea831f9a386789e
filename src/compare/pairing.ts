import { storageType, type Checkpoint, type TensorInfo } from '../core/checkpoint.js';
import type { FamilyId } from '../layouts/canonical.js';
import type { Transform } from './types.js';

/**
 * One side of a pair: the stored tensor(s) and how they become the compared tensor.
 * `shape` is the compared (canonical) shape; for `transpose` the single source is stored as
 * the reverse of it, for `concat0` the sources are stacked along dim 0, for `reshape` the
 * source holds the same elements in the same order under another shape.
 */
export interface SideView {
  readonly key: string;
  readonly shape: readonly number[];
  readonly dtype: string;
  readonly sources: readonly TensorInfo[];
  readonly transform: Transform;
  /** From the mapping, e.g. "timm head.weight is visual.proj transposed". */
  readonly description?: string;
  /** Set when this side cannot be read at all (declared but unreadable tensor). */
  readonly unreadable?: { readonly code: string; readonly message: string };
}

export interface PairPlan {
  readonly key: string;
  readonly a: SideView;
  readonly b: SideView;
}

/** Views of one checkpoint under a naming scheme, plus the tensors the scheme cannot place. */
export interface SideMapping {
  /** Layout family when a cross-layout mapping was used. */
  readonly layout?: FamilyId;
  readonly views: readonly SideView[];
  readonly unmapped: readonly TensorInfo[];
}

export interface Pairing {
  readonly matching: 'name' | 'canonical';
  readonly layoutA?: FamilyId;
  readonly layoutB?: FamilyId;
  /** In A's order (stable). */
  readonly pairs: readonly PairPlan[];
  readonly onlyA: readonly TensorInfo[];
  readonly onlyB: readonly TensorInfo[];
  readonly notes: readonly string[];
}

/** Identity views keyed by stored name; declared-but-unreadable tensors become blocked views. */
export function nameViews(c: Checkpoint): SideMapping {
  const views: SideView[] = c.tensors.map((t) => ({ key: t.name, shape: t.shape, dtype: storageType(t), sources: [t], transform: 'identity' }));
  for (const u of c.unreadable) {
    views.push({
      key: u.name,
      shape: u.shape ?? [],
      dtype: u.rawDtype,
      sources: [],
      transform: 'identity',
      unreadable: { code: 'tensor-unreadable', message: u.reason },
    });
  }
  return { views, unmapped: [] };
}

/**
 * Joins two sides on their keys. Pairs follow A's order; views without a partner and the
 * mapping's unmapped tensors become onlyA/onlyB. Blocked (unreadable) views without a partner
 * are reported in notes, not as drops, since the tensor is there, just not readable.
 */
export function joinViews(matching: 'name' | 'canonical', a: SideMapping, b: SideMapping): Pairing {
  const byKeyB = new Map<string, SideView>();
  for (const v of b.views) if (!byKeyB.has(v.key)) byKeyB.set(v.key, v);
  const pairs: PairPlan[] = [];
  const onlyA: TensorInfo[] = [];
  const notes: string[] = [];
  const used = new Set<string>();
  const seenA = new Set<string>();
  for (const va of a.views) {
    if (seenA.has(va.key)) continue;
    seenA.add(va.key);
    const vb = byKeyB.get(va.key);
    if (vb) {
      pairs.push({ key: va.key, a: va, b: vb });
      used.add(va.key);
    } else if (va.unreadable) {
      notes.push(`A declares ${va.key} but it is unreadable (${va.unreadable.message}); B has no such tensor`);
    } else {
      onlyA.push(...va.sources);
    }
  }
  onlyA.push(...a.unmapped);
  const onlyB: TensorInfo[] = [];
  for (const vb of b.views) {
    if (used.has(vb.key)) continue;
    used.add(vb.key);
    if (vb.unreadable) notes.push(`B declares ${vb.key} but it is unreadable (${vb.unreadable.message}); A has no such tensor`);
    else onlyB.push(...vb.sources);
  }
  onlyB.push(...b.unmapped);
  return {
    matching,
    ...(a.layout !== undefined ? { layoutA: a.layout } : {}),
    ...(b.layout !== undefined ? { layoutB: b.layout } : {}),
    pairs,
    onlyA,
    onlyB,
    notes,
  };
}

/** Pairs tensors by name (`--map none`, or both sides in the same layout). */
export function pairByName(a: Checkpoint, b: Checkpoint): Pairing {
  return joinViews('name', nameViews(a), nameViews(b));
}
