/**
 * The comparison panel: verdict sentence (tensor names as code), the two sides, a per-tower
 * table, the worst pairs, unmatched tensors, notes, and the histogram of b − a for a selected
 * pair (computed on request by the worker). All names are set as text.
 */
import type { CompareState, CompareView, ComparePairView, DiffHistogramView } from '../src/shared/jobViews.js';
import { drawHistogram } from './details.js';
import { clear, h } from './dom.js';
import { compactCount, formatBytes, formatCount, formatNumber } from './format.js';

export interface CompareActions {
  requestHistogram(key: string): void;
  copyMarkdown(): void;
}

export type HistogramState = { readonly kind: 'running'; readonly key: string } | { readonly kind: 'done'; readonly histogram: DiffHistogramView } | { readonly kind: 'error'; readonly key: string; readonly code: string; readonly message: string };

const STATUS_ICON: Record<ComparePairView['status'], string> = { identical: '=', equal: '=', close: '≈', different: '≠', 'shape-mismatch': '⊘', unreadable: '✖' };

function side(label: string, v: CompareView['a']): HTMLElement {
  return h(
    'div',
    { class: 'compare-side' },
    h('strong', {}, `${label}: `),
    h('span', { class: 'side-label', title: v.path }, v.label),
    h('span', { class: 'chip' }, v.format),
    v.layout ? h('span', { class: 'chip' }, v.layout) : null,
    h('span', { class: 'chip' }, `${formatCount(v.tensors)} tensors`),
    h('span', { class: 'chip' }, `${compactCount(v.parameters)} parameters`),
    h('span', { class: 'chip' }, formatBytes(v.bytes)),
  );
}

function towerTable(v: CompareView): HTMLElement {
  const cols = ['tower', 'matched', 'identical', 'equal', 'close', 'different', 'shape', 'unreadable', 'only A', 'only B', 'meaning'];
  return h(
    'table',
    { class: 'tower-table' },
    h('thead', {}, h('tr', {}, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
    h(
      'tbody',
      {},
      ...v.towers.map((t) =>
        h(
          'tr',
          { class: t.different || t.shapeMismatch || t.unreadable || ((t.onlyA || t.onlyB) && !t.allowed) ? 'tower-bad' : 'tower-ok' },
          h('th', { scope: 'row' }, t.tower),
          ...[t.matched, t.identical, t.equal, t.close, t.different, t.shapeMismatch, t.unreadable, t.onlyA, t.onlyB].map((n) => h('td', { class: 'num' }, formatCount(n))),
          h('td', {}, t.meaning ?? (t.onlyA || t.onlyB ? (t.allowed ? 'allowed' : '') : '')),
        ),
      ),
    ),
  );
}

function pairRow(p: ComparePairView, onSelect: (p: ComparePairView, row: HTMLElement) => void): HTMLElement {
  const names = p.aNames.join(' + ') === p.bNames.join(' + ') ? p.aNames.join(' + ') : `${p.aNames.join(' + ')} → ${p.bNames.join(' + ')}`;
  const row = h(
    'tr',
    { class: `pair pair-${p.status}`, tabindex: 0, 'aria-label': `${p.status} ${p.key}` },
    h('td', { class: 'status', title: p.status }, `${STATUS_ICON[p.status]} ${p.status}`),
    h('td', {}, h('code', { class: 'pair-key' }, p.key), names !== p.key ? h('div', { class: 'pair-names' }, names) : null, ...p.notes.map((n) => h('div', { class: 'pair-note' }, n))),
    h('td', {}, p.tower),
    h('td', {}, p.aDtype === p.bDtype ? p.aDtype : `${p.aDtype} → ${p.bDtype}`),
    h('td', { class: 'num' }, formatNumber(p.maxAbs)),
    h('td', { class: 'num' }, formatNumber(p.relRms)),
    h('td', { class: 'num' }, formatNumber(p.cosine)),
  );
  const select = () => onSelect(p, row);
  row.addEventListener('click', select);
  row.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      select();
    }
  });
  return row;
}

function unmatchedList(title: string, items: CompareView['onlyA'], total: number): HTMLElement | null {
  if (!total) return null;
  return h(
    'details',
    { class: 'unmatched' },
    h('summary', {}, `${title}: ${formatCount(total)}${items.length < total ? ` (first ${items.length} shown)` : ''}`),
    h('ul', {}, ...items.map((t) => h('li', {}, h('code', {}, t.name), ` ${t.dtype} [${t.shape.join(', ')}] · ${t.tower}${t.harmless ? ' · harmless (all-zero bias)' : ''}`))),
  );
}

export class ComparePanelView {
  readonly element = h('div', { class: 'compare' });
  private histogramBox = h('div', { class: 'diff-histogram', 'aria-live': 'polite' });
  private selectedKey: string | null = null;

  constructor(private readonly actions: CompareActions) {}

