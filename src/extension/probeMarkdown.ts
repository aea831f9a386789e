/**
 * The editor's zero-shot probe report as Markdown (Copy as Markdown on the report, like the
 * findings and the comparison): verdict, scores against chance, random-initialised towers, the
 * model line, provider and timings, and a per-class table. Labels and names come from the user's
 * files: they go through markdownText / markdownCode (escaped, invisible characters visible).
 * Pure: unit-tested.
 */
import type { ProbeView } from '../shared/jobViews.js';
import { markdownCode, markdownText } from '../shared/text.js';

const VERDICT = { aligned: '✅ Aligned', weak: '⚠️ Weakly above chance', 'at-chance': '❌ At chance', 'no-labels': 'ℹ️ No labels' } as const;
const pct = (x: number | null) => (x === null ? '—' : `${(x * 100).toFixed(1)} %`);
const ms = (x: number | null) => (x === null ? '—' : x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${Math.round(x)} ms`);
const pValue = (p: number | null) => (p === null ? '—' : p < 1e-4 ? p.toExponential(1) : p.toFixed(4).replace(/0+$/, '').replace(/\.$/, ''));
/** A table cell: markdownText escapes `|` too, so a label cannot end its cell. */
const cell = (s: string) => markdownText(s);

export function probeMarkdown(p: ProbeView): string {
  const out: string[] = [];
  out.push(`### Zero-shot probe: ${markdownCode(p.title)}`, '');
  out.push(`**${VERDICT[p.verdict.code]}** — ${markdownText(p.verdict.text)}`, '');
  if (p.top1 !== null) out.push(`- top-1 ${pct(p.top1)}, top-5 ${pct(p.top5)}, chance ${pct(p.chance)}, p = ${pValue(p.pValue)}`);
  out.push(`- probe set: ${markdownText(p.probeSet)}: ${p.images} image${p.images === 1 ? '' : 's'}, ${p.classes} class${p.classes === 1 ? '' : 'es'}`);
  for (const r of p.randomInitialized) {
    const what = r.tower === 'shared' ? 'shared parameters (logit_scale / logit_bias)' : r.tower === 'projections' ? 'projections' : r.whole ? `the whole ${r.tower} tower` : `part of the ${r.tower} tower`;
    out.push(`- random-initialised for the run (absent from the file): ${markdownText(what)} (${r.count} tensor${r.count === 1 ? '' : 's'})`);
  }
  out.push(`- model: ${markdownText(p.model)}`);
  out.push(`- tokenizer: ${markdownText(p.tokenizer)}`);
  out.push(`- provider ${markdownCode(p.provider)}; build ${ms(p.timings.buildMs)}, session ${ms(p.timings.sessionCreateMs)}, ${ms(p.timings.perImageMs)} per image, total ${ms(p.timings.totalMs)}; weights ${markdownText(p.weightsAccess)}`);
  for (const a of p.attempts.filter((x) => x.outcome !== 'used')) out.push(`  - ${markdownCode(a.provider)} ${a.outcome}${a.reason ? `: ${markdownText(a.reason)}` : ''}`);
  if (p.perClass.length) {
    out.push('', '| class | correct | images | accuracy |', '| --- | ---: | ---: | ---: |');
    for (const c of p.perClass) out.push(`| ${cell(c.label)} | ${c.correct} | ${c.images} | ${pct(c.accuracy)} |`);
  }
  return `${out.join('\n')}\n`;
}
