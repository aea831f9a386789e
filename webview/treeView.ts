/**
 * Virtualised tree list: a fixed pool of row elements (one screen plus a margin) positioned over
 * a tall spacer; scrolling only rewrites the text of the pooled rows. Plain elements styled with
 * VS Code theme variables: a web-component tree (vscode-tree) renders every item and cannot
 * hold 100,000 rows.
 *
 * Accessibility: the scroller is the `tree` (focusable), rows are `treeitem`s with level/expanded
 * state, and the selected row is exposed through aria-activedescendant.
 */
import { h } from './dom.js';
import { compactCount, formatBytes, formatCount } from './format.js';
import { tensorShapeText } from '../src/shared/treeModel.js';
import type { HostMessage, RowView, TreeOp } from '../src/shared/protocol.js';
import { displayName, visibleText } from '../src/shared/text.js';
import { RemoteTree } from './remoteTree.js';

type RowsMessage = Extract<HostMessage, { type: 'rows' }>;

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;
const TYPE_RESET_MS = 800;
const KEYS = ['ArrowDown', 'ArrowUp', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageDown', 'PageUp', 'Enter'];

const MARK_TEXT = { missing: 'missing', unexpected: 'unexpected', misshaped: 'wrong shape', unreadable: 'unreadable', zero: 'all zeros' } as const;
const BADGE_TEXT = { complete: 'complete', incomplete: 'incomplete', absent: 'absent', 'not-expected': 'not expected', unchecked: '', 'shard-missing': 'shard missing' } as const;

interface RowEls {
  readonly row: HTMLElement;
  readonly twisty: HTMLElement;
  readonly label: HTMLElement;
  readonly tag: HTMLElement;
  readonly dtype: HTMLElement;
  readonly shape: HTMLElement;
  readonly params: HTMLElement;
  readonly bytes: HTMLElement;
  readonly shard: HTMLElement;
  /** The row object shown (rows are immutable; a new answer brings new objects). */
  shown: RowView | null;
}

export class TreeView {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: RowEls[] = [];
  private tree: RemoteTree | null = null;
  /** Selected node (index in the host's tree), or -1; its position among the visible rows, or -1. */
  selected = -1;
  private selectedPos = -1;
  /** A position to select once its row arrives (keyboard moves past the rows held). */
  private pendingSelect: { pos: number; focus: boolean } | null = null;
  private frame = 0;
  private typed = '';
  private typedAt = 0;

  constructor(
    private readonly post: (m: import('../src/shared/protocol.js').WebviewMessage) => void,
    private readonly onSelect: (row: RowView) => void,
    private readonly showShard: () => boolean,
    private readonly onAnswer: (m: RowsMessage, op: TreeOp) => void,
  ) {
    this.spacer = h('div', { class: 'spacer' });
    this.element = h('div', { class: 'tree', role: 'tree', tabindex: 0, 'aria-label': 'Tensors', 'aria-multiselectable': 'false' }, this.spacer);
    this.element.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('click', (e) => this.onClick(e));
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  /** Starts a new model's tree with its first window of rows, if the model brought it (else the first render asks). */
  reset(active: boolean, first?: RowsMessage): void {
    this.tree = active
      ? new RemoteTree(this.post, () => this.selected, {
          changed: () => this.onRows(),
          answered: (m, op) => this.answered(m, op),
        })
      : null;
    if (first) this.tree?.seed(first);
    this.selected = -1;
    this.selectedPos = -1;
    this.pendingSelect = null;
    this.queuedKeys.length = 0;
    for (const r of this.pool) r.shown = null;
    this.element.scrollTop = 0;
    this.render();
  }

  /** Sends a tree operation (its answer re-renders). */
  op(op: TreeOp): void {
    this.tree?.request(op);
    this.markBusy();
  }

  /** aria-busy while rows are awaited (assistive technology, and tests wait on it). */
  private markBusy(): void {
    this.element.setAttribute('aria-busy', String(!!this.tree?.busy));
  }

  /** Rows the webview holds (one window, whatever the size of the tree). */
  get heldRows(): number {
    return this.tree?.held ?? 0;
  }

  /** Receives a `rows` answer from the host. */
  receive(m: RowsMessage): void {
    this.tree?.receive(m);
    this.markBusy();
    this.drainKeys();
  }

  private answered(m: RowsMessage, op: TreeOp): void {
    if (this.selected >= 0) this.selectedPos = m.selectedPos;
    if ((op.kind === 'reveal' || op.kind === 'find') && m.focus >= 0) {
      this.scrollToPos(m.focus);
      this.pendingSelect = { pos: m.focus, focus: op.kind === 'reveal' };
    }
    this.onAnswer(m, op);
  }

  private onRows(): void {
    const p = this.pendingSelect;
    const row = p ? this.tree?.rowAt(p.pos) : undefined;
    if (p && row) {
      this.pendingSelect = null;
      this.selectRow(row, p.pos, { scroll: true, focus: p.focus });
      return;
    }
    this.render();
  }

  private schedule(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  private rowEls(): RowEls {
    const twisty = h('span', { class: 'twisty', 'aria-hidden': 'true' });
    const label = h('span', { class: 'label' });
    const tag = h('span', { class: 'tag' });
    const dtype = h('span', { class: 'col dtype' });
    const shape = h('span', { class: 'col shape' });
    const params = h('span', { class: 'col num params' });
    const bytes = h('span', { class: 'col num bytes' });
    const shard = h('span', { class: 'col shard' });
    const name = h('span', { class: 'name' }, twisty, label, tag);
    const row = h('div', { class: 'row', role: 'treeitem' }, name, dtype, shape, params, bytes, shard);
    return { row, twisty, label, tag, dtype, shape, params, bytes, shard, shown: null };
  }

  /** Renders the rows in view (asking the host for rows not held). Called on scroll (once per frame), resize, and answers. */
  render(): void {
    const t = this.tree;
    const total = t ? t.total : 0;
    this.spacer.style.height = `${total * ROW_HEIGHT}px`;
    this.element.setAttribute('aria-rowcount', String(total));
    const viewH = this.element.clientHeight || 600;
    const top = this.element.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(total, Math.ceil((top + viewH) / ROW_HEIGHT) + OVERSCAN);
    t?.need(first, Math.max(last, first + 1));
    this.markBusy();
    const need = last - first;
    while (this.pool.length < need) {
      const r = this.rowEls();
      this.pool.push(r);
      this.spacer.append(r.row);
    }
    const shard = this.showShard();
    this.element.classList.toggle('no-shard', !shard);
    let activeId = '';
    for (let k = 0; k < this.pool.length; k++) {
      const r = this.pool[k]!;
      const pos = first + k;
      const row = k < need && t ? t.rowAt(pos) : undefined;
      if (!row) {
        // Not asked for, or not arrived yet: nothing is shown (never a stale row).
        r.row.hidden = true;
        r.shown = null;
        r.row.removeAttribute('id');
        continue;
      }
      r.row.hidden = false;
      r.row.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
      r.row.dataset.pos = String(pos);
      if (r.shown !== row) {
        r.shown = row;
        this.fill(r, row);
      }
      const isSel = row.node === this.selected;
      if (isSel) {
        r.row.id = 'tree-active';
        activeId = 'tree-active';
      } else r.row.removeAttribute('id');
      r.row.setAttribute('aria-selected', String(isSel));
      r.row.classList.toggle('selected', isSel);
    }
    if (activeId) this.element.setAttribute('aria-activedescendant', activeId);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private fill(r: RowEls, row: RowView): void {
    const n = row.view;
    const depth = row.depth;
    r.row.setAttribute('aria-level', String(depth + 1));
    r.row.style.setProperty('--depth', String(depth));
    if (row.hasChildren) {
      r.twisty.textContent = row.expanded ? '▾' : '▸';
      r.row.setAttribute('aria-expanded', String(row.expanded));
    } else {
      r.twisty.textContent = '';
      r.row.removeAttribute('aria-expanded');
    }
    r.label.textContent = displayName(n.label);
    r.label.title = displayName(row.path);
    // One tag per row: mark (ghost/unexpected/…), tower badge, or ×N for repeated blocks.
    const tag = n.mark ? MARK_TEXT[n.mark] : n.badge ? BADGE_TEXT[n.badge] : n.repeat ? `×${n.repeat}` : n.missingCount ? `${n.missingCount} missing` : '';
    r.tag.textContent = tag;
    r.tag.className = `tag${n.mark ? ` mark-${n.mark}` : n.badge ? ` badge-${n.badge}` : n.repeat ? ' repeat' : n.missingCount ? ' mark-missing' : ''}`;
    r.row.className = `row${n.mark ? ` row-${n.mark}` : ''}${row.node === this.selected ? ' selected' : ''}`;
    r.row.title = visibleText(n.note ?? '');
    const t = n.tensor;
    if (t) {
      r.dtype.textContent = visibleText(t.dtype);
      r.shape.textContent = tensorShapeText(t);
    } else {
      r.dtype.textContent = '';
      r.shape.textContent = n.tensorCount ? `${formatCount(n.tensorCount)} tensors` : n.missingCount ? `${formatCount(n.missingCount)} missing` : '';
    }
    // Ghost rows, and groups made only of ghost rows, have no parameters in the file.
    const ghost = n.mark === 'missing' || (n.tensorCount === 0 && n.missingCount > 0);
    r.params.textContent = ghost ? '—' : compactCount(n.parameters);
    r.params.title = ghost ? '' : formatCount(n.parameters);
    r.bytes.textContent = ghost ? '—' : formatBytes(n.bytes);
    r.shard.textContent = visibleText(t?.shard ?? '');
    r.row.setAttribute('aria-label', visibleText(`${displayName(n.label)}${tag ? `, ${tag}` : ''}${t ? `, ${t.dtype} ${tensorShapeText(t)}` : ''}`));
  }

  // --- interaction -------------------------------------------------------------------------

  private selectRow(row: RowView, pos: number, opts: { scroll?: boolean; focus?: boolean } = {}): void {
    // The newest choice wins over a row still awaited (End, then Home before End's rows came).
    this.pendingSelect = null;
    this.selected = row.node;
    this.selectedPos = pos;
    if (opts.scroll !== false) this.scrollToPos(pos);
    this.render();
    // Only while the webview has focus: a reveal the host asks for (a Problems code link, which
    // then opens the docs beside) must not pull VS Code's focus back into this panel.
    if (opts.focus && document.hasFocus()) this.element.focus();
    this.onSelect(row);
  }

  /** Opens the ancestors of a tensor (the host clears a filter that hides it) and selects it. */
  reveal(name: string): void {
    this.op({ kind: 'reveal', name });
  }

  private scrollToPos(pos: number): void {
    if (pos < 0) return;
    const top = pos * ROW_HEIGHT;
    const el = this.element;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }

  private selectPos(pos: number): void {
    const t = this.tree;
    if (!t || !t.total) return;
    const p = Math.max(0, Math.min(t.total - 1, pos));
    const row = t.rowAt(p);
    if (row) this.selectRow(row, p);
    else {
      // Past the rows held: scroll there; the row is selected when it arrives.
      this.pendingSelect = { pos: p, focus: false };
      this.scrollToPos(p);
      this.render();
    }
  }

  private toggle(row: RowView): void {
    if (!row.hasChildren) return;
    this.op({ kind: 'toggle', node: row.node, open: !row.expanded });
  }

  private onClick(e: MouseEvent): void {
    const el = (e.target as Element).closest('.row') as HTMLElement | null;
    if (!el || !this.tree) return;
    const pos = Number(el.dataset.pos);
    const row = this.tree.rowAt(pos);
    if (!row) return;
    if ((e.target as Element).closest('.twisty') || (e.detail === 2 && row.hasChildren)) this.toggle(row);
    this.selectRow(row, pos, { scroll: false });
    this.element.focus();
  }

  /** Keys pressed while an answer was awaited, handled in order once it came (they act on fresh rows). */
  private readonly queuedKeys: string[] = [];

  private onKey(e: KeyboardEvent): void {
    const t = this.tree;
    if (!t) return;
    const key = e.key.length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey ? e.key : KEYS.includes(e.key) ? e.key : null;
    if (key === null) return;
    e.preventDefault();
    e.stopPropagation();
    if (t.busy || this.queuedKeys.length) this.queuedKeys.push(key);
    else this.handleKey(key);
  }

  private drainKeys(): void {
    while (this.queuedKeys.length && this.tree && !this.tree.busy) this.handleKey(this.queuedKeys.shift()!);
  }

  private handleKey(key: string): void {
    const t = this.tree;
    if (!t) return;
    const pos = this.selected >= 0 ? this.selectedPos : -1;
    const sel = pos >= 0 ? t.rowAt(pos) : undefined;
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 1);
    switch (key) {
      case 'ArrowDown':
        this.selectPos(pos < 0 ? 0 : pos + 1);
        break;
      case 'ArrowUp':
        this.selectPos(pos < 0 ? 0 : pos - 1);
        break;
      case 'Home':
        this.selectPos(0);
        break;
      case 'End':
        this.selectPos(t.total - 1);
        break;
      case 'PageDown':
        this.selectPos(pos + page);
        break;
      case 'PageUp':
        this.selectPos(pos - page);
        break;
      case 'ArrowRight':
        if (!sel) this.selectPos(0);
        else if (sel.hasChildren && !sel.expanded) this.toggle(sel);
        else if (sel.hasChildren) this.selectPos(pos + 1);
        break;
      case 'ArrowLeft':
        if (!sel) break;
        if (sel.hasChildren && sel.expanded) this.toggle(sel);
        else if (sel.parentPos >= 0) this.selectPos(sel.parentPos);
        break;
      case 'Enter':
      case ' ':
        if (sel?.hasChildren) this.toggle(sel);
        else if (sel) this.onSelect(sel);
        break;
      default:
        this.typeToFind(key);
    }
  }

  /** Type-to-find: printable keys accumulate a prefix; the host finds the next visible row whose label starts with it. */
  private typeToFind(key: string): void {
    const now = performance.now();
    const fresh = now - this.typedAt > TYPE_RESET_MS;
    this.typed = fresh ? key.toLowerCase() : this.typed + key.toLowerCase();
    this.typedAt = now;
    const total = this.tree?.total ?? 0;
    if (!total) return;
    const start = Math.max(0, this.selected >= 0 ? this.selectedPos : 0);
    // A new search starts after the current row; continuing a prefix may stay on it.
    this.op({ kind: 'find', prefix: this.typed, from: (fresh ? start + 1 : start) % total });
  }
}
