/**
 * Webview entry: receives validated host messages and renders the loading state, a failure
 * state, or the checkpoint (summary header, findings banner, filter toolbar, virtualised tree,
 * details pane). All data is set as text; nothing from a message ever becomes HTML.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-badge/index.js';
import { parseHostMessage, type Finding, type HostMessage, type TreeOp, type ViewHeader, type WebviewMessage } from '../src/shared/protocol.js';
import type { ProbeState } from '../src/shared/jobViews.js';
import { ComparePanelView } from './compareView.js';
import { DetailsPane } from './details.js';
import { probeSection } from './probeView.js';
import { clear, h } from './dom.js';
import { compactCount, formatBytes, formatCount } from './format.js';
import { displayName, familyLabel, plural } from '../src/shared/text.js';
import { TreeView } from './treeView.js';

interface VsCodeApi {
  postMessage(m: WebviewMessage): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const app = document.getElementById('app')!;
const post = (m: WebviewMessage) => vscode.postMessage(m);

interface SavedState {
  filter: string;
  regex: boolean;
}
const saved = ((): SavedState => {
  const s = vscode.getState() as Partial<SavedState> | undefined;
  return { filter: typeof s?.filter === 'string' ? s.filter : '', regex: s?.regex === true };
})();

let current: { model: ViewHeader } | null = null;
/** Full name of the selected row (kept across reloads when the tensor still exists). */
let selectedName: string | null = null;
/** The filter toolbar's count and error (set from the host's answers). */
let filterUi: { count: HTMLElement; err: HTMLElement; field: HTMLElement } | null = null;
let nextRequestId = 1;
let pendingStats: { id: number; name: string } | null = null;
/** The values request of the tensor shown; an answer for another id (an earlier selection) is ignored. */
let pendingValues: { id: number; name: string } | null = null;
let probeState: ProbeState | null = null;
let probeElement: HTMLElement = h('section', { class: 'probe' });
const probeActions = {
  run: () => post({ type: 'runCommand', command: 'runProbe' }),
  cancel: () => post({ type: 'runCommand', command: 'cancelProbe' }),
  copyMarkdown: () => post({ type: 'runCommand', command: 'copyProbeMarkdown' }),
  runWithImages: () => post({ type: 'runCommand', command: 'runProbeWithImages' }),
};
/** The same bundle renders the comparison panel: it gets `compare` messages instead of `model`. */
let comparePanel: ComparePanelView | null = null;
let pendingHistogram: { id: number; key: string } | null = null;

/** The last finished report: a cancelled re-run keeps showing it. */
let lastProbe: Extract<ProbeState, { kind: 'done' }>['probe'] | null = null;

function setProbe(state: ProbeState): void {
  probeState = state;
  if (state.kind === 'done') lastProbe = state.probe;
  const next = probeSection(state, probeActions, lastProbe);
  probeElement.replaceWith(next);
  probeElement = next;
}

function showCompare(m: Extract<HostMessage, { type: 'compare' }>): void {
  if (!comparePanel) {
    current = null;
    comparePanel = new ComparePanelView({
      requestHistogram(key) {
        pendingHistogram = { id: nextRequestId++, key };
        post({ type: 'requestDiffHistogram', requestId: pendingHistogram.id, key });
      },
      copyMarkdown() {
        post({ type: 'runCommand', command: 'copyMarkdown' });
      },
    });
    clear(app);
    app.classList.add('compare-app');
    app.append(comparePanel.element);
  }
  comparePanel.show(m.state);
}

const details = new DetailsPane({
  requestStats(name) {
    pendingStats = { id: nextRequestId++, name };
    details.setStats({ kind: 'running', fraction: 0 });
    post({ type: 'requestStats', requestId: pendingStats.id, name });
  },
  requestValues(name) {
    pendingValues = { id: nextRequestId++, name };
    post({ type: 'requestValues', requestId: pendingValues.id, name });
  },
  copy(what, text) {
    post({ type: 'copy', what, text });
  },
});

const treeView = new TreeView(
  post,
  (row) => {
    if (!current) return;
    pendingStats = null;
    pendingValues = null;
    selectedName = row.view.tensor ? row.view.tensor.name : null;
    details.show(row.view, row.path);
    post({ type: 'selected', name: row.path });
  },
  () => (current?.model.fileCount ?? 1) > 1,
  (m, op: TreeOp) => {
    if (op.kind !== 'filter' && op.kind !== 'reveal') return;
    if (!filterUi) return;
    if (m.filterError !== null) {
      filterUi.err.textContent = m.filterError;
      filterUi.field.setAttribute('invalid', '');
      return;
    }
    filterUi.err.textContent = '';
    filterUi.field.removeAttribute('invalid');
    filterUi.count.textContent = m.matches !== null ? `${formatCount(m.matches)} match${m.matches === 1 ? '' : 'es'}` : '';
  },
);

