import { plural } from '../shared/text.js';
import type { TensorInfo } from '../core/checkpoint.js';
import { decodeToFloat32, chunkAlignment } from '../core/decode.js';
import { isFloatDType } from '../core/dtype.js';
import { readTensorBytes } from '../core/values.js';
import { FileReaderPool } from '../io/fileRange.js';
import type { CanonicalView } from '../layouts/canonical.js';
import { towerOfCanonical } from '../layouts/towers.js';
import type { TowerId } from '../layouts/canonicalLayout.js';
import type { Finding, ValueScan } from './types.js';

/**
 * Random-init detection from values, with a byte budget per file. Reads whole small tensors
 * (norms, biases, logit_scale) and bounded samples of large ones. The decisive signal is the
 * one trained models never show: every LayerNorm/BatchNorm weight exactly 1 and bias exactly 0
 * across a tower. Weight statistics (std at an init value, Gaussian or uniform shape) and zero
 * biases are reported as supporting evidence only, to keep false positives low.
 */
export const DEFAULT_VALUE_BUDGET = 64 << 20;
const INIT_LOGIT_SCALE = Math.log(1 / 0.07);
const SAMPLE_WINDOW = 16 << 10;
const SAMPLE_WINDOWS = 4;

const NORM_RE = /(^|\.)(ln_[^.]+|ln_final|norm\d?|norm_pre|layer_norm\d?|bn\d|downsample\.1)\.(weight|bias)$/;
// The suffix test first: most names fail it, and it is much cheaper than the regex.
const isNorm = (n: string) => (n.endsWith('.weight') || n.endsWith('.bias')) && NORM_RE.test(n);

/** The digits of the first `.N.` in a name (what `/\.(\d+)\./` captures), as a scan. */
function firstBlockIndex(name: string): string | undefined {
  for (let i = name.indexOf('.'); i >= 0; i = name.indexOf('.', i + 1)) {
    let j = i + 1;
    while (j < name.length && name.charCodeAt(j) >= 48 && name.charCodeAt(j) <= 57) j++;
    if (j > i + 1 && j < name.length && name.charCodeAt(j) === 46) return name.slice(i + 1, j);
  }
  return undefined;
}

interface Budget {
  pool: FileReaderPool;
  perFile: number;
  used: Map<string, number>;
  bytesRead: number;
  tensorsRead: number;
  tensorsSampled: number;
}

function fileKey(t: TensorInfo): string {
  return t.data.kind === 'opaque' ? `opaque:${t.shard ?? ''}` : t.data.file;
}

function take(b: Budget, t: TensorInfo, bytes: number): boolean {
  const k = fileKey(t);
  const used = b.used.get(k) ?? 0;
  if (used + bytes > b.perFile) return false;
  b.used.set(k, used + bytes);
  b.bytesRead += bytes;
  return true;
}

async function readAll(b: Budget, t: TensorInfo): Promise<Float32Array | undefined> {
  if (!isFloatDType(t.dtype) || t.byteLength === 0) return undefined;
  if (!take(b, t, t.byteLength)) return undefined;
  try {
    const bytes = await readTensorBytes(t, 0, t.byteLength, b.pool);
    if (bytes.byteLength !== t.byteLength) return undefined;
    b.tensorsRead++;
    return decodeToFloat32(t.dtype, bytes);
  } catch {
    return undefined;
  }
}

async function readSample(b: Budget, t: TensorInfo): Promise<Float32Array | undefined> {
  if (!isFloatDType(t.dtype)) return undefined;
  if (t.byteLength <= SAMPLE_WINDOW * SAMPLE_WINDOWS) return readAll(b, t);
  const align = chunkAlignment(t.dtype);
  const win = Math.floor(SAMPLE_WINDOW / align) * align;
  if (!take(b, t, win * SAMPLE_WINDOWS)) return undefined;
  try {
    const parts: Float32Array[] = [];
    for (let i = 0; i < SAMPLE_WINDOWS; i++) {
      const start = Math.floor(((t.byteLength - win) * i) / (SAMPLE_WINDOWS - 1) / align) * align;
      const bytes = await readTensorBytes(t, start, start + win, b.pool);
      if (bytes.byteLength !== win) return undefined;
      parts.push(decodeToFloat32(t.dtype, bytes));
    }
    b.tensorsSampled++;
    const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  } catch {
    return undefined;
  }
}

