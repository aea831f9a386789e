/**
 * Builds the webview's ViewModel from what the core produced (the `inspect --json` document and,
 * when available, the analysis overlay). Pure data in, pure data out: no `vscode`, runs in the
 * worker thread and in unit tests.
 */
import type { InspectDocument } from '../core/summary.js';
import { sortProblems } from '../core/problems.js';
import { MAX_FINDING_TENSORS, MAX_METADATA, type Finding, type RowMark, type TensorRef, type TowerStatus, type ViewModel, type ViewNode } from '../shared/protocol.js';

/** What the analysis contributes to the view (adapted from `analyzeCheckpoint`'s result). */
export interface AnalysisOverlay {
  readonly family: string | null;
  readonly variant: string | null;
  readonly target: string | null;
  readonly findings: readonly Finding[];
  /** True when `findings` already contains the reader's integrity problems. */
  readonly findingsIncludeIntegrity?: boolean;
  /** Towers in display order; tensors not claimed by any tower go to an "other" group. */
  readonly towers: readonly {
    readonly name: string;
    readonly status: TowerStatus;
    readonly tensors: readonly string[];
    /** Tensors the target expects in this tower that the file lacks: shown as ghost rows. */
    readonly missing: readonly { readonly name: string; readonly dtype: string; readonly shape: readonly number[] }[];
  }[];
  readonly marks: ReadonlyMap<string, { readonly mark: RowMark; readonly note: string; readonly expectedShape?: readonly number[] }>;
  /** Why completeness could not be checked (no recognised layout / no target); absent when it was. */
  readonly notChecked?: string;
  /** Why the zero-shot probe cannot run on this file; absent when it can. */
  readonly probeUnavailable?: string;
}

/** Said when no analysis ran at all (the generic name tree). */
export const NOT_CHECKED_NO_ANALYSIS = 'model analysis is not available, so only the file\'s integrity was checked, not whether the model is complete';
export const PROBE_NEEDS_CLIP = 'The zero-shot probe needs a CLIP checkpoint (image and text towers); this file is not a recognised CLIP layout.';

/** Dotted names deeper than this are cut: the rest stays joined in the last label (bounded depth). */
const MAX_DEPTH = 32;
const OTHER_GROUP = '(not in any tower)';

interface Leaf {
  readonly ref: TensorRef;
  readonly parameters: number;
  readonly bytes: number;
  readonly mark?: RowMark;
  readonly note?: string;
}

interface Draft {
  readonly label: string;
  /** Created on first child: most drafts are leaves. */
  children: Map<string, Draft> | null;
  leaf: Leaf | null;
}

type DocTensor = InspectDocument['tensors'][number];

function insert(root: Draft, name: string, leaf: Leaf): void {
  let node = root;
  let start = 0;
  for (let depth = 1; ; depth++) {
    const dot = depth < MAX_DEPTH ? name.indexOf('.', start) : -1;
    const seg = dot < 0 ? name.slice(start) : name.slice(start, dot);
    const kids = (node.children ??= new Map());
    let next = kids.get(seg);
    if (!next) kids.set(seg, (next = { label: seg, children: null, leaf: null }));
    node = next;
    if (dot < 0) break;
    start = dot + 1;
  }
  // Duplicate names cannot happen in a valid file; keep the first (the reader reports duplicates).
  node.leaf ??= leaf;
}

const isIndex = (s: string) => s.length > 0 && s.length < 10 && /^\d+$/.test(s);

/** Children in first-appearance order, except that numbered siblings are in numeric order. */
function orderedChildren(d: Draft): Draft[] {
  if (!d.children) return [];
  const kids = [...d.children.values()];
  if (kids.length < 2) return kids;
  let firstAt = -1;
  let count = 0;
  for (let i = 0; i < kids.length; i++) {
    if (isIndex(kids[i]!.label)) {
      if (firstAt < 0) firstAt = i;
      count++;
    }
  }
  if (count < 2) return kids;
  const numeric = kids.filter((k) => isIndex(k.label)).sort((a, b) => Number(a.label) - Number(b.label));
  const rest = kids.filter((k) => !isIndex(k.label));
  return [...rest.slice(0, firstAt), ...numeric, ...rest.slice(firstAt)];
}

/** Mutable while building; handed out as the readonly ViewNode. */
interface NodeDraft {
  label: string;
  tensor?: TensorRef;
  mark?: RowMark;
  note?: string;
  repeat?: number;
  tensorCount: number;
  parameters: number;
  bytes: number;
  missingCount: number;
  children?: ViewNode[];
}