// ---- states ---------------------------------------------------------------------------------

function showLoading(m: Extract<HostMessage, { type: 'loading' }>): void {
  // A reload keeps the current content visible under a thin progress line (no flashing).
  if (m.reason === 'reload' && current) {
    document.body.classList.add('reloading');
    return;
  }
  current = null;
  clear(app);
  app.append(h('div', { class: 'state loading', role: 'status' }, h('vscode-progress-ring', { 'aria-label': 'Loading' }), h('p', {}, `Reading ${m.title}…`)));
}

const FAILURE_TITLE = {
  deleted: 'The checkpoint file was deleted',
  truncated: 'The checkpoint file is truncated (or still being written)',
  unreadable: 'This file cannot be read as a checkpoint',
} as const;

function showFailure(m: Extract<HostMessage, { type: 'failure' }>): void {
  document.body.classList.remove('reloading');
  current = null;
  clear(app);
  app.append(
    h(
      'div',
      { class: `state failure failure-${m.state}`, role: 'alert' },
      h('h1', {}, FAILURE_TITLE[m.state]),
      h('p', { class: 'file' }, m.title),
      h('p', {}, h('code', {}, m.code), ': ', m.message),
      m.state === 'unreadable' ? null : h('p', { class: 'hint' }, 'The editor reloads automatically when the file changes on disk.'),
    ),
  );
}

function findingItem(f: Finding): HTMLElement {
  const icon = { error: '✖', warning: '⚠', info: 'ℹ' }[f.severity];
  const first = f.tensors?.[0];
  const reveal = first ? h('vscode-button', { secondary: true, class: 'reveal', title: `Show ${first}` }, 'Show') : null;
  reveal?.addEventListener('click', () => revealTensor(first!));
  return h(
    'li',
    { class: `finding sev-${f.severity}` },
    h('span', { class: 'sev', 'aria-label': f.severity }, icon),
    h(
      'div',
      { class: 'finding-text' },
      h('span', { class: 'msg' }, f.message),
      f.consequence ? h('span', { class: 'consequence' }, f.consequence) : null,
      ...(f.evidence ?? []).map((e) => h('span', { class: 'evidence' }, e)),
    ),
    codeChip(f),
    reveal,
  );
}

/** The finding's code: a link to its docs entry (the host opens it and selects what the finding is about). */
function codeChip(f: Finding): HTMLElement {
  const b = h('button', { type: 'button', class: 'code code-link', title: `${f.code}: ${f.help ? `${f.help} ` : ''}(click: open its docs entry — what it means, what to do)` }, h('code', {}, f.code));
  b.addEventListener('click', () => post({ type: 'openCode', code: f.code, tensor: f.tensors?.[0] ?? null }));
  return b;
}

function header(m: ViewHeader): HTMLElement {
  const family = m.family ? familyLabel(m.family, m.variant) : null;
  const chips: (string | null)[] = [
    m.format,
    `${plural(m.tensorCount, 'tensor')}${m.unreadableCount ? ` (+${formatCount(m.unreadableCount)} unreadable)` : ''}`,
    `${compactCount(m.parameterCount)} parameters`,
    formatBytes(m.byteCount),
    m.dtypes.map((d) => d.dtype).join(' · ') || null,
    m.fileCount > 1 ? `${m.fileCount} shards` : null,
  ];
  const targetBtn = h('vscode-button', { secondary: true, class: 'target-btn' }, m.target ? `Target: ${m.target}` : 'Set load target…');
  targetBtn.addEventListener('click', () => post({ type: 'runCommand', command: 'setLoadTarget' }));
  const probeBtn = h('vscode-button', { secondary: true, class: 'probe-btn', title: m.probeUnavailable ?? 'Run the zero-shot probe on this checkpoint', disabled: !!m.probeUnavailable }, 'Zero-shot probe');
  if (!m.probeUnavailable) probeBtn.addEventListener('click', () => probeActions.run());
  const entries = (cls: string, title: string, list: readonly (readonly [string, string])[] | undefined) =>
    list?.length
      ? h(
          'details',
          { class: `extras ${cls}` },
          h('summary', {}, `${title} (${list.length}): `, list.map(([k]) => displayName(k)).slice(0, 6).join(', '), list.length > 6 ? ', …' : ''),
          h('dl', {}, ...list.flatMap(([k, v]) => [h('dt', {}, displayName(k)), h('dd', {}, v)])),
        )
      : null;
  const extras = entries('other-entries', 'Other entries in the file', m.extras);
  const metadata = entries('metadata', 'Metadata', m.metadata);
  const checked = m.checking
    ? h('span', { class: 'chip chip-checking', title: `Checking: ${m.checking}` }, 'checking…')
    : m.notChecked
      ? h('span', { class: 'chip chip-not-checked', title: `Not checked: ${m.notChecked}` }, 'completeness not checked')
      : null;
  return h(
    'header',
    { class: 'summary' },
    h('div', { class: 'title-row' }, h('h1', { class: 'title', title: m.path }, family ?? m.title), family ? h('span', { class: 'subtitle' }, m.title) : null, probeBtn, targetBtn),
    h('div', { class: 'chips' }, ...chips.filter((c): c is string => !!c).map((c) => h('span', { class: 'chip' }, c)), checked),
    metadata,
    extras,
  );
}

