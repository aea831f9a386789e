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
import { shapeText, type TreeModel } from './treeModel.js';
import { displayName, visibleText } from '../src/shared/text.js';

export const ROW_HEIGHT = 22;
const OVERSCAN = 8;
const TYPE_RESET_MS = 800;

const MARK_TEXT = { missing: 'missing', unexpected: 'unexpected', misshaped: 'wrong shape', unreadable: 'unreadable', zero: 'all zeros' } as const;
const BADGE_TEXT = { complete: 'complete', incomplete: 'incomplete', absent: 'absent', 'not-expected': 'not expected', unchecked: '' } as const;

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
  node: number;
}

export class TreeView {
  readonly element: HTMLElement;
  private readonly spacer: HTMLElement;
  private readonly pool: RowEls[] = [];
  private model: TreeModel | null = null;
  /** Selected node index (in model.nodes), or -1. */
  selected = -1;
  private frame = 0;
  private typed = '';
  private typedAt = 0;

  constructor(
    private readonly onSelect: (node: number) => void,
    private readonly showShard: () => boolean,
  ) {
    this.spacer = h('div', { class: 'spacer' });
    this.element = h('div', { class: 'tree', role: 'tree', tabindex: 0, 'aria-label': 'Tensors', 'aria-multiselectable': 'false' }, this.spacer);
    this.element.addEventListener('scroll', () => this.schedule());
    this.element.addEventListener('keydown', (e) => this.onKey(e));
    this.element.addEventListener('click', (e) => this.onClick(e));
    new ResizeObserver(() => this.schedule()).observe(this.element);
  }

  setModel(m: TreeModel | null): void {
    this.model = m;
    this.selected = -1;
    for (const r of this.pool) r.node = -1;
    this.element.scrollTop = 0;
    this.render();
  }

  /** Re-render after the model's expansion or filter changed. */
  refresh(): void {
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
    return { row, twisty, label, tag, dtype, shape, params, bytes, shard, node: -1 };
  }

