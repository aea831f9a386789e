/**
 * Tensor details pane: metadata of the selected row, its first values (asked for when a tensor is
 * selected), statistics on demand, and the histogram drawn on a canvas with theme colours.
 */
import { pythonKeyAccess, type NonFinite, type StatsView, type ValuesView, type ViewNode } from '../src/shared/protocol.js';
import { clear, h } from './dom.js';
import { formatBytes, formatCount, formatNumber } from './format.js';
import { shapeText, tensorShapeText } from '../src/shared/treeModel.js';
import { displayName, hasInvisible, plural } from '../src/shared/text.js';

const MARK_WORD = { missing: 'missing', unexpected: 'unexpected', misshaped: 'wrong shape', unreadable: 'unreadable', zero: 'all zeros' } as const;

export interface DetailsActions {
  requestStats(name: string): void;
  /** Asks the host for the first values of a tensor; the answer comes back through setValues. */
  requestValues(name: string): void;
  copy(what: 'name' | 'python', text: string): void;
}

export type ValuesState = { kind: 'idle' } | { kind: 'loading' } | { kind: 'done'; values: ValuesView } | { kind: 'error'; code: string; message: string };
type StatsState = { kind: 'idle' } | { kind: 'running'; fraction: number } | { kind: 'done'; stats: StatsView } | { kind: 'error'; code: string; message: string };

export class DetailsPane {
  readonly element = h('section', { class: 'details', 'aria-label': 'Tensor details' });
  private node: ViewNode | null = null;
  private path = '';
  private stats: StatsState = { kind: 'idle' };
  private values: ValuesState = { kind: 'idle' };

  constructor(private readonly actions: DetailsActions) {
    this.show(null, '');
  }

  show(node: ViewNode | null, path: string, stats: StatsState = { kind: 'idle' }): void {
    this.node = node;
    this.path = path;
    this.stats = stats;
    const t = node?.tensor;
    const readable = t !== undefined && node!.mark !== 'missing' && node!.mark !== 'unreadable';
    this.values = readable ? { kind: 'loading' } : { kind: 'idle' };
    this.render();
    if (readable) this.actions.requestValues(t.name);
  }

  setValues(v: ValuesState): void {
    this.values = v;
    this.render();
  }

  /** Name of the tensor shown, when it is a real tensor. */
  get tensorName(): string | null {
    return this.node?.tensor && this.node.mark !== 'missing' ? this.node.tensor.name : null;
  }

  setStats(s: StatsState): void {
    this.stats = s;
    this.render();
  }

  private render(): void {
    const el = this.element;
    clear(el);
    const n = this.node;
    if (!n) {
      el.append(h('p', { class: 'hint' }, 'Select a row to see its details. Arrow keys move, Enter expands, typing jumps to a name.'));
      return;
    }
    const t = n.tensor;
    const shown = t ? t.name : this.path || n.label;
    el.append(h('h2', { class: 'details-name', title: displayName(this.path) }, displayName(shown)));
    if (hasInvisible(shown)) el.append(h('p', { class: 'name-warning', role: 'note' }, '⚠ This name contains invisible or control characters, shown as \\u escapes. Copy name copies it exactly; Copy as Python writes them as escapes.'));
    const rows: [string, string][] = [];
    if (t) {
      // Unknown (a tensor of a missing shard: the index declares only its shard) is said in words, never `[]`.
      rows.push(['dtype', t.dtype || 'unknown'], ['shape', tensorShapeText(t)]);
      if (t.expectedShape) rows.push(['expected shape', shapeText(t.expectedShape)]);
      if (n.mark === 'unreadable') rows.push(['bytes', t.shapeUnknown ? 'unknown' : 'not readable']);
      else if (n.mark !== 'missing') rows.push(['parameters', formatCount(n.parameters)], ['bytes', `${formatCount(n.bytes)} (${formatBytes(n.bytes)})`]);
      if (t.shard) rows.push(['shard', t.shard]);
      if (t.offsets) rows.push(['offsets', `${formatCount(t.offsets[0])} – ${formatCount(t.offsets[1])}`]);
    } else {
      rows.push(['tensors', formatCount(n.tensorCount)], ['parameters', formatCount(n.parameters)], ['bytes', formatBytes(n.bytes)]);
      if (n.repeat) rows.push(['repeated blocks', `×${n.repeat} (identical names, dtypes and shapes)`]);
      if (n.badge) rows.push(['tower', n.badge]);
    }
    if (n.missingCount) rows.push(['missing', plural(n.missingCount, 'tensor')]);
    if (n.mark) rows.push(['status', `${MARK_WORD[n.mark]}${n.note ? ` — ${n.note}` : ''}`]);
    el.append(h('dl', { class: 'kv' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])));
    if (!t) return;
    const v = this.values;
    if (v.kind === 'loading') el.append(h('p', { class: 'values-status' }, 'Reading the first values…'));
    else if (v.kind === 'error') el.append(h('p', { class: 'error values-error' }, `Values not shown — ${v.code}: ${v.message}`));
    else if (v.kind === 'done') el.append(valuesBlock(v.values));

