import { plural } from '../shared/text.js';
import type { ProviderAttempt, ProviderName } from './providers.js';

/**
 * The probe report: the stable JSON of `probe --json` and what the editor renders.
 * Accuracy fields are null when there are no labels (`--inputs`).
 */
export interface ClassResult {
  readonly label: string;
  readonly images: number;
  readonly correct: number;
  readonly accuracy: number;
}

export type VerdictCode = 'aligned' | 'weak' | 'at-chance' | 'no-labels';

export interface ProbeReport {
  readonly schemaVersion: 1;
  readonly path: string;
  readonly probeSet: 'builtin' | 'images' | 'inputs';
  /**
   * The image set in words: the built-in set's name, or the user's folder (and where its labels
   * came from), or the `--inputs` tensors. With `images` and `classes`, what the scores are about.
   */
  readonly probeSetName: string;
  readonly family: string;
  readonly model: {
    readonly imageSize: number;
    readonly embedDim: number;
    /** ResNet: `layers` = all Bottleneck blocks, `stages` per stage, `patch` = the output stride (32), `heads` of the attention pool. */
    /** `siglip`: a timm ViT without class token + MAP attention-pool head (its output is the image embedding). */
    readonly vision: { readonly architecture: 'vit' | 'resnet' | 'siglip'; readonly width: number; readonly layers: number; readonly heads: number; readonly patch: number; readonly stages?: readonly number[] };
    readonly text: { readonly width: number; readonly layers: number; readonly heads: number; readonly contextLength: number };
    readonly activation: string;
    readonly activationSource: string;
    readonly pooling: string;
    /**
     * `softmax` (CLIP: the labels compete, logits = exp(logit_scale)·cos) or `sigmoid` (SigLIP:
     * every image/label pair scored on its own, sigmoid(exp(logit_scale)·cos + logit_bias)). Top-1
     * is the label with the highest logit either way.
     */
    readonly scoring: 'softmax' | 'sigmoid';
    /** open_clip config used for head counts / missing towers (`--target`, or matched from shapes). */
    readonly namedConfig: string | null;
  };
  readonly images: number;
  readonly classes: number;
  readonly top1: number | null;
  readonly top5: number | null;
  readonly chance: number | null;
  /** One-sided binomial p-value of the top-1 count under chance (small = clearly above chance). */
  readonly pValue: number | null;
  readonly perClass: readonly ClassResult[];
  /** confusion[i][j] = images of class i predicted as class j. */
  readonly confusion: readonly (readonly number[])[];
  readonly provider: ProviderName;
  readonly providerAttempts: readonly ProviderAttempt[];
  readonly weightsAccess: 'hard-link' | 'memory' | 'mixed';
  readonly randomInitialized: readonly { readonly tower: string; readonly whole: boolean; readonly count: number; readonly tensors: readonly string[] }[];
  readonly unmappedTensors: number;
  readonly tokenizer: string;
  /** The image preprocessing used, in one line (e.g. `open_clip SigLIP: resize to S×S (squash, no crop), bicubic …`). */
  readonly preprocess: string;
  readonly timings: { readonly buildMs: number; readonly sessionCreateMs: number; readonly perImageMs: number | null; readonly totalMs: number };
  readonly verdict: { readonly code: VerdictCode; readonly text: string };
}

export interface Scored {
  readonly top1: number;
  readonly top5: number;
  readonly chance: number;
  readonly pValue: number;
  readonly perClass: ClassResult[];
  readonly confusion: number[][];
}

/** Scores logits [n, classes] against true class indices. */
export function score(logits: Float32Array, truth: readonly number[], labels: readonly string[]): Scored {
  const C = labels.length;
  const n = truth.length;
  const confusion = labels.map(() => new Array<number>(C).fill(0));
  const correct = new Array<number>(C).fill(0);
  const seen = new Array<number>(C).fill(0);
  let hit1 = 0;
  let hit5 = 0;
  for (let i = 0; i < n; i++) {
    const row = logits.subarray(i * C, (i + 1) * C);
    const order = [...row.keys()].sort((a, b) => row[b]! - row[a]! || a - b);
    const t = truth[i]!;
    seen[t]!++;
    confusion[t]![order[0]!]!++;
    if (order[0] === t) {
      hit1++;
      correct[t]!++;
    }
    if (order.slice(0, 5).includes(t)) hit5++;
  }
  const chance = 1 / C;
  return {
    top1: hit1 / n,
    top5: hit5 / n,
    chance,
    pValue: binomialTail(hit1, n, chance),
    perClass: labels.map((label, c) => ({ label, images: seen[c]!, correct: correct[c]!, accuracy: seen[c]! ? correct[c]! / seen[c]! : 0 })),
    confusion,
  };
}

/** P(X ≥ k) for X ~ Binomial(n, p), summed in log space. */
export function binomialTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  let total = 0;
  const lf = (m: number) => {
    let s = 0;
    for (let i = 2; i <= m; i++) s += Math.log(i);
    return s;
  };
  const lnN = lf(n);
  for (let i = k; i <= n; i++) total += Math.exp(lnN - lf(i) - lf(n - i) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  return Math.min(1, total);
}

/**
 * Plain-words verdict. "aligned" needs both a clear margin over chance and statistical
 * significance, so a small probe set cannot call a healthy model broken by bad luck, nor a random
 * one aligned.
 */
export function verdict(s: Scored | null, random: ProbeReport['randomInitialized'], scoring: 'softmax' | 'sigmoid' = 'softmax'): ProbeReport['verdict'] {
  const randomNote =
    (random.length
      ? ` Randomly initialised: ${random.map((r) => (r.tower === 'shared' ? r.tensors.join(' and ') || 'logit_scale' : r.whole ? `the whole ${r.tower} tower` : plural(r.count, `${r.tower} tensor`))).join(', ')}.`
      : '') + (scoring === 'sigmoid' ? ' Sigmoid scoring (SigLIP): each image/label pair scored as sigmoid(exp(logit_scale)·cos + logit_bias); top-1 is the best-scoring label.' : '');
  if (!s) return { code: 'no-labels', text: `Ran the given inputs; no labels, so no accuracy.${randomNote}` };
  const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  if (s.pValue < 1e-3 && s.top1 >= Math.min(0.9, s.chance * 3)) {
    return { code: 'aligned', text: `Aligned: top-1 ${pct(s.top1)} against ${pct(s.chance)} chance — the image and text towers and projections agree.${randomNote}` };
  }
  if (s.pValue < 0.05) {
    return { code: 'weak', text: `Weakly above chance: top-1 ${pct(s.top1)} against ${pct(s.chance)} chance — towers partly agree (wrong activation, preprocessing or a partly trained projection?).${randomNote}` };
  }
  const cause = random.some((r) => r.tower === 'text' || r.tower === 'shared') ? 'text tower or projection missing (random initialisation)' : random.some((r) => r.tower === 'vision') ? 'image tower or projection missing (random initialisation)' : 'text tower or projection not trained, or towers from different models';
  return { code: 'at-chance', text: `At chance: top-1 ${pct(s.top1)} against ${pct(s.chance)} chance — ${cause}.${randomNote}` };
}