function banner(m: ViewHeader): HTMLElement {
  if (m.checking) {
    // The first screen: the file's integrity problems so far, and honestly "checking…" (never ✓).
    const line = h('li', { class: 'finding sev-info checking' }, h('vscode-progress-ring', { class: 'sev', 'aria-label': 'checking' }), h('div', { class: 'finding-text' }, h('span', { class: 'msg' }, `Checking the model… ${m.checking.replace(/^checking the model: /, '')}.`)));
    const worst = m.findings[0]?.severity ?? 'info';
    return h('section', { class: `banner banner-${worst} banner-checking`, role: 'status', 'aria-label': 'Findings', 'aria-busy': 'true' }, h('ul', {}, ...m.findings.map(findingItem), line));
  }
  if (m.findings.length) {
    const worst = m.findings[0]!.severity;
    const notChecked = m.notChecked ? h('li', { class: 'finding sev-info not-checked' }, h('span', { class: 'sev', 'aria-label': 'not checked' }, '?'), h('div', { class: 'finding-text' }, h('span', { class: 'msg' }, `Not checked: ${m.notChecked}.`))) : null;
    return h('section', { class: `banner banner-${worst}`, role: worst === 'error' ? 'alert' : 'status', 'aria-label': 'Findings' }, h('ul', {}, ...m.findings.map(findingItem), notChecked), bannerActions());
  }
  if (m.notChecked) return h('section', { class: 'banner banner-info banner-not-checked', role: 'status' }, h('p', {}, `No integrity problems, but not checked: ${m.notChecked}. The tree shows tensor names only.`), bannerActions());
  return h('section', { class: 'banner banner-ok', role: 'status' }, h('p', {}, '✔ No findings: every tensor the target expects is present with the right shape.'), bannerActions());
}

function bannerActions(): HTMLElement {
  const copy = h('vscode-button', { secondary: true, class: 'copy-markdown', title: 'Copy the findings as Markdown (for an issue, a PR or a model card)' }, 'Copy as Markdown');
  copy.addEventListener('click', () => post({ type: 'runCommand', command: 'copyMarkdown' }));
  const compare = h('vscode-button', { secondary: true, class: 'compare-with', title: 'Compare this checkpoint with another one (an open checkpoint or a file)' }, 'Compare With…');
  compare.addEventListener('click', () => post({ type: 'runCommand', command: 'compareWith' }));
  return h('div', { class: 'banner-actions' }, copy, compare);
}

