/**
 * The host side of the editor's windowed row protocol: it keeps the whole tree (TreeModel) of one
 * model, applies the webview's tree operations (expand, collapse, filter, reveal, type-to-find)
 * and answers with one window of visible rows. The webview never holds more than a window, so its
 * memory and its first screen do not grow with the tensor count. No DOM, no `vscode`: the
 * extension host and the webview tests' fake host run this same code.
 */
import { MAX_ROW_WINDOW, type HostMessage, type RowView, type TreeOp, type ViewHeader, type ViewModel, type ViewNode } from './protocol.js';
import { compileFilter, TreeModel } from './treeModel.js';

type RowsMessage = Extract<HostMessage, { type: 'rows' }>;

/** The model without its tree, plus what the webview needs to size the tree. */
export function viewHeader(model: ViewModel, tree: TreeModel): ViewHeader {
  const { roots: _roots, ...rest } = model;
  return { ...rest, nodeCount: tree.size, shapeChars: longestShape(tree) };
}

/** Characters of the longest shape text in the tree (so the shape column fits 4-D shapes). */
function longestShape(tree: TreeModel): number {
  let max = 0;
  for (const n of tree.nodes) {
    const t = n.tensor;
    if (!t) continue;
    let len = 2 + Math.max(0, t.shape.length - 1) * 2;
    for (const d of t.shape) len += d < 10 ? 1 : d < 100 ? 2 : d < 1000 ? 3 : d < 10000 ? 4 : String(d).length;
    if (len > max) max = len;
  }
  return max;
}

/** Versions are unique across sessions: an answer from a replaced tree never passes for the new one's. */
let nextVersion = 1;

export class TreeSession {
  readonly tree: TreeModel;
  header: ViewHeader;
  private version = nextVersion++;
  private matches: number | null = null;

  constructor(model: ViewModel) {
    this.tree = new TreeModel(model.roots);
    this.header = viewHeader(model, this.tree);
  }

  /** A new header for the same tree (the analysis finished without changing any row). */
  setHeader(model: Omit<ViewModel, 'roots'>): ViewHeader {
    this.header = { ...model, nodeCount: this.header.nodeCount, shapeChars: this.header.shapeChars };
    return this.header;
  }

  /** Applies `op` and answers with rows [start, end) (moved to show the focused row, if any). */
  handle(requestId: number, op: TreeOp, start: number, end: number, selected: number): RowsMessage {
    const t = this.tree;
    let filterError: string | null = null;
    let focus = -1;
    switch (op.kind) {
      case 'rows':
        break;
      case 'toggle':
        if (op.node < t.size && t.hasChildren(op.node) && t.isExpanded(op.node) !== op.open) {
          t.setExpanded(op.node, op.open);
          this.version = nextVersion++;
        }
        break;
      case 'expandAll':
      case 'collapseAll':
        t.setAllExpanded(op.kind === 'expandAll');
        this.version = nextVersion++;
        break;
      case 'filter': {
        const f = compileFilter({ text: op.text, regex: op.regex });
        if (!f.ok) {
          filterError = f.error;
          break;
        }
        const n = t.setFilter(f.matcher);
        this.matches = f.matcher ? n : null;
        this.version = nextVersion++;
        break;
      }
      case 'reveal': {
        const i = t.findByName(op.name);
        if (i >= 0) {
          t.revealNode(i);
          // revealNode drops a filter that hides the row.
          if (!t.filtering) this.matches = null;
          this.version = nextVersion++;
          focus = this.posOf(i);
        }
        break;
      }
      case 'find':
        focus = this.find(op.prefix.toLowerCase(), op.from);
        break;
    }
    const v = t.visible();
    let count = Math.min(MAX_ROW_WINDOW, Math.max(0, end - start));
    if (focus >= 0 && (focus < start || focus >= start + count)) start = Math.max(0, focus - (count >> 1));
    start = Math.max(0, Math.min(start, v.length - count));
    count = Math.min(count, v.length - start);
    const rows: RowView[] = [];
    for (let p = start; p < start + count; p++) rows.push(this.row(v, p));
    return { type: 'rows', requestId, version: this.version, total: v.length, start, rows, matches: this.matches, filterError, focus, selectedPos: this.posOf(selected) };
  }

  private row(v: Int32Array, p: number): RowView {
    const t = this.tree;
    const i = v[p]!;
    const { children: _c, ...view } = t.nodes[i]!;
    const parent = t.parent[i]!;
    return { node: i, depth: t.depth[i]!, parentPos: parent >= 0 ? this.posOf(parent) : -1, hasChildren: t.hasChildren(i), expanded: t.isExpanded(i), path: t.path[i] ?? '', view: view as ViewNode };
  }

  /** Position of node i among the visible rows (pre-order: ascending), or -1. */
  posOf(node: number): number {
    if (node < 0) return -1;
    const v = this.tree.visible();
    let lo = 0;
    let hi = v.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const x = v[mid]!;
      if (x === node) return mid;
      if (x < node) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private find(prefix: string, from: number): number {
    const v = this.tree.visible();
    if (!prefix || !v.length) return -1;
    for (let k = 0; k < v.length; k++) {
      const p = (from + k) % v.length;
      if (this.tree.nodes[v[p]!]!.label.toLowerCase().startsWith(prefix)) return p;
    }
    return -1;
  }
}