  /** Renders the rows in view. Called on scroll (once per frame), resize, and model changes. */
  render(): void {
    const m = this.model;
    const visible = m ? m.visible() : new Int32Array(0);
    this.spacer.style.height = `${visible.length * ROW_HEIGHT}px`;
    this.element.setAttribute('aria-rowcount', String(visible.length));
    const viewH = this.element.clientHeight || 600;
    const top = this.element.scrollTop;
    const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(visible.length, Math.ceil((top + viewH) / ROW_HEIGHT) + OVERSCAN);
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
      if (k >= need || !m) {
        r.row.hidden = true;
        r.node = -1;
        r.row.removeAttribute('id');
        continue;
      }
      const pos = first + k;
      const i = visible[pos]!;
      r.row.hidden = false;
      r.row.style.transform = `translateY(${pos * ROW_HEIGHT}px)`;
      r.row.dataset.pos = String(pos);
      const isSel = i === this.selected;
      if (isSel) {
        r.row.id = 'tree-active';
        activeId = 'tree-active';
      } else r.row.removeAttribute('id');
      r.row.setAttribute('aria-selected', String(isSel));
      r.row.classList.toggle('selected', isSel);
      if (r.node === i) {
        this.updateExpansion(r, m, i);
        continue;
      }
      r.node = i;
      this.fill(r, m, i);
    }
    if (activeId) this.element.setAttribute('aria-activedescendant', activeId);
    else this.element.removeAttribute('aria-activedescendant');
  }

  private updateExpansion(r: RowEls, m: TreeModel, i: number): void {
    if (!m.hasChildren(i)) return;
    const open = m.isExpanded(i);
    r.twisty.textContent = open ? '▾' : '▸';
    r.row.setAttribute('aria-expanded', String(open));
  }

  private fill(r: RowEls, m: TreeModel, i: number): void {
    const n = m.nodes[i]!;
    const depth = m.depth[i]!;
    r.row.setAttribute('aria-level', String(depth + 1));
    r.row.style.setProperty('--depth', String(depth));
    const kids = m.hasChildren(i);
    if (kids) {
      r.twisty.textContent = m.isExpanded(i) ? '▾' : '▸';
      r.row.setAttribute('aria-expanded', String(m.isExpanded(i)));
    } else {
      r.twisty.textContent = '';
      r.row.removeAttribute('aria-expanded');
    }
    r.label.textContent = displayName(n.label);
    r.label.title = displayName(m.path[i] ?? '');
    // One tag per row: mark (ghost/unexpected/…), tower badge, or ×N for repeated blocks.
    const tag = n.mark ? MARK_TEXT[n.mark] : n.badge ? BADGE_TEXT[n.badge] : n.repeat ? `×${n.repeat}` : n.missingCount ? `${n.missingCount} missing` : '';
    r.tag.textContent = tag;
    r.tag.className = `tag${n.mark ? ` mark-${n.mark}` : n.badge ? ` badge-${n.badge}` : n.repeat ? ' repeat' : n.missingCount ? ' mark-missing' : ''}`;
    r.row.className = `row${n.mark ? ` row-${n.mark}` : ''}${i === this.selected ? ' selected' : ''}`;
    r.row.title = visibleText(n.note ?? '');
    const t = n.tensor;
    if (t) {
      r.dtype.textContent = visibleText(t.dtype);
      r.shape.textContent = shapeText(t.shape);
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
    r.row.setAttribute('aria-label', visibleText(`${displayName(n.label)}${tag ? `, ${tag}` : ''}${t ? `, ${t.dtype} ${shapeText(t.shape)}` : ''}`));
  }

  // --- interaction -------------------------------------------------------------------------

  private visiblePos(node: number): number {
    if (!this.model || node < 0) return -1;
    const v = this.model.visible();
    // Binary search: visible rows are in pre-order, i.e. ascending node index.
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

  select(node: number, opts: { scroll?: boolean; focus?: boolean } = {}): void {
    this.selected = node;
    if (opts.scroll !== false) this.scrollToPos(this.visiblePos(node));
    this.render();
    if (opts.focus) this.element.focus();
    this.onSelect(node);
  }

  private scrollToPos(pos: number): void {
    if (pos < 0) return;
    const top = pos * ROW_HEIGHT;
    const el = this.element;
    if (top < el.scrollTop) el.scrollTop = top;
    else if (top + ROW_HEIGHT > el.scrollTop + el.clientHeight) el.scrollTop = top + ROW_HEIGHT - el.clientHeight;
  }

  private selectPos(pos: number): void {
    const v = this.model?.visible();
    if (!v || !v.length) return;
    const p = Math.max(0, Math.min(v.length - 1, pos));
    this.select(v[p]!);
  }

  toggle(node: number): void {
    const m = this.model;
    if (!m || !m.hasChildren(node)) return;
    m.setExpanded(node, !m.isExpanded(node));
    this.render();
  }

  private onClick(e: MouseEvent): void {
    const row = (e.target as Element).closest('.row') as HTMLElement | null;
    if (!row || !this.model) return;
    const pos = Number(row.dataset.pos);
    const node = this.model.visible()[pos];
    if (node === undefined) return;
    if ((e.target as Element).closest('.twisty') || (e.detail === 2 && this.model.hasChildren(node))) this.toggle(node);
    this.select(node, { scroll: false });
    this.element.focus();
  }

  private onKey(e: KeyboardEvent): void {
    const m = this.model;
    if (!m) return;
    const v = m.visible();
    const pos = this.visiblePos(this.selected);
    const page = Math.max(1, Math.floor(this.element.clientHeight / ROW_HEIGHT) - 1);
    const sel = this.selected;
    let handled = true;
    switch (e.key) {
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
        this.selectPos(v.length - 1);
        break;
      case 'PageDown':
        this.selectPos(pos + page);
        break;
      case 'PageUp':
        this.selectPos(pos - page);
        break;
      case 'ArrowRight':
        if (sel < 0) this.selectPos(0);
        else if (m.hasChildren(sel) && !m.isExpanded(sel)) this.toggle(sel);
        else if (m.hasChildren(sel)) this.selectPos(pos + 1);
        break;
      case 'ArrowLeft':
        if (sel < 0) break;
        if (m.hasChildren(sel) && m.isExpanded(sel)) this.toggle(sel);
        else if (m.parent[sel]! >= 0) this.select(m.parent[sel]!);
        break;
      case 'Enter':
      case ' ':
        if (sel >= 0 && m.hasChildren(sel)) this.toggle(sel);
        else if (sel >= 0) this.onSelect(sel);
        break;
      default:
        handled = this.typeToFind(e);
    }
    if (handled) {
      e.preventDefault();
      e.stopPropagation();
    }
  }

  /** Type-to-find: printable keys accumulate a prefix; selects the next visible row whose label starts with it. */
  private typeToFind(e: KeyboardEvent): boolean {
    if (e.key.length !== 1 || e.ctrlKey || e.metaKey || e.altKey) return false;
    const now = performance.now();
    const fresh = now - this.typedAt > TYPE_RESET_MS;
    this.typed = fresh ? e.key.toLowerCase() : this.typed + e.key.toLowerCase();
    this.typedAt = now;
    const m = this.model!;
    const v = m.visible();
    const start = Math.max(0, this.visiblePos(this.selected));
    // A new search starts after the current row; continuing a prefix may stay on it.
    const from = fresh ? start + 1 : start;
    for (let k = 0; k < v.length; k++) {
      const p = (from + k) % v.length;
      if (m.nodes[v[p]!]!.label.toLowerCase().startsWith(this.typed)) {
        this.selectPos(p);
        return true;
      }
    }
    return true;
  }
}