function toolbar(): HTMLElement {
  const filter = h('vscode-textfield', { class: 'filter', placeholder: 'Filter names, dtypes, shapes', 'aria-label': 'Filter tensors' }) as HTMLElement & { value: string };
  filter.value = saved.filter;
  const regex = h('vscode-checkbox', { class: 'regex', label: 'Regex', title: 'Treat the filter as a regular expression' }) as HTMLElement & { checked: boolean };
  regex.checked = saved.regex;
  const count = h('span', { class: 'count', 'aria-live': 'polite' });
  const err = h('span', { class: 'filter-error', role: 'alert' });
  const expand = h('vscode-button', { secondary: true, title: 'Expand all' }, 'Expand all');
  const collapse = h('vscode-button', { secondary: true, title: 'Collapse all' }, 'Collapse all');
  let timer = 0;
  const apply = () => {
    saved.filter = filter.value ?? '';
    saved.regex = !!regex.checked;
    vscode.setState(saved);
    // The host filters (it holds the tree) and answers with the count, or the regex's error.
    treeView.op({ kind: 'filter', text: saved.filter, regex: saved.regex });
  };
  filterUi = { count, err, field: filter };
  filter.addEventListener('input', () => {
    clearTimeout(timer);
    // Short debounce: filtering 100k names takes a few ms on the host, typing fast should not queue them.
    timer = window.setTimeout(apply, 60);
  });
  filter.addEventListener('keydown', (e: KeyboardEvent) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      treeView.element.focus();
    }
  });
  regex.addEventListener('change', apply);
  expand.addEventListener('click', () => treeView.op({ kind: 'expandAll' }));
  collapse.addEventListener('click', () => treeView.op({ kind: 'collapseAll' }));
  if (saved.filter) queueMicrotask(apply);
  return h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': 'Tree tools' }, filter, regex, expand, collapse, count, err);
}

function showModel(msg: Extract<HostMessage, { type: 'model' }>): void {
  const m = msg.model;
  document.body.classList.remove('reloading');
  // The analysis finished without changing a row: the tree shown stays (rows, scroll, selection, filter).
  const keepTree = msg.keepTree === true && current !== null;
  // Keep the selection across reloads when the tensor still exists.
  const previous = current ? selectedName : null;
  const scrollTop = treeView.element.scrollTop;
  current = { model: m };
  if (!keepTree) selectedName = null;
  clear(app);
  const columns = h(
    'div',
    { class: 'columns', 'aria-hidden': 'true' },
    h('span', { class: 'name' }, 'Name'),
    h('span', { class: 'col dtype' }, 'dtype'),
    h('span', { class: 'col shape' }, 'shape'),
    h('span', { class: 'col num params' }, 'params'),
    h('span', { class: 'col num bytes' }, 'bytes'),
    h('span', { class: 'col shard' }, 'shard'),
  );
  probeElement = probeSection(probeState, probeActions, lastProbe);
  const pane = h('div', { class: 'tree-pane' }, columns, treeView.element);
  pane.style.setProperty('--shape-w', `${Math.min(28, Math.max(9, m.shapeChars + 1))}ch`);
  app.append(header(m), banner(m), probeElement, toolbar(), h('div', { class: `main${m.fileCount > 1 ? '' : ' no-shard'}` }, pane, details.element));
  if (keepTree) {
    treeView.element.scrollTop = scrollTop;
    treeView.render();
    return;
  }
  // The first window of rows comes with the model; without it, the first render asks the host.
  treeView.reset(true, msg.rows);
  details.show(null, '');
  if (previous) revealTensor(previous);
}

function revealTensor(name: string): void {
  if (!current) return;
  treeView.reveal(name);
}

window.addEventListener('message', (e: MessageEvent) => {
  const m = parseHostMessage(e.data);
  if (!m) {
    console.warn('Checkpoint Lens: ignored a malformed message');
    return;
  }
  switch (m.type) {
    case 'loading':
      return showLoading(m);
    case 'failure':
      return showFailure(m);
    case 'model':
      return showModel(m);
    case 'rows':
      return treeView.receive(m);
    case 'reveal':
      return revealTensor(m.name);
    case 'statsProgress':
      if (pendingStats?.id === m.requestId) details.setStats({ kind: 'running', fraction: m.fraction });
      return;
    case 'stats':
      if (pendingStats?.id === m.requestId) details.setStats({ kind: 'done', stats: m.stats });
      return;
    case 'statsError':
      if (pendingStats?.id === m.requestId) details.setStats({ kind: 'error', code: m.code, message: m.message });
      return;
    case 'values':
      if (pendingValues?.id === m.requestId) details.setValues({ kind: 'done', values: m.values });
      return;
    case 'valuesError':
      if (pendingValues?.id === m.requestId) details.setValues({ kind: 'error', code: m.code, message: m.message });
      return;
    case 'probe':
      return setProbe(m.state);
    case 'compare':
      return showCompare(m);
    case 'diffHistogram':
      if (pendingHistogram?.id === m.requestId) comparePanel?.setHistogram({ kind: 'done', histogram: m.histogram });
      return;
    case 'diffHistogramError':
      if (pendingHistogram?.id === m.requestId) comparePanel?.setHistogram({ kind: 'error', key: pendingHistogram.key, code: m.code, message: m.message });
      return;
  }
});

post({ type: 'ready' });
