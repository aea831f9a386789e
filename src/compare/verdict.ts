import type { CompareReport, PairResult, TowerSummary } from './types.js';

/** Layout families as users name them. */
export function layoutLabel(layout: string | undefined): string {
  switch (layout) {
    case 'openai-clip':
      return 'OpenAI/open_clip';
    case 'openclip-custom-text':
      return 'open_clip custom-text';
    case 'openclip-timm':
      return 'open_clip (timm trunk)';
    case 'openclip-coca':
      return 'open_clip CoCa';
    case 'hf-clip':
      return 'transformers CLIP';
    case 'hf-siglip':
      return 'transformers SigLIP';
    case 'timm-vit':
      return 'timm';
    default:
      return layout ?? 'unknown';
  }
}

function list(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

const TOWER_WORD: Record<string, string> = { vision: 'vision tower', text: 'text tower', decoder: 'multimodal decoder', audio: 'audio tower' };
/** Towers whose drops are named tensor by tensor when few (projection: visual.proj, logit_scale, ...). */
const NAMED_TOWERS = new Set(['projection', 'other']);

function fmt(x: number): string {
  return x === 0 ? '0' : Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

const OPEN = '\uE000';
const CLOSE = '\uE001';
/** Marks a tensor name inside the sentence so renderers can set it as code (never as prose). */
function nm(name: string): string {
  return OPEN + name.replace(/[\uE000\uE001]/g, '\uFFFD') + CLOSE;
}

export type VerdictPart = { readonly text: string } | { readonly name: string };

/** Splits a marked sentence into prose and tensor names; `plain` is the sentence without marks. */
export function verdictParts(marked: string): { plain: string; parts: VerdictPart[] } {
  const parts: VerdictPart[] = [];
  const re = /\uE000([^\uE001]*)\uE001/g;
  let last = 0;
  for (let m = re.exec(marked); m; m = re.exec(marked)) {
    if (m.index > last) parts.push({ text: marked.slice(last, m.index) });
    parts.push({ name: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < marked.length) parts.push({ text: marked.slice(last) });
  return { plain: parts.map((p) => ('text' in p ? p.text : p.name)).join(''), parts };
}

/**
 * The one-sentence verdict at the top of every rendering, e.g. "B is A's vision tower converted
 * to timm layout, values identical; text tower and logit_scale dropped." Tensor names in it are
 * marked (see `verdictParts`) so the Markdown renderer can put them in code spans: as prose, a
 * hostile name could @-mention people or form links on GitHub.
 */
export function verdictSentence(r: Omit<CompareReport, 'verdict'>, equivalent: boolean): string {
  const c = r.counts;
  const weights = r.towers.filter((t) => t.tower !== 'buffers');
  if (c.matched === 0) {
    return `A and B share no tensors${r.matching === 'name' ? ' by name (try --map auto if they use different layouts)' : ''}: ${c.onlyA} only in A, ${c.onlyB} only in B.`;
  }
  const wholeDropped = weights.filter((t) => t.matched === 0 && t.onlyA.length > 0);
  const kept = weights.filter((t) => t.matched > 0 && TOWER_WORD[t.tower]).map((t) => t.tower);
  const subject = wholeDropped.length && kept.length ? `B is A's ${list(kept.map((t) => TOWER_WORD[t]!))}`.replace(/ tower and (\w+) tower$/, ' and $1 towers') : 'B is A';

  const conv: string[] = [];
  if (r.matching === 'canonical' && r.a.layout !== r.b.layout) conv.push(`converted to ${layoutLabel(r.b.layout)} layout`);
  const casts = new Map<string, number>();
  for (const p of r.pairs) if (p.a.dtype !== p.b.dtype) casts.set(`${p.a.dtype} → ${p.b.dtype}`, (casts.get(`${p.a.dtype} → ${p.b.dtype}`) ?? 0) + 1);
  if (casts.size) conv.push(`cast ${list([...casts.keys()].slice(0, 2))}${casts.size > 2 ? ' (and more)' : ''}`);

  const values = valuesPhrase(r);
  const drops = dropsPhrase(weights, r);
  // Most paired tensors differ: B is not A (whatever the layout), so never say "B is A converted".
  const changed = c.different + c.shapeMismatch;
  if (changed > 0 && changed * 2 >= c.matched) {
    const layout = r.matching === 'canonical' && r.a.layout !== r.b.layout ? ` (B uses the ${layoutLabel(r.b.layout)} layout; tensors were paired across layouts)` : '';
    return `B holds different weights from A${layout}: ${values}${drops ? '; ' + drops : ''}.`;
  }
  if (subject === 'B is A' && !conv.length && !drops && equivalent && c.identical === c.matched) {
    return `B is identical to A: all ${c.matched} tensors byte-identical.`;
  }
  return `${subject}${conv.length ? ' ' + conv.join(' and ') : ''}, ${values}${drops ? '; ' + drops : ''}.`;
}

function valuesPhrase(r: Omit<CompareReport, 'verdict'>): string {
  const c = r.counts;
  const bad: string[] = [];
  if (c.different) {
    const worst = r.pairs.find((p) => p.key === r.worst.find((k) => r.pairs.find((q) => q.key === k)?.status === 'different'));
    bad.push(`${c.different} of ${c.matched} tensors differ beyond tolerance${worst ? `, worst ${nm(worst.key)}${worstStats(worst)}` : ''}`);
  }
  if (c.shapeMismatch) bad.push(`${c.shapeMismatch} changed shape`);
  if (c.unreadable) bad.push(`${c.unreadable} could not be read`);
  if (bad.length) return bad.join(', ');
  // `equal` (every value equal after a transpose or an exact upcast) reads as identical too.
  if (c.close === 0) return 'values identical';
  const maxRel = Math.max(...r.pairs.filter((p) => p.status === 'close').map((p) => p.stats?.maxRel ?? 0));
  return `values equal within tolerance (${c.close} tensors rounded, max relative diff ${fmt(maxRel)})`;
}

function worstStats(p: PairResult): string {
  return p.stats ? ` (max abs diff ${fmt(p.stats.maxAbs)})` : '';
}

function dropsPhrase(weights: readonly TowerSummary[], r: Omit<CompareReport, 'verdict'>): string {
  const dropped: string[] = [];
  const added: string[] = [];
  const harmlessNames = new Set(r.onlyB.filter((u) => u.harmless).map((u) => u.name));
  for (const t of weights) {
    if (t.onlyA.length) {
      if (NAMED_TOWERS.has(t.tower) ? t.onlyA.length <= 3 : t.onlyA.length <= 2) dropped.push(...(t.matched === 0 && TOWER_WORD[t.tower] ? [TOWER_WORD[t.tower]!] : t.onlyA.map(nm)));
      else dropped.push(t.matched === 0 && TOWER_WORD[t.tower] ? TOWER_WORD[t.tower]! : `${t.onlyA.length} ${t.tower} tensors`);
    }
    const harmful = t.onlyB.filter((n) => !harmlessNames.has(n));
    const harmless = t.onlyB.filter((n) => harmlessNames.has(n));
    const few = NAMED_TOWERS.has(t.tower) ? 3 : 2;
    if (harmful.length) {
      if (t.matched === 0 && TOWER_WORD[t.tower] && !t.onlyA.length) added.push(TOWER_WORD[t.tower]!);
      else if (harmful.length <= few) added.push(...harmful.map(nm));
      else added.push(`${harmful.length} ${t.tower} tensors`);
    }
    if (harmless.length) added.push(harmless.length <= few ? `all-zero ${list(harmless.map(nm))}` : `${harmless.length} all-zero ${t.tower} biases`);
  }
  const parts: string[] = [];
  if (dropped.length) parts.push(`${list(dropped)} dropped`);
  if (added.length) parts.push(`${list(added)} added`);
  return parts.join('; ');
}
