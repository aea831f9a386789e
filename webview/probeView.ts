/**
 * The zero-shot probe section of the checkpoint editor: progress with Cancel, then the report —
 * verdict, top-1/top-5 against chance, random-initialised towers, provider and timings, and a
 * per-class accuracy chart (SVG bars). Everything from the report is set as text.
 */
import type { ProbeState, ProbeView } from '../src/shared/jobViews.js';
import { h } from './dom.js';
import { s } from './svg.js';
import { visibleText } from '../src/shared/text.js';

export interface ProbeActions {
  run(): void;
  cancel(): void;
  /** Copy the report as Markdown (the host renders it from its copy of the report). */
  copyMarkdown?(): void;
  /** Run again on a folder of the user's own images (asks for it). */
  runWithImages?(): void;
}

const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number | null) => (x === null ? '—' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const pValue = (p: number | null) => (p === null ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));

const VERDICT_TITLE = { aligned: '✔ Aligned', weak: '⚠ Weakly above chance', 'at-chance': '✖ At chance', 'no-labels': 'ℹ No labels' } as const;

/** Per-class accuracy as horizontal bars, with the chance level as a dashed line. */
export function accuracyChart(p: ProbeView): SVGElement {
  const rowH = 16;
  const labelW = 230;
  const barW = 260;
  const width = labelW + barW + 60;
  const height = p.perClass.length * rowH + 18;
  const svg = s('svg', { class: 'accuracy-chart', width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Per-class top-1 accuracy of ${p.perClass.length} classes` });
  p.perClass.forEach((c, i) => {
    const y = i * rowH;
    const label = c.label.length > 36 ? `${c.label.slice(0, 35)}…` : c.label;
    const g = s(
      'g',
      { class: `class-row${c.correct ? '' : ' zero'}` },
      s('title', {}, `${c.label}: ${c.correct} / ${c.images} correct (${pct(c.accuracy)})`),
      s('text', { x: labelW - 6, y: y + rowH - 4, 'text-anchor': 'end', class: 'class-label' }, label),
      s('rect', { x: labelW, y: y + 2, width: barW, height: rowH - 4, class: 'bar-bg' }),
      s('rect', { x: labelW, y: y + 2, width: Math.max(c.accuracy > 0 ? 1 : 0, c.accuracy * barW), height: rowH - 4, class: 'bar' }),
      s('text', { x: labelW + barW + 6, y: y + rowH - 4, class: 'class-value' }, `${c.correct}/${c.images}`),
    );
    svg.append(g);
  });
  if (p.chance !== null) {
    const x = labelW + p.chance * barW;
    svg.append(
      s('line', { x1: x, x2: x, y1: 0, y2: p.perClass.length * rowH, class: 'chance-line' }),
      s('text', { x, y: height - 4, 'text-anchor': 'middle', class: 'chance-label' }, `chance ${pct(p.chance)}`),
    );
  }
  return svg;
}

function report(p: ProbeView, actions: ProbeActions): HTMLElement {
  const rerun = h('vscode-button', { secondary: true, class: 'probe-rerun' }, 'Run again');
  rerun.addEventListener('click', () => actions.run());
  const mine = actions.runWithImages ? h('vscode-button', { secondary: true, class: 'probe-images', title: 'Run the probe on a folder of your own images (one sub-folder per class), with an optional labels file' }, 'My Images…') : null;
  mine?.addEventListener('click', () => actions.runWithImages?.());
  const copy = actions.copyMarkdown ? h('vscode-button', { secondary: true, class: 'probe-copy-markdown', title: 'Copy the probe report as Markdown (for an issue, a PR or a model card)' }, 'Copy as Markdown') : null;
  copy?.addEventListener('click', () => actions.copyMarkdown?.());
  const random = p.randomInitialized.length
    ? h(
        'p',
        { class: 'probe-random' },
        'Random-initialised for the run (absent from the file): ',
        ...p.randomInitialized.flatMap((r, i) => [i ? ', ' : '', h('strong', {}, r.tower === 'shared' ? 'shared parameters (logit_scale)' : r.tower === 'projections' ? 'projections' : r.whole ? `${r.tower} tower` : r.tower), ` (${r.count} tensor${r.count === 1 ? '' : 's'}${r.whole || r.tower === 'projections' ? '' : ', partly'})`]),
      )
    : null;
  const attempts = h(
    'ul',
    { class: 'probe-attempts' },
    ...p.attempts.map((a) => h('li', { class: `attempt-${a.outcome}` }, h('code', {}, a.provider), ` ${a.outcome}`, a.reason ? ` — ${a.reason}` : '')),
  );
  return h(
    'div',
    { class: 'probe-report' },
    h(
      'div',
      { class: 'probe-head' },
      h('h2', { class: `probe-verdict verdict-${p.verdict.code}` }, VERDICT_TITLE[p.verdict.code]),
      h('span', { class: 'chip' }, `top-1 ${pct(p.top1)}`),
      h('span', { class: 'chip' }, `top-5 ${pct(p.top5)}`),
      h('span', { class: 'chip' }, `chance ${pct(p.chance)}`),
      h('span', { class: 'chip' }, `p = ${pValue(p.pValue)}`),
      h('span', { class: 'chip probe-set', title: `Probe set: ${visibleText(p.probeSet)}` }, `${p.images} images, ${p.classes} classes`),
      rerun,
      mine,
      copy,
    ),
    h('p', { class: 'probe-verdict-text' }, p.verdict.text),
    h('p', { class: 'probe-set-name' }, `Probe set: ${visibleText(p.probeSet)} — ${p.images} image${p.images === 1 ? '' : 's'}, ${p.classes} class${p.classes === 1 ? '' : 'es'}.`),
    random,
    h(
      'p',
      { class: 'probe-meta' },
      `Provider ${p.provider} · build ${ms(p.timings.buildMs)} · session ${ms(p.timings.sessionCreateMs)} · ${ms(p.timings.perImageMs)} per image · total ${ms(p.timings.totalMs)} · weights ${p.weightsAccess}`,
    ),
    h('details', { class: 'probe-details' }, h('summary', {}, 'Model, tokenizer and providers'), h('p', {}, p.model), h('p', {}, `Tokenizer: ${p.tokenizer}`), attempts),
    p.perClass.length ? h('div', { class: 'probe-chart' }, accuracyChart(p)) : null,
  );
}

/**
 * Renders the probe state into a fresh section element (null state: nothing). The report is
 * collapsible and can be closed; a cancelled run says so and keeps the previous report.
 */
export function probeSection(state: ProbeState | null, actions: ProbeActions, previous: ProbeView | null = null): HTMLElement {
  const section = h('section', { class: 'probe', 'aria-label': 'Zero-shot probe' });
  if (state === null) return section;
  const close = () => {
    const b = h('vscode-button', { secondary: true, class: 'probe-close', title: 'Close the probe report (run it again from the header)' }, 'Close');
    b.addEventListener('click', () => section.replaceChildren());
    return b;
  };
  const boxed = (p: ProbeView, note: string | null) => {
    const d = h('details', { class: 'probe-box', open: true }, h('summary', {}, note ?? `Zero-shot probe: ${VERDICT_TITLE[p.verdict.code]}, top-1 ${pct(p.top1)} (chance ${pct(p.chance)})`), report(p, actions));
    return h('div', { class: 'probe-wrap' }, d, close());
  };
  if (state.kind === 'cancelled') {
    section.append(h('p', { class: 'probe-cancelled', role: 'status' }, previous ? 'Zero-shot probe cancelled; the previous result is kept below.' : 'Zero-shot probe cancelled.'));
    if (previous) section.append(boxed(previous, 'Previous result (before the cancelled run)'));
    return section;
  }
  if (state.kind === 'running') {
    const cancel = h('vscode-button', { secondary: true, class: 'probe-cancel' }, 'Cancel');
    cancel.addEventListener('click', () => actions.cancel());
    section.append(
      h(
        'div',
        { class: 'probe-running', role: 'status' },
        h('vscode-progress-ring', { 'aria-label': 'Probe running' }),
        h('span', {}, `Zero-shot probe: ${state.message} (${Math.round(state.fraction * 100)} %)`),
        cancel,
      ),
    );
    return section;
  }
  if (state.kind === 'error') {
    section.append(h('div', { class: 'probe-error', role: 'alert' }, h('strong', {}, 'Zero-shot probe failed: '), h('code', {}, state.code), ': ', state.message), close());
    return section;
  }
  section.append(boxed(state.probe, null));
  return section;
}