    const copyName = h('vscode-button', { secondary: true, 'data-action': 'copy-name', title: 'Copy the tensor name' }, 'Copy name');
    copyName.addEventListener('click', () => this.actions.copy('name', t.name));
    const copyPy = h('vscode-button', { secondary: true, 'data-action': 'copy-python', title: pythonKeyAccess(t.name) }, 'Copy as Python');
    copyPy.addEventListener('click', () => this.actions.copy('python', pythonKeyAccess(t.name)));
    const buttons: HTMLElement[] = [copyName, copyPy];
    const readable = n.mark !== 'missing' && n.mark !== 'unreadable';
    if (readable) {
      const statsBtn = h('vscode-button', { 'data-action': 'stats', disabled: this.stats.kind === 'running' }, this.stats.kind === 'done' ? 'Recompute statistics' : 'Compute statistics');
      statsBtn.addEventListener('click', () => this.actions.requestStats(t.name));
      buttons.unshift(statsBtn);
    }
    el.append(h('div', { class: 'actions' }, ...buttons));

    const s = this.stats;
    if (s.kind === 'running') {
      el.append(h('div', { class: 'stats-progress' }, h('vscode-progress-ring', {}), ` Reading values… ${Math.round(s.fraction * 100)}%`));
    } else if (s.kind === 'error') {
      el.append(h('p', { class: 'error', role: 'alert' }, `${s.code}: ${s.message}`));
    } else if (s.kind === 'done') {
      el.append(statsBlock(s.stats));
    }
  }
}

/** A value as the pane shows it: 6 significant digits, exponent outside [1e-4, 1e6); NaN/±Inf as text. */
export function formatValue(v: number | NonFinite): string {
  if (typeof v === 'string') return v === 'NaN' ? 'NaN' : v === 'Infinity' ? '+Inf' : '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  return a >= 1e6 || a < 1e-4 ? v.toExponential(4) : v.toPrecision(6);
}

function valuesBlock(v: ValuesView): HTMLElement {
  const n = v.values.length;
  const caption = n === 0 ? 'No values (empty tensor).' : `First ${plural(n, 'value')} of ${formatCount(v.elementCount)}${v.dequantized ? ` (dequantised from ${v.dtype})` : ''}, in row-major order:`;
  return h(
    'div',
    { class: 'values-preview', role: 'group', 'aria-label': 'First values' },
    h('p', { class: 'values-caption' }, caption),
    n ? h('ol', { class: 'values-grid' }, ...v.values.map((x) => h('li', { class: typeof x === 'string' ? 'nonfinite' : undefined }, formatValue(x)))) : null,
  );
}

function statsBlock(s: StatsView): HTMLElement {
  const rows: [string, string][] = [
    ['values', formatCount(s.count)],
    ['min', formatNumber(s.min)],
    ['max', formatNumber(s.max)],
    ['mean', formatNumber(s.mean)],
    ['std', formatNumber(s.std)],
    ['zeros', formatCount(s.zeros)],
    ['NaN', formatCount(s.nan)],
    ['+Inf / −Inf', `${formatCount(s.posInf)} / ${formatCount(s.negInf)}`],
  ];
  const bad = s.nan + s.posInf + s.negInf;
  const canvas = h('canvas', { class: 'histogram', role: 'img', 'aria-label': histogramLabel(s) });
  const box = h(
    'div',
    { class: 'stats' },
    bad ? h('p', { class: 'error', role: 'alert' }, `${plural(bad, 'non-finite value')}`) : null,
    h('dl', { class: 'kv stats-kv' }, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    canvas,
  );
  // Draw once laid out (the canvas needs its CSS size), and again when resized.
  const ro = new ResizeObserver(() => (canvas.isConnected ? drawHistogram(canvas, s) : ro.disconnect()));
  ro.observe(canvas);
  return box;
}

function histogramLabel(s: StatsView): string {
  const c = s.histogram.counts;
  if (!c.length) return 'Histogram: no finite values';
  let peak = 0;
  for (let i = 1; i < c.length; i++) if (c[i]! > c[peak]!) peak = i;
  const e = s.histogram.edges;
  return `Histogram of ${c.length} bins from ${formatNumber(e[0] ?? null)} to ${formatNumber(e[e.length - 1] ?? null)}; most values between ${formatNumber(e[peak] ?? null)} and ${formatNumber(e[peak + 1] ?? null)}`;
}

function cssVar(el: Element, name: string, fallback: string): string {
  return getComputedStyle(el).getPropertyValue(name).trim() || fallback;
}

export function drawHistogram(canvas: HTMLCanvasElement, s: Pick<StatsView, 'histogram'>): void {
  const w = canvas.clientWidth;
  const hgt = canvas.clientHeight;
  if (!w || !hgt) return;
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(w * dpr);
  canvas.height = Math.round(hgt * dpr);
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, w, hgt);
  const bar = cssVar(canvas, '--vscode-charts-blue', '#3794ff');
  const fg = cssVar(canvas, '--vscode-descriptionForeground', '#888');
  const font = cssVar(canvas, '--vscode-font-family', 'sans-serif');
  const counts = s.histogram.counts;
  const edges = s.histogram.edges;
  const axis = 16;
  const plotH = hgt - axis;
  ctx.fillStyle = fg;
  ctx.font = `11px ${font}`;
  if (!counts.length) {
    ctx.fillText('no finite values', 4, plotH / 2);
    return;
  }
  const max = Math.max(...counts);
  const bw = w / counts.length;
  ctx.fillStyle = bar;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    if (!c) continue;
    // At least 1px so rare bins (outliers) stay visible.
    const bh = Math.max(1, (c / max) * (plotH - 2));
    ctx.fillRect(i * bw, plotH - bh, Math.max(1, bw - 1), bh);
  }
  ctx.fillStyle = fg;
  ctx.textBaseline = 'bottom';
  ctx.textAlign = 'left';
  ctx.fillText(formatNumber(edges[0] ?? null), 0, hgt);
  ctx.textAlign = 'right';
  ctx.fillText(formatNumber(edges[edges.length - 1] ?? null), w, hgt);
}