  show(state: CompareState): void {
    clear(this.element);
    this.selectedKey = null;
    if (state.kind === 'running') {
      this.element.append(h('div', { class: 'state loading', role: 'status' }, h('vscode-progress-ring', { 'aria-label': 'Comparing' }), h('p', {}, `Comparing ${state.title}… ${state.message} (${Math.round(state.fraction * 100)} %)`)));
      return;
    }
    if (state.kind === 'error') {
      this.element.append(h('div', { class: 'state failure', role: 'alert' }, h('h1', {}, 'The comparison could not run'), h('p', { class: 'file' }, state.title), h('p', {}, h('code', {}, state.code), ': ', state.message)));
      return;
    }
    if (state.kind === 'cancelled') {
      this.element.append(h('div', { class: 'state', role: 'status' }, h('p', {}, `Comparison of ${state.title} cancelled.`)));
      return;
    }
    const v = state.view;
    const c = v.counts;
    const verdict = h(
      'p',
      { class: `compare-verdict ${v.equivalent ? 'equivalent' : 'different'}`, role: v.equivalent ? 'status' : 'alert' },
      h('strong', {}, v.equivalent ? 'EQUIVALENT: ' : 'DIFFERENT: '),
      ...v.parts.map((p) => ('name' in p ? h('code', {}, p.name) : p.text)),
    );
    const summary = `${formatCount(c.matched)} matched (${formatCount(c.identical)} identical, ${formatCount(c.equal)} equal, ${formatCount(c.close)} within tolerance, ${formatCount(c.different)} different, ${formatCount(c.shapeMismatch)} shape, ${formatCount(c.unreadable)} unreadable) · ${formatCount(c.onlyA)} only in A · ${formatCount(c.onlyB)} only in B · paired by ${v.matching === 'name' ? 'name' : 'cross-layout mapping'} · ${v.seconds.toFixed(2)} s`;
    const worstBody = h('tbody', {}, ...v.worst.map((p) => pairRow(p, (pair, row) => this.select(pair, row))));
    this.histogramBox = h('div', { class: 'diff-histogram', 'aria-live': 'polite' }, h('p', { class: 'hint' }, 'Select a pair to see the histogram of b − a.'));
    const copy = h('vscode-button', { secondary: true, class: 'copy-markdown', title: 'Copy the comparison report as Markdown (for an issue or a PR)' }, 'Copy as Markdown');
    copy.addEventListener('click', () => this.actions.copyMarkdown());
    const parts: (HTMLElement | null)[] = [
      h('header', { class: 'summary' }, h('div', { class: 'title-row' }, h('h1', {}, 'Checkpoint comparison'), copy), side('A', v.a), side('B', v.b)),
      verdict,
      h('p', { class: 'compare-counts' }, summary),
      h('h2', {}, 'Per tower'),
      towerTable(v),
      h('h2', {}, c.different + c.close + c.shapeMismatch + c.unreadable ? 'Tensors that differ most' : 'Pairs'),
      v.worst.length
        ? h(
            'table',
            { class: 'worst-table' },
            h('thead', {}, h('tr', {}, ...['status', 'tensor', 'tower', 'dtype', 'max |a−b|', 'rel. RMS', 'cosine'].map((t) => h('th', { scope: 'col' }, t)))),
            worstBody,
          )
        : h('p', { class: 'hint' }, 'No matched pairs.'),
      this.histogramBox,
      unmatchedList('Only in A (dropped by B)', v.onlyA, c.onlyA),
      unmatchedList('Only in B (added by B)', v.onlyB, c.onlyB),
      v.notes.length ? h('details', { class: 'notes' }, h('summary', {}, `Notes (${v.notes.length})`), h('ul', {}, ...v.notes.map((n) => h('li', {}, n)))) : null,
    ];
    this.element.append(...parts.filter((x): x is HTMLElement => x !== null));
  }

  private select(p: ComparePairView, row: HTMLElement): void {
    for (const r of this.element.querySelectorAll('tr.selected')) r.classList.remove('selected');
    row.classList.add('selected');
    this.selectedKey = p.key;
    if (!p.histogram) {
      this.setHistogram({ kind: 'error', key: p.key, code: 'pair-not-comparable', message: `values of a ${p.status} pair are not compared` });
      return;
    }
    this.setHistogram({ kind: 'running', key: p.key });
    this.actions.requestHistogram(p.key);
  }

  setHistogram(st: HistogramState): void {
    const key = st.kind === 'done' ? st.histogram.key : st.key;
    if (key !== this.selectedKey) return;
    clear(this.histogramBox);
    // The histogram sits below the pairs table: bring it into view (a long table would hide it).
    queueMicrotask(() => this.histogramBox.scrollIntoView?.({ block: 'nearest' }));
    const title = h('h3', {}, 'Histogram of b − a: ', h('code', {}, key));
    if (st.kind === 'running') {
      this.histogramBox.append(title, h('div', { class: 'state loading' }, h('vscode-progress-ring', { 'aria-label': 'Computing histogram' })));
      return;
    }
    if (st.kind === 'error') {
      this.histogramBox.append(title, h('p', { class: 'stats-error' }, h('code', {}, st.code), ': ', st.message));
      return;
    }
    const hg = st.histogram;
    const canvas = h('canvas', { class: 'histogram', role: 'img', 'aria-label': `Histogram of b − a over ${hg.count} elements, range ±${formatNumber(hg.maxAbs)}` });
    this.histogramBox.append(
      title,
      h('p', { class: 'hint' }, `${formatCount(hg.count)} elements, max |b − a| = ${formatNumber(hg.maxAbs)}${hg.nonFinite ? `, ${formatCount(hg.nonFinite)} non-finite (not binned)` : ''}${hg.maxAbs === 0 ? ' — all values equal' : ''}`),
      canvas,
    );
    const ro = new ResizeObserver(() => (canvas.isConnected ? drawHistogram(canvas, { histogram: hg }) : ro.disconnect()));
    ro.observe(canvas);
  }
}