interface Moments {
  mean: number;
  std: number;
  /** Excess kurtosis: 0 Gaussian, −1.2 uniform, > 0 heavy tails (trained weights). */
  kurtosis: number;
  zeros: number;
  n: number;
}

function moments(v: Float32Array): Moments {
  let s = 0;
  let zeros = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    s += x;
    if (x === 0) zeros++;
  }
  const mean = s / v.length;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < v.length; i++) {
    const d = v[i]! - mean;
    const d2 = d * d;
    m2 += d2;
    m4 += d2 * d2;
  }
  m2 /= v.length;
  m4 /= v.length;
  return { mean, std: Math.sqrt(m2), kurtosis: m2 > 0 ? m4 / (m2 * m2) - 3 : 0, zeros, n: v.length };
}

/** Init standard deviations used by open_clip / OpenAI / transformers for a tensor of this width. */
function initStds(shape: readonly number[], layers: number): number[] {
  const fanIn = shape[shape.length - 1] ?? 1;
  const width = Math.min(shape[0] ?? fanIn, fanIn);
  const stds = [0.02, 0.01, fanIn ** -0.5, width ** -0.5, (2 * width) ** -0.5];
  if (layers > 0) stds.push(width ** -0.5 * (2 * layers) ** -0.5, 0.02 * (2 * layers) ** -0.5);
  return stds;
}

/** Does a weight sample look like a fresh init draw? Gaussian at a known std, or a PyTorch uniform init. */
function looksInit(m: Moments, shape: readonly number[], layers: number): string | undefined {
  if (m.n < 256 || m.std === 0) return undefined;
  if (Math.abs(m.mean) > m.std * 0.1) return undefined;
  if (Math.abs(m.kurtosis) < 0.25) {
    const std = initStds(shape, layers).find((s) => Math.abs(m.std - s) / s < 0.04);
    if (std !== undefined) return `Gaussian with std ${m.std.toPrecision(3)} (init std ${std.toPrecision(3)})`;
  }
  if (Math.abs(m.kurtosis + 1.2) < 0.12) return `uniform (excess kurtosis ${m.kurtosis.toFixed(2)}, PyTorch's default init)`;
  return undefined;
}

export interface ValueResult {
  findings: Finding[];
  scan: ValueScan;
}

/** Checks the towers the file has; `towers` limits the work to CLIP towers that are present. */
export async function scanValues(view: CanonicalView, budgetBytes: number): Promise<ValueResult> {
  const pool = new FileReaderPool();
  try {
    return await scanWithin(view, budgetBytes, { pool, perFile: budgetBytes, used: new Map(), bytesRead: 0, tensorsRead: 0, tensorsSampled: 0 });
  } finally {
    await pool.close();
  }
}

