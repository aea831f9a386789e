/**
 * Builds the webview views of a probe report and a comparison report (src/shared/jobViews.ts).
 * Runs in the worker: pure functions, no `vscode`, so the unit tests cover them directly.
 */
import type { CompareReport, PairResult } from '../compare/types.js';
import type { ProbeReport } from '../probe/report.js';
import { towerOfCanonical } from '../layouts/towers.js';
import { MAX_CLASSES, MAX_UNMATCHED, MAX_WORST, type ComparePairView, type CompareView, type ProbeView } from '../shared/jobViews.js';

/**
 * The random-initialised tensors grouped as the editor's tree groups them (the analysis' towers:
 * vision, text, projections), so the probe's "text tower (N tensors)" counts what the tree's text
 * tower counts. The probe itself groups by the module a tensor feeds (text_projection in the text
 * tower, logit_scale shared): 149 vs the tree's 148 for a ViT-B text tower.
 */
export function randomByTreeTower(groups: ProbeReport['randomInitialized']): ProbeView['randomInitialized'] {
  const out: { tower: string; whole: boolean; count: number }[] = [];
  const add = (tower: string, whole: boolean) => {
    let e = out.find((x) => x.tower === tower);
    if (!e) out.push((e = { tower, whole, count: 0 }));
    e.count++;
  };
  for (const g of groups) {
    for (const name of g.tensors) {
      // SigLIP's probe names are open_clip's: the text tower under `text.` (its projection is a projection, as in the tree).
      const t = towerOfCanonical(name.startsWith('text.') ? name.slice(5) : name);
      // A tower is whole in the tree's sense when the probe's tower is whole (its projection aside).
      if (t === 'projection') add('projections', false);
      else add(t === 'vision' || t === 'text' ? t : g.tower, g.whole);
    }
  }
  const order = ['vision', 'text', 'projections'];
  return out.sort((a, b) => (order.indexOf(a.tower) + 1 || 9) - (order.indexOf(b.tower) + 1 || 9)).slice(0, 16);
}

const cut = (s: string, n = 2000) => (s.length > n ? `${s.slice(0, n)}…` : s);
const finiteOrNull = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function toProbeView(r: ProbeReport, title: string): ProbeView {
  const m = r.model;
  return {
    title,
    verdict: { code: r.verdict.code, text: cut(r.verdict.text) },
    top1: finiteOrNull(r.top1),
    top5: finiteOrNull(r.top5),
    chance: finiteOrNull(r.chance),
    pValue: finiteOrNull(r.pValue),
    images: r.images,
    classes: r.classes,
    probeSet: cut(r.probeSetName, 500),
    perClass: r.perClass.slice(0, MAX_CLASSES).map((c) => ({ label: cut(c.label, 200), images: c.images, correct: c.correct, accuracy: Math.min(1, Math.max(0, c.accuracy || 0)) })),
    provider: r.provider,
    attempts: r.providerAttempts.slice(0, 16).map((a) => ({ provider: a.provider, outcome: a.outcome, reason: a.reason === undefined ? null : cut(a.reason, 500) })),
    randomInitialized: randomByTreeTower(r.randomInitialized),
    timings: {
      buildMs: r.timings.buildMs,
      sessionCreateMs: r.timings.sessionCreateMs,
      perImageMs: finiteOrNull(r.timings.perImageMs),
      totalMs: r.timings.totalMs,
    },
    model:
      `${r.family}: image ${m.imageSize}px, vision ${m.vision.architecture === 'resnet' ? `ResNet width ${m.vision.width}, blocks [${(m.vision.stages ?? []).join(', ')}] (attention pool ${m.vision.heads} heads)` : `${m.vision.width}w × ${m.vision.layers} layers (${m.vision.heads} heads, patch ${m.vision.patch}${m.vision.architecture === 'siglip' ? ', MAP head' : ''})`}, ` +
      `text ${m.text.width}w × ${m.text.layers} layers (${m.text.heads} heads, ${m.text.contextLength} tokens), embed ${m.embedDim}, ` +
      `${m.activation} (${m.activationSource}), pooling ${m.pooling}, ${m.scoring === 'sigmoid' ? 'sigmoid scoring (SigLIP)' : 'softmax scoring'}${m.namedConfig ? `, config ${m.namedConfig}` : ''}; preprocessing ${r.preprocess}`,
    tokenizer: cut(r.tokenizer, 500),
    weightsAccess: r.weightsAccess,
  };
}

const UNBINNABLE = new Set(['shape-mismatch', 'unreadable']);

function pairView(p: PairResult): ComparePairView {
  return {
    key: p.key,
    tower: p.tower,
    status: p.status,
    shape: p.shape.slice(0, 64),
    aNames: p.a.names.slice(0, 16),
    bNames: p.b.names.slice(0, 16),
    aDtype: p.a.dtype,
    bDtype: p.b.dtype,
    maxAbs: finiteOrNull(p.stats?.maxAbs),
    relRms: finiteOrNull(p.stats?.relRms),
    cosine: finiteOrNull(p.stats?.cosine),
    mismatched: p.stats ? p.stats.mismatched : null,
    notes: p.notes.slice(0, 32).map((n) => cut(n, 1000)),
    histogram: !UNBINNABLE.has(p.status),
  };
}

export interface SideLabels {
  readonly a: string;
  readonly b: string;
}

/**
 * The comparison view: the verdict, per-tower counts, the worst pairs (with their stats) and a
 * bounded list of unmatched tensors. When nothing differs, the worst list shows the first pairs
 * so the histogram of a pair can still be opened.
 */
export function toCompareView(r: CompareReport, labels: SideLabels): CompareView {
  const byKey = new Map(r.pairs.map((p) => [p.key, p]));
  let worst = r.worst.map((k) => byKey.get(k)).filter((p): p is PairResult => !!p);
  if (!worst.length) worst = r.pairs.slice(0, MAX_WORST);
  const side = (s: CompareReport['a'], label: string) => ({ label, path: s.path, format: s.format, layout: s.layout ?? null, tensors: s.tensors, parameters: s.parameters, bytes: s.bytes });
  const unmatched = (u: CompareReport['onlyA']) => u.slice(0, MAX_UNMATCHED).map((t) => ({ name: t.name, tower: t.tower, dtype: t.dtype, shape: t.shape.slice(0, 64), harmless: !!t.harmless }));
  const c = r.counts;
  return {
    equivalent: r.verdict.equivalent,
    parts: r.verdict.parts.slice(0, 10_000),
    a: side(r.a, labels.a),
    b: side(r.b, labels.b),
    matching: r.matching,
    counts: { matched: c.matched, identical: c.identical, equal: c.equal, close: c.close, different: c.different, shapeMismatch: c.shapeMismatch, unreadable: c.unreadable, onlyA: c.onlyA, onlyB: c.onlyB },
    towers: r.towers.map((t) => ({
      tower: t.tower,
      matched: t.matched,
      identical: t.identical,
      equal: t.equal,
      close: t.close,
      different: t.different,
      shapeMismatch: t.shapeMismatch,
      unreadable: t.unreadable,
      onlyA: t.onlyA.length,
      onlyB: t.onlyB.length,
      allowed: t.allowed,
      meaning: t.meaning ?? null,
    })),
    worst: worst.slice(0, MAX_WORST).map(pairView),
    onlyA: unmatched(r.onlyA),
    onlyB: unmatched(r.onlyB),
    notes: r.notes.slice(0, 1000).map((n) => cut(n, 2000)),
    seconds: r.timing.seconds,
  };
}
