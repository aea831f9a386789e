/**
 * The tree behind the virtualised list: the node forest flattened once into pre-order arrays, so
 * expanding, collapsing, filtering and finding the visible rows are linear scans over typed arrays
 * (100,000+ nodes in a few milliseconds) and never recursion (names can be deep).
 * No DOM here: unit-tested in Node.
 */
import type { ViewNode } from './protocol.js';

export type Matcher = (text: string) => boolean;

export interface FilterSpec {
  readonly text: string;
  readonly regex: boolean;
}

export type FilterResult = { ok: true; matcher: Matcher | null } | { ok: false; error: string };

/** Substring (case-insensitive) or regular expression; an invalid regex is an error, not a crash. */
export function compileFilter(f: FilterSpec): FilterResult {
  const text = f.text.trim();
  if (!text) return { ok: true, matcher: null };
  if (!f.regex) {
    const needle = text.toLowerCase();
    return { ok: true, matcher: (s) => s.toLowerCase().includes(needle) };
  }
  try {
    const re = new RegExp(text, 'i');
    return { ok: true, matcher: (s) => re.test(s) };
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : 'invalid regular expression' };
  }
}

export function shapeText(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

/** A tensor's shape as shown: "unknown" in words when nothing declares it (a tensor of a missing shard), never `[]`. */
export function tensorShapeText(t: { readonly shape: readonly number[]; readonly shapeUnknown?: boolean }): string {
  return t.shapeUnknown ? 'unknown' : shapeText(t.shape);
}

export class TreeModel {
  /** Nodes in pre-order. */
  readonly nodes: ViewNode[] = [];
  readonly depth: Uint16Array;
  readonly parent: Int32Array;
  /** Index one past the last descendant. */
  readonly end: Int32Array;
  /** Full dotted path of each node (tensor name for leaves). */
  readonly path: string[] = [];
  private readonly expanded: Uint8Array;
  /** When a filter is active: 1 = node matches or has a matching descendant. */
  private keep: Uint8Array | null = null;
  private filterExpanded: Uint8Array | null = null;
  private visibleRows: Int32Array = new Int32Array(0);
  private dirty = true;

  constructor(roots: readonly ViewNode[]) {
    // Iterative pre-order flattening (parallel stacks: no object per node).
    const sNode: ViewNode[] = [];
    const sDepth: number[] = [];
    const sParent: number[] = [];
    const sPrefix: string[] = [];
    for (let i = roots.length - 1; i >= 0; i--) {
      sNode.push(roots[i]!);
      sDepth.push(0);
      sParent.push(-1);
      sPrefix.push('');
    }
    const depth: number[] = [];
    const parent: number[] = [];
    while (sNode.length) {
      const n = sNode.pop()!;
      const d = sDepth.pop()!;
      const p = sParent.pop()!;
      const prefix = sPrefix.pop()!;
      const idx = this.nodes.length;
      this.nodes.push(n);
      depth.push(d);
      parent.push(p);
      const kids = n.children;
      // A tensor row's path is its name; a group's is its dotted prefix (built only for groups).
      const own = n.tensor && !kids?.length ? '' : n.synthetic ? prefix : prefix ? `${prefix}.${n.label}` : n.label;
      this.path.push(n.tensor ? n.tensor.name : own);
      if (!kids) continue;
      for (let i = kids.length - 1; i >= 0; i--) {
        sNode.push(kids[i]!);
        sDepth.push(d + 1);
        sParent.push(idx);
        sPrefix.push(own);
      }
    }
    const count = this.nodes.length;
    this.depth = Uint16Array.from(depth, (d) => Math.min(d, 65535));
    this.parent = Int32Array.from(parent);
    this.end = new Int32Array(count);
    // end[i] = i + 1 + size of subtree; computed backwards by accumulating into parents.
    const size = new Int32Array(count).fill(1);
    for (let i = count - 1; i > 0; i--) {
      const p = this.parent[i]!;
      if (p >= 0) size[p]! += size[i]!;
    }
    for (let i = 0; i < count; i++) this.end[i] = i + size[i]!;
    this.expanded = new Uint8Array(count);
    this.resetExpansion();
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Whether a filter is on. */
  get filtering(): boolean {
    return this.keep !== null;
  }

  hasChildren(i: number): boolean {
    return this.end[i]! > i + 1;
  }

  /** Default: top two levels open, repeated blocks (×N) closed. */
  resetExpansion(): void {
    for (let i = 0; i < this.nodes.length; i++) this.expanded[i] = this.depth[i]! < 2 && !this.nodes[i]!.repeat ? 1 : 0;
    this.dirty = true;
  }

  private exp(): Uint8Array {
    return this.filterExpanded ?? this.expanded;
  }

  isExpanded(i: number): boolean {
    return this.exp()[i] === 1;
  }

  setExpanded(i: number, open: boolean): void {
    if (!this.hasChildren(i)) return;
    this.exp()[i] = open ? 1 : 0;
    this.dirty = true;
  }

  setAllExpanded(open: boolean): void {
    this.exp().fill(open ? 1 : 0);
    this.dirty = true;
  }

  /** Opens every ancestor of node i (so it becomes visible). */
  revealNode(i: number): void {
    // Drop a filter that hides the row first: its expansion state goes with it.
    if (this.keep && !this.keep[i]) this.setFilter(null);
    for (let p = this.parent[i]!; p >= 0; p = this.parent[p]!) this.exp()[p] = 1;
    this.dirty = true;
  }

  findByName(name: string): number {
    for (let i = 0; i < this.nodes.length; i++) if (this.nodes[i]!.tensor?.name === name) return i;
    return -1;
  }

  /** Whether node i matches: its name, or for tensors its dtype or shape (each tested alone, so `^…$` anchors work). */
  matches(i: number, m: Matcher): boolean {
    const t = this.nodes[i]!.tensor;
    return t ? m(t.name) || m(t.dtype) || m(shapeText(t.shape)) : m(this.path[i]!);
  }

  /** Applies a filter; returns the number of matching nodes. Null clears it. */
  setFilter(m: Matcher | null): number {
    this.dirty = true;
    if (!m) {
      this.keep = null;
      this.filterExpanded = null;
      return 0;
    }
    const n = this.nodes.length;
    const keep = new Uint8Array(n);
    let matches = 0;
    for (let i = n - 1; i >= 0; i--) {
      // Groups match through their tensors; a leaf (or tensor-bearing group) by its own text.
      if ((this.nodes[i]!.tensor || !this.hasChildren(i)) && this.matches(i, m)) {
        keep[i] = 1;
        matches++;
      }
      if (keep[i]) {
        const p = this.parent[i]!;
        if (p >= 0) keep[p] = 1;
      }
    }
    this.keep = keep;
    this.filterExpanded = new Uint8Array(n).fill(1);
    return matches;
  }

  /** Indices of the visible rows in display order. */
  visible(): Int32Array {
    if (!this.dirty) return this.visibleRows;
    const n = this.nodes.length;
    const out = new Int32Array(n);
    const exp = this.exp();
    const keep = this.keep;
    let k = 0;
    let i = 0;
    while (i < n) {
      if (keep && !keep[i]) {
        i = this.end[i]!;
        continue;
      }
      out[k++] = i;
      i = exp[i] ? i + 1 : this.end[i]!;
    }
    this.visibleRows = out.subarray(0, k);
    this.dirty = false;
    return this.visibleRows;
  }
}