async function scanWithin(view: CanonicalView, budgetBytes: number, b: Budget): Promise<ValueResult> {
  const findings: Finding[] = [];
  if (budgetBytes <= 0) return { findings, scan: { performed: false, budgetBytesPerFile: budgetBytes, bytesRead: 0, tensorsRead: 0, tensorsSampled: 0 } };

  // logit_scale first: one scalar that says whether the contrastive head ever trained.
  const ls = view.tensors.get('logit_scale');
  let freshLogit = false;
  if (ls && ls.sources.length === 1) {
    const v = await readAll(b, ls.sources[0]!);
    if (v && v.length >= 1 && Math.abs(v[0]! - INIT_LOGIT_SCALE) < 1e-3) {
      freshLogit = true;
      findings.push({
        code: 'untrained-logit-scale',
        severity: 'warning',
        message: `logit_scale is ${v[0]!.toFixed(4)} = ln(1/0.07), its initial value: the contrastive head was never trained (trained CLIP models sit near ln(100) ≈ 4.6052), so similarity scores use a temperature of 14.3 instead of ~100 and zero-shot probabilities come out far too flat.`,
        tower: 'projection',
        tensors: [ls.sources[0]!.name],
        tensorCount: 1,
        evidence: [`logit_scale = ${v[0]!.toPrecision(6)}`, `ln(1/0.07) = ${INIT_LOGIT_SCALE.toPrecision(6)}`],
      });
    }
  }

  const byTower = new Map<TowerId, { name: string; t: TensorInfo; shape: readonly number[] }[]>();
  view.tensors.forEach((c) => {
    // Concatenated tensors (HF q/k/v) are judged by their first source: same init, same statistics.
    const tower = towerOfCanonical(c.name);
    if (tower === 'other' || tower === 'projection') return;
    const list = byTower.get(tower) ?? [];
    list.push({ name: c.name, t: c.sources[0]!, shape: c.sources[0]!.shape });
    byTower.set(tower, list);
  });

  const zeroWeights: string[] = [];
  for (const [tower, list] of byTower) {
    // One pass over the tower's tensors (100k on big files): block indexes and the three sample pools.
    const layerIds = new Set<string>();
    const normPool: typeof list = [];
    const biasPool: typeof list = [];
    const matPool: typeof list = [];
    for (let k = 0; k < list.length; k++) {
      const x = list[k]!;
      const id = firstBlockIndex(x.name);
      if (id !== undefined) layerIds.add(id);
      const norm = isNorm(x.name);
      if (norm) normPool.push(x);
      else if ((x.name.endsWith('.bias') || x.name.endsWith('_bias')) && x.shape.length === 1) biasPool.push(x);
      if (x.shape.length >= 2 && !x.name.endsWith('num_batches_tracked')) matPool.push(x);
    }
    const layers = layerIds.size;
    const norms = spread(normPool, 512);
    let normWeights = 0;
    let onesWeights = 0;
    let normBiases = 0;
    let zeroBiases = 0;
    const freshBlocks = new Map<string, { total: number; fresh: number }>();
    // Reads run in parallel; results are folded in list order so the output does not depend on I/O timing.
    const normResults: ({ isWeight: boolean; fresh: boolean } | undefined)[] = new Array(norms.length);
    await parallel(norms, 8, async (x, i) => {
      const v = await readAll(b, x.t);
      if (!v) return;
      const isWeight = /weight$/.test(x.name);
      const isStat = /running_(mean|var)$/.test(x.name);
      if (isStat) return;
      // OpenAI's ModifiedResNet zero-initialises each bottleneck's bn3.weight (zero-init residual).
      const fresh = isWeight ? v.every((e) => e === 1) || (/bn3\.weight$/.test(x.name) && v.every((e) => e === 0)) : v.every((e) => e === 0);
      normResults[i] = { isWeight, fresh };
    });
    norms.forEach((x, i) => {
      const r = normResults[i];
      if (!r) return;
      if (r.isWeight) {
        normWeights++;
        if (r.fresh) onesWeights++;
      } else {
        normBiases++;
        if (r.fresh) zeroBiases++;
      }
      const block = /^(.*?\.\d+)\./.exec(x.name)?.[1];
      if (block) {
        const e = freshBlocks.get(block) ?? { total: 0, fresh: 0 };
        e.total++;
        if (r.fresh) e.fresh++;
        freshBlocks.set(block, e);
      }
    });
    const biases = spread(biasPool, 64);
    let biasRead = 0;
    let biasZero = 0;
    await parallel(biases, 8, async (x) => {
      const v = await readAll(b, x.t);
      if (!v) return;
      biasRead++;
      if (v.every((e) => e === 0)) biasZero++;
    });
    const mats = spread(matPool, 48);
    let matsRead = 0;
    const initLike: string[] = [];
    const matResults: ({ zero: true } | { zero: false; why: string | undefined } | undefined)[] = new Array(mats.length);
    await parallel(mats, 4, async (x, i) => {
      const v = await readSample(b, x.t);
      if (!v) return;
      const m = moments(v);
      matResults[i] = m.zeros === m.n ? { zero: true } : { zero: false, why: looksInit(m, x.shape, layers) };
    });
    mats.forEach((x, i) => {
      const r = matResults[i];
      if (!r) return;
      matsRead++;
      if (r.zero) zeroWeights.push(x.t.name);
      else if (r.why) initLike.push(`${x.t.name}: ${r.why}`);
    });

    const normsRead = normWeights + normBiases;
    const allFresh = normsRead >= 2 && onesWeights === normWeights && zeroBiases === normBiases;
    const mostlyInitWeights = normsRead === 0 && matsRead >= 4 && initLike.length >= 0.8 * matsRead;
    const evidence: string[] = [];
    if (normWeights) evidence.push(`${onesWeights}/${normWeights} norm weights are exactly 1`);
    if (normBiases) evidence.push(`${zeroBiases}/${normBiases} norm biases are exactly 0`);
    if (biasRead) evidence.push(`${biasZero}/${biasRead} other biases are exactly 0`);
    if (matsRead) evidence.push(`${initLike.length}/${matsRead} sampled weight matrices look like an init draw`);
    evidence.push(...initLike.slice(0, 3));
    if (freshLogit) evidence.push('logit_scale is at its init value');
    if (allFresh || mostlyInitWeights) {
      findings.push({
        code: 'random-init-suspected',
        severity: 'error',
        message: `The ${tower} tower looks freshly initialised, not trained: its ${tower === 'text' ? 'text embeddings' : tower === 'vision' ? 'image embeddings' : 'outputs'} would be noise${tower === 'text' || tower === 'vision' ? ' and zero-shot would be at chance' : ''}.`,
        tower,
        tensorCount: list.length,
        evidence,
      });
      continue;
    }
    // Some blocks reset while the rest trained (e.g. a re-initialised last layer).
    const fresh = [...freshBlocks].filter(([, e]) => e.total >= 2 && e.fresh === e.total).map(([k]) => k);
    if (fresh.length && normsRead >= 4) {
      findings.push({
        code: 'random-init-suspected',
        severity: 'warning',
        message: `${plural(fresh.length, 'block')} of the ${tower} tower ${fresh.length === 1 ? 'looks' : 'look'} freshly initialised (all their norm weights exactly 1, biases exactly 0) while the rest looks trained: those blocks would add noise.`,
        tower,
        tensors: fresh.slice(0, 100),
        tensorCount: fresh.length,
        evidence: [`blocks: ${fresh.slice(0, 10).join(', ')}${fresh.length > 10 ? ', …' : ''}`],
      });
    }
  }
  if (zeroWeights.length) {
    findings.push({
      code: 'zero-weights',
      severity: 'warning',
      message: `${zeroWeights.length} weight matri${zeroWeights.length === 1 ? 'x is' : 'ces are'} all zeros where they were sampled: a trained model never has this, so the file is likely truncated, sparse or a placeholder, and the layers using them output constants.`,
      tensors: zeroWeights.slice(0, 100),
      tensorCount: zeroWeights.length,
    });
  }
  // Zero projections: trained CLIP projections are never all zero.
  const zeroProj: string[] = [];
  for (const name of ['visual.proj', 'text_projection']) {
    const c = view.tensors.get(name);
    if (!c) continue;
    const v = await readSample(b, c.sources[0]!);
    if (v && v.length && v.every((e) => e === 0)) zeroProj.push(c.sources[0]!.name);
  }
  if (zeroProj.length) {
    findings.push({
      code: 'projection-zero',
      severity: 'error',
      message: `${zeroProj.join(' and ')} ${zeroProj.length === 1 ? 'is' : 'are'} all zeros: every embedding through ${zeroProj.length === 1 ? 'it' : 'them'} is the zero vector, so similarities are meaningless.`,
      tower: 'projection',
      tensors: zeroProj,
      tensorCount: zeroProj.length,
    });
  }
  return { findings, scan: { performed: true, budgetBytesPerFile: budgetBytes, bytesRead: b.bytesRead, tensorsRead: b.tensorsRead, tensorsSampled: b.tensorsSampled } };
}

/** At most `max` items, evenly spread (first and last kept) so big models are covered end to end. */
function spread<T>(items: T[], max: number): T[] {
  if (items.length <= max) return items;
  const out: T[] = [];
  for (let i = 0; i < max; i++) out.push(items[Math.round((i * (items.length - 1)) / (max - 1))]!);
  return out;
}

async function parallel<T>(items: readonly T[], width: number, fn: (x: T, index: number) => Promise<void>): Promise<void> {
  let i = 0;
  const worker = async () => {
    while (i < items.length) {
      const k = i++;
      await fn(items[k]!, k);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}