/**
 * Converts drafts to view nodes bottom-up. Numbered children 0..N-1 that are structurally
 * identical (names, dtypes, shapes, marks below them) are a repeated block (×N): each is compared
 * with the first, stopping at the first difference, so a file of distinct layers costs one
 * comparison per layer and identical layers cost one walk of the tree, with no allocation.
 */
class Finisher {
  /** `prefix`: the labels of a single-child chain above, joined into this row's label (`patch_embed.proj`). */
  finish(d: Draft, depth: number, prefix = ''): ViewNode {
    // Join single-child chains (`patch_embed` › `proj`) into one row: `patch_embed.proj`.
    if (!d.leaf && d.children?.size === 1 && depth > 0) return this.finish(d.children.values().next().value!, depth + 1, `${prefix}${d.label}.`);
    const ordered = orderedChildren(d);
    const kids: ViewNode[] = new Array(ordered.length);
    for (let i = 0; i < ordered.length; i++) kids[i] = this.finish(ordered[i]!, depth + 1);
    const leaf = d.leaf;
    const node: NodeDraft = { label: prefix ? `${prefix}${d.label}` : d.label, tensorCount: 0, parameters: 0, bytes: 0, missingCount: 0 };
    if (leaf) {
      node.tensor = leaf.ref;
      if (leaf.mark) {
        node.mark = leaf.mark;
        node.note = leaf.note ?? '';
      }
      if (leaf.mark === 'missing') node.missingCount++;
      else {
        node.tensorCount++;
        node.parameters += leaf.parameters;
        node.bytes += leaf.bytes;
      }
    }
    let allIndex = kids.length >= 2;
    // Numbered children are judged by their own segment (`0`), also when a single-child chain was
    // joined into their label (`0.block_sparse_moe.experts`): MoE layers collapse as ×N too.
    for (let i = 0; i < kids.length; i++) {
      const k = kids[i]!;
      node.tensorCount += k.tensorCount;
      node.parameters += k.parameters;
      node.bytes += k.bytes;
      node.missingCount += k.missingCount;
      if (allIndex && !isIndex(ordered[i]!.label)) allIndex = false;
    }
    if (allIndex) {
      const first = kids[0]!;
      const cut0 = ordered[0]!.label.length;
      const n0 = Number(ordered[0]!.label);
      let same = true;
      for (let i = 1; same && i < kids.length; i++) {
        const k = kids[i]!;
        const cut = ordered[i]!.label.length;
        same = Number(ordered[i]!.label) === n0 + i && first.label.length - cut0 === k.label.length - cut && first.label.endsWith(k.label.slice(cut)) && sameBelow(first, k);
      }
      if (same) node.repeat = kids.length;
    }
    if (kids.length) node.children = kids;
    return node;
  }
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** Same tensor (dtype, shape, mark) at both nodes and the same children, by label, all the way down (own labels not compared). */
function sameBelow(a: ViewNode, b: ViewNode): boolean {
  // Iterative: names can be deep.
  const stack: [ViewNode, ViewNode][] = [[a, b]];
  while (stack.length) {
    const [x, y] = stack.pop()!;
    const tx = x.tensor;
    const ty = y.tensor;
    if (!tx !== !ty || x.mark !== y.mark) return false;
    if (tx && ty && (tx.dtype !== ty.dtype || !sameShape(tx.shape, ty.shape))) return false;
    const cx = x.children;
    const cy = y.children;
    if ((cx?.length ?? 0) !== (cy?.length ?? 0)) return false;
    if (!cx || !cy) continue;
    for (let i = 0; i < cx.length; i++) {
      if (cx[i]!.label !== cy[i]!.label) return false;
      stack.push([cx[i]!, cy[i]!]);
    }
  }
  return true;
}

function leafOf(t: DocTensor, overlay: AnalysisOverlay | null): Leaf {
  const m = overlay?.marks.get(t.name);
  let parameters = 1;
  for (let i = 0; i < t.shape.length; i++) parameters *= t.shape[i]!;
  const bytes = t.offsets ? t.offsets[1] - t.offsets[0] : 0;
  const ref: { -readonly [K in keyof TensorRef]: TensorRef[K] } = { name: t.name, dtype: t.dtype, shape: t.shape, shard: t.shard, offsets: t.offsets };
  if (m?.expectedShape) ref.expectedShape = m.expectedShape;
  return m ? { ref, parameters, bytes, mark: m.mark, note: m.note } : { ref, parameters, bytes };
}

function forest(entries: readonly { name: string; leaf: Leaf }[]): ViewNode[] {
  const root: Draft = { label: '', children: null, leaf: null };
  for (const e of entries) insert(root, e.name, e.leaf);
  return finishForest(root);
}

function finishForest(root: Draft): ViewNode[] {
  const f = new Finisher();
  return orderedChildren(root).map((c) => f.finish(c, 1));
}

function group(label: string, children: ViewNode[], badge?: TowerStatus): ViewNode {
  let tensorCount = 0;
  let parameters = 0;
  let bytes = 0;
  let missingCount = 0;
  for (const k of children) {
    tensorCount += k.tensorCount;
    parameters += k.parameters;
    bytes += k.bytes;
    missingCount += k.missingCount;
  }
  return { label, synthetic: true, ...(badge ? { badge } : {}), tensorCount, parameters, bytes, missingCount, children };
}

/** Findings from the reader's integrity problems (used alone when no analysis ran). */
export function problemsAsFindings(doc: InspectDocument): Finding[] {
  return sortProblems(doc.problems).map((p) => ({
    code: p.code,
    severity: p.severity,
    message: p.message,
    ...(p.tensors?.length ? { tensors: p.tensors.slice(0, MAX_FINDING_TENSORS), tensorCount: p.tensors.length } : {}),
  }));
}

/** Shards named by the index but not on disk (their tensors are "in the index, shard missing"). */
function missingShardsOf(doc: InspectDocument): Set<string> {
  return new Set(doc.problems.filter((p) => p.code === 'shard-missing' && p.file).map((p) => p.file!));
}

/** A reader dtype that says nothing ('?', '') is "unknown" in words; a declared one is kept. */
const UNKNOWN = 'unknown';

/**
 * A tensor the file names but whose bytes cannot be read: its declared dtype and shape (from the
 * safetensors header, the pickle...), else "unknown" in words. A tensor of a missing shard is "in
 * the index, shard missing" — not absent from the checkpoint, and not a problem of its own.
 */
export function unreadableLeaf(u: InspectDocument['unreadable'][number], missingShards: ReadonlySet<string>): Leaf {
  const dtype = u.dtype && u.dtype !== '?' ? u.dtype : UNKNOWN;
  const shapeKnown = u.shape !== null;
  const shardMissing = u.shard !== null && missingShards.has(u.shard);
  const note = shardMissing
    ? `in the index, shard missing: ${u.shard} is not on disk${dtype === UNKNOWN || !shapeKnown ? ' (the index names only the shard, so the dtype and shape are unknown until it is downloaded)' : ''}`
    : u.reason;
  return {
    ref: { name: u.name, dtype, shape: u.shape ?? [], shard: u.shard, offsets: null, ...(shapeKnown ? {} : { shapeUnknown: true }) },
    parameters: 0,
    bytes: 0,
    mark: 'unreadable',
    note,
  };
}

/** The tree of the view: towers (when the analysis found them) or the plain name tree. */
export function viewRoots(doc: InspectDocument, overlay: AnalysisOverlay | null): ViewNode[] {
  const missingShards = missingShardsOf(doc);
  if (!overlay || !overlay.towers.length) {
    // The plain name tree (the first screen's): no per-tensor entry objects, no copies of the list.
    const root: Draft = { label: '', children: null, leaf: null };
    for (const t of doc.tensors) insert(root, t.name, leafOf(t, overlay));
    for (const u of doc.unreadable) insert(root, u.name, unreadableLeaf(u, missingShards));
    return finishForest(root);
  }
  const real = doc.tensors.map((t) => ({ name: t.name, leaf: leafOf(t, overlay) }));
  const unreadable = doc.unreadable.map((u) => ({ name: u.name, leaf: unreadableLeaf(u, missingShards) }));
  const unreadableNames = new Set(doc.unreadable.map((u) => u.name));
  const byName = new Map([...real, ...unreadable].map((e) => [e.name, e]));
  const claimed = new Set<string>();
  const roots = overlay.towers.map((tw) => {
    const entries: { name: string; leaf: Leaf }[] = [];
    for (const n of tw.tensors) {
      const e = byName.get(n);
      if (e && !claimed.has(n)) {
        claimed.add(n);
        entries.push(e);
      }
    }
    for (const g of tw.missing) {
      // Named by the index (its shard is missing / unreadable): the file's row, in this tower, not a ghost "absent" row.
      const e = unreadableNames.has(g.name) ? byName.get(g.name) : undefined;
      if (e) {
        if (!claimed.has(g.name)) {
          claimed.add(g.name);
          entries.push(e);
        }
        continue;
      }
      entries.push({
        name: g.name,
        leaf: { ref: { name: g.name, dtype: g.dtype, shape: g.shape, shard: null, offsets: null }, parameters: 0, bytes: 0, mark: 'missing', note: overlay.marks.get(g.name)?.note ?? 'expected by the target, absent from the file' },
      });
    }
    return group(tw.name, forest(entries), tw.status);
  });
  const rest = [...real, ...unreadable].filter((e) => !claimed.has(e.name));
  if (rest.length) roots.push(group(OTHER_GROUP, forest(rest)));
  return roots;
}

/** Everything of the view but its tree. */
export function viewModelHeader(doc: InspectDocument, overlay: AnalysisOverlay | null): Omit<ViewModel, 'roots'> {
  const findings = overlay ? (overlay.findingsIncludeIntegrity ? [...overlay.findings] : [...overlay.findings, ...problemsAsFindings(doc)]) : problemsAsFindings(doc);
  // Errors first; within a severity, the file's integrity problems (a missing shard, a truncated
  // file) lead, because they explain the rest (tensors "absent" because their shard is missing).
  const order = { error: 0, warning: 1, info: 2 } as const;
  const integrity = new Set(doc.problems.map((p) => p.code));
  findings.sort((a, b) => order[a.severity] - order[b.severity] || Number(!integrity.has(a.code)) - Number(!integrity.has(b.code)));
  return {
    title: doc.path.split(/[\\/]/).pop() ?? doc.path,
    path: doc.path,
    format: doc.format,
    family: overlay?.family ?? null,
    variant: overlay?.variant ?? null,
    target: overlay?.target ?? null,
    tensorCount: doc.tensorCount,
    unreadableCount: doc.unreadable.length,
    parameterCount: doc.parameterCount,
    byteCount: doc.byteCount,
    fileCount: doc.files.length,
    dtypes: Object.entries(doc.dtypes).map(([dtype, v]) => ({ dtype, parameters: v.parameters })),
    findings,
    metadata: Object.entries(doc.metadata)
      .slice(0, MAX_METADATA)
      .map(([k, v]) => [k.slice(0, 500), v.length > 500 ? `${v.slice(0, 500)}…` : v] as const),
    genericTree: !overlay,
    ...(overlay ? (overlay.notChecked ? { notChecked: overlay.notChecked } : {}) : { notChecked: NOT_CHECKED_NO_ANALYSIS }),
    ...(overlay ? (overlay.probeUnavailable ? { probeUnavailable: overlay.probeUnavailable } : {}) : { probeUnavailable: PROBE_NEEDS_CLIP }),
    ...(Object.keys(doc.extras ?? {}).length
      ? {
          extras: Object.entries(doc.extras)
            .slice(0, MAX_METADATA)
            .map(([k, v]) => [k.slice(0, 500), v.length > 500 ? `${v.slice(0, 500)}…` : v] as const),
        }
      : {}),
  };
}

export function buildViewModel(doc: InspectDocument, overlay: AnalysisOverlay | null): ViewModel {
  return { ...viewModelHeader(doc, overlay), roots: viewRoots(doc, overlay) };
}

/**
 * Whether the analysis changes the tree: towers group it, marks and ghost rows change rows.
 * When it does not, the plain name tree shown on the first screen stands (rows, expansion, scroll).
 */
export function overlayChangesTree(overlay: AnalysisOverlay | null): boolean {
  return !!overlay && (overlay.towers.length > 0 || overlay.marks.size > 0);
}

/** Said on the first screen while the analysis runs (the header was read, the tree is the plain name tree). */
export const CHECKING = 'checking the model: whether it is complete, and its shapes and values, against the layout it should have';
export const PROBE_WAITS_FOR_CHECK = 'Checking the model first: the zero-shot probe becomes available when the check has finished.';

/** The first screen, before the analysis: the header and the file's integrity problems, "checking…", never ✓. */
export function checkingHeader(doc: InspectDocument): Omit<ViewModel, 'roots'> {
  const { notChecked: _n, probeUnavailable: _p, ...rest } = viewModelHeader(doc, null);
  return { ...rest, checking: CHECKING, probeUnavailable: PROBE_WAITS_FOR_CHECK };
}
