import { basename, dirname } from 'node:path';
import type { Checkpoint } from '../core/checkpoint.js';
import { openEngine, type Engine, type EngineOptions, type ProbeError } from './engine.js';
import { RESNET_STRIDE, type Activation, type VisionShape } from './modelConfig.js';
import { BUILTIN_CLASSES, BUILTIN_SET_NAME, builtinPromptIds, IMAGES_PER_CLASS } from './probeSet.js';
import { applyPreprocess, describePreprocess, preprocessForCheckpoint } from './preprocess.js';
import { loadImageFolder, type RawInputs } from './probeInputs.js';
import type { ProviderChoice, ProviderName } from './providers.js';
import { score, verdict, type ProbeReport } from './report.js';
import { sidecarHints } from './sidecarConfig.js';
import { findTokenizerIn, loadProbeTokenizer, type ProbeTokenizer } from './tokenizer.js';

/**
 * The zero-shot probe: build the checkpoint's own CLIP, classify a probe set, score it against
 * chance. No `vscode` import; safe to run inside a worker_thread (all heavy work is ORT's, and
 * cancellation is checked between batches through `signal`).
 */
export interface ProbeOptions {
  readonly provider?: ProviderChoice;
  /** Provider order for `auto` (the editor setting); CPU is appended when absent. */
  readonly providerOrder?: readonly ProviderName[];
  readonly threads?: number;
  readonly cacheDir?: string;
  /** open_clip config name (e.g. `ViT-B-16`): head counts and the shape of missing towers. */
  readonly target?: string;
  /** Overrides the activation read from config files / defaults. */
  readonly activation?: Activation;
  /** User probe: one sub-folder per class. */
  readonly images?: { readonly dir: string; readonly labelsFile?: string };
  /** Exact tensors to run instead of a probe set (no labels). */
  readonly inputs?: RawInputs;
  /** Prompt template with `{label}`; default: the built-in prompts, or "a photo of a {label}" for user images. */
  readonly template?: string;
  /** Tokenizer file or directory; default: one beside the checkpoint, else the built-in pre-tokenised prompts. */
  readonly tokenizer?: string;
  readonly batchSize?: number;
  readonly seed?: number;
  /** Keep the input and output tensors on the result (for `--dump`). */
  readonly keepTensors?: boolean;
}

export type ProbePhase = 'build' | 'session' | 'images' | 'run';
export interface ProbeProgress {
  readonly phase: ProbePhase;
  readonly done: number;
  readonly total: number;
  readonly message: string;
}

export interface ProbeControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ProbeProgress) => void;
}

export interface ProbeTensors {
  readonly pixelValues: Float32Array;
  readonly n: number;
  readonly inputIds: BigInt64Array;
  readonly m: number;
  readonly imageEmbeds: Float32Array;
  readonly textEmbeds: Float32Array;
  readonly logitsPerImage: Float32Array;
}

export type ProbeResult = { ok: true; report: ProbeReport; tensors?: ProbeTensors } | { ok: false; error: ProbeError };

export const DEFAULT_TEMPLATE = 'a photo of a {label}';

const failure = (code: string, message: string): ProbeResult => ({ ok: false, error: { code, message } });

export async function runProbe(ckpt: Checkpoint, opts: ProbeOptions = {}, control: ProbeControl = {}): Promise<ProbeResult> {
  const t0 = performance.now();
  const { signal, onProgress } = control;
  const progress = (phase: ProbePhase, done: number, total: number, message: string) => onProgress?.({ phase, done, total, message });
  if (opts.template !== undefined && !opts.template.includes('{label}')) return failure('probe-bad-template', 'the prompt template must contain {label}');

  progress('build', 0, 1, 'reading the config files beside the checkpoint');
  const hints = await sidecarHints(dirname(ckpt.path));
  const engineOpts: EngineOptions = {
    ...hints,
    ...(opts.activation ? { activation: { value: opts.activation, source: 'override' } } : {}),
    ...(opts.provider ? { provider: opts.provider } : {}),
    ...(opts.providerOrder ? { providerOrder: opts.providerOrder } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
    ...(opts.target ? { target: opts.target } : {}),
    ...(signal ? { signal } : {}),
    onStep: (done, total, message) => progress('build', done, total, message),
  };
  const er = await openEngine(ckpt, engineOpts);
  if (!er.ok) return { ok: false, error: er.error };
  const engine = er.engine;
  try {
    progress('session', 1, 1, `session created on ${engine.provider}`);
    return await probeWithEngine(ckpt, engine, opts, control, t0);
  } finally {
    await engine.close();
  }
}

function visionSummary(v: VisionShape): ProbeReport['model']['vision'] {
  if (v.kind === 'siglip') return { architecture: 'siglip', width: v.width, layers: v.layers, heads: v.heads, patch: v.patch };
  if (v.kind === 'resnet') return { architecture: 'resnet', width: v.width, layers: v.stages.reduce((a, b) => a + b, 0), heads: v.heads, patch: RESNET_STRIDE, stages: v.stages };
  return { architecture: 'vit', width: v.width, layers: v.layers, heads: v.heads, patch: v.patch };
}

interface ProbeSetData {
  readonly kind: ProbeReport['probeSet'];
  readonly name: string;
  readonly labels: readonly string[];
  readonly prompts: readonly string[];
  readonly pixels: Float32Array;
  readonly n: number;
  readonly truth: readonly number[] | null;
  readonly ids: BigInt64Array;
  readonly m: number;
  readonly tokenizer: string;
  /** The image preprocessing used, in words (inputs: none). */
  readonly preprocess: string;
}

async function probeWithEngine(ckpt: Checkpoint, engine: Engine, opts: ProbeOptions, control: ProbeControl, t0: number): Promise<ProbeResult> {
  const { signal, onProgress } = control;
  const cfg = engine.config;
  const S = cfg.vision.imageSize;
  const L = cfg.text.contextLength;
  const setR = await buildProbeSet(ckpt, engine, opts, signal);
  if (!setR.ok) return setR.result;
  const set = setR.set;

  // Images in batches: every run carries all prompts (the text tower is cheap next to the image tower).
  const batch = Math.max(1, opts.batchSize ?? 8);
  const E = cfg.embedDim;
  const imageEmbeds = new Float32Array(set.n * E);
  const logits = new Float32Array(set.n * set.m);
  let textEmbeds = new Float32Array(set.m * E);
  let runMs = 0;
  for (let start = 0; start < set.n; start += batch) {
    signal?.throwIfAborted();
    const count = Math.min(batch, set.n - start);
    onProgress?.({ phase: 'run', done: start, total: set.n, message: `classifying images ${start + 1}–${start + count} of ${set.n}` });
    const t = performance.now();
    const out = await engine.run(set.pixels.subarray(start * 3 * S * S, (start + count) * 3 * S * S), count, set.ids, set.m);
    runMs += performance.now() - t;
    imageEmbeds.set(out.imageEmbeds, start * E);
    logits.set(out.logitsPerImage, start * set.m);
    textEmbeds = new Float32Array(out.textEmbeds);
  }
  onProgress?.({ phase: 'run', done: set.n, total: set.n, message: 'done' });

  const scored = set.truth ? score(logits, set.truth, set.labels) : null;
  const random = engine.weights.randomInitialized.map((r) => ({ tower: r.tower, whole: r.whole, count: r.tensors.length, tensors: r.tensors }));
  const report: ProbeReport = {
    schemaVersion: 1,
    path: ckpt.path,
    probeSet: set.kind,
    probeSetName: set.name,
    family: engine.family,
    model: {
      imageSize: S,
      embedDim: E,
      vision: visionSummary(cfg.vision),
      text: { width: cfg.text.width, layers: cfg.text.layers, heads: cfg.text.heads, contextLength: L },
      activation: cfg.activation,
      activationSource: cfg.activationSource,
      pooling: cfg.pooling.kind === 'eos' ? `eos(${cfg.pooling.eosTokenId})` : cfg.pooling.kind,
      scoring: cfg.scoring ?? 'softmax',
      namedConfig: cfg.namedConfig ?? null,
    },
    images: set.n,
    classes: set.labels.length,
    top1: scored?.top1 ?? null,
    top5: scored?.top5 ?? null,
    chance: scored?.chance ?? null,
    pValue: scored?.pValue ?? null,
    perClass: scored?.perClass ?? [],
    confusion: scored?.confusion ?? [],
    provider: engine.provider,
    providerAttempts: engine.attempts,
    weightsAccess: engine.weightsAccess,
    randomInitialized: random,
    unmappedTensors: engine.unmapped.length,
    tokenizer: set.tokenizer,
    preprocess: set.preprocess,
    timings: {
      buildMs: round(engine.timings.buildMs),
      sessionCreateMs: round(engine.timings.createMs),
      perImageMs: set.n ? round(runMs / set.n) : null,
      totalMs: round(performance.now() - t0),
    },
    verdict: verdict(scored, random, cfg.scoring ?? 'softmax'),
  };
  const tensors: ProbeTensors | undefined = opts.keepTensors
    ? { pixelValues: set.pixels, n: set.n, inputIds: set.ids, m: set.m, imageEmbeds, textEmbeds, logitsPerImage: logits }
    : undefined;
  return tensors ? { ok: true, report, tensors } : { ok: true, report };
}

const round = (x: number) => Math.round(x * 10) / 10;

type SetResult = { ok: true; set: ProbeSetData } | { ok: false; result: ProbeResult };

async function buildProbeSet(ckpt: Checkpoint, engine: Engine, opts: ProbeOptions, signal?: AbortSignal): Promise<SetResult> {
  const cfg = engine.config;
  const S = cfg.vision.imageSize;
  const L = cfg.text.contextLength;
  const bad = (code: string, message: string): SetResult => ({ ok: false, result: failure(code, message) });

  if (opts.inputs) {
    const inp = opts.inputs;
    const [n, c, h, w] = inp.pixelShape as [number, number, number, number];
    if (c !== 3 || h !== S || w !== S) return bad('probe-inputs-shape', `pixel_values is [${inp.pixelShape.join(', ')}] but this model takes [N, 3, ${S}, ${S}]`);
    const [m, len] = inp.idsShape as [number, number];
    if (len > L) return bad('probe-inputs-shape', `input_ids rows have ${len} tokens; this model's context length is ${L}`);
    // SigLIP reads the last position with no mask, so padding would change the result: the rows must be full.
    if (cfg.architecture === 'siglip' && len !== L) return bad('probe-inputs-shape', `input_ids rows have ${len} tokens; SigLIP pools the last of exactly ${L} positions, so pad them to ${L} with the tokenizer's pad id`);
    const ids = padIds(inp.inputIds, m, len, L);
    const vocabErr = checkIds(ids, cfg.text.vocabSize);
    if (vocabErr) return bad('probe-vocab-mismatch', vocabErr);
    return { ok: true, set: { kind: 'inputs', name: 'the given input tensors (pixel_values, input_ids)', labels: [], prompts: [], pixels: inp.pixelValues, n, truth: null, ids, m, tokenizer: 'none (--inputs)', preprocess: 'none (--inputs: pixel_values used as given)' } };
  }

  // Tokenizer: explicit, else beside the checkpoint, else the built-in ids (CLIP's built-in prompts only).
  const siglip = cfg.architecture === 'siglip';
  let tokenizer: ProbeTokenizer | undefined;
  const tokPath = opts.tokenizer ?? findTokenizerIn(dirname(ckpt.path));
  if (tokPath) {
    // open_clip's SigLIP cleaning turns `_` into a space; transformers' drops it.
    const t = await loadProbeTokenizer(tokPath, { underscoreToSpace: engine.family !== 'hf-siglip' });
    if (!t.ok) return bad(t.code, t.message);
    tokenizer = t.tokenizer;
    if (siglip !== (tokenizer.kind === 'sentencepiece')) {
      return bad(
        'probe-tokenizer-mismatch',
        siglip
          ? `${tokPath} is a CLIP BPE tokenizer, but SigLIP's text tower reads SentencePiece ids: pass --tokenizer (the model's spiece.model or tokenizer.json)`
          : `${tokPath} is a SentencePiece tokenizer, but this CLIP's text tower reads CLIP BPE ids: pass --tokenizer (a CLIP tokenizer.json, vocab.json + merges.txt or bpe_simple_vocab_16e6.txt.gz)`,
      );
    }
  } else if (siglip && !opts.inputs) {
    return bad(
      'probe-tokenizer-missing',
      `SigLIP needs its own tokenizer and none was found beside ${basename(ckpt.path)}: put spiece.model (transformers SigLIP repos) or tokenizer.json (open_clip / fast tokenizer) beside the checkpoint, or pass --tokenizer (its path)`,
    );
  }

  // The model's own image preprocessing (CLIP: shorter side + crop, OpenAI mean/std; SigLIP: squash, 0.5/0.5).
  const prep = await preprocessForCheckpoint(dirname(ckpt.path), engine.family, cfg.architecture, isSiglip2(engine));
  let labels: string[];
  let prompts: string[];
  let pixels: Float32Array;
  let truth: number[];
  let kind: ProbeReport['probeSet'];
  let name: string;
  if (opts.images) {
    const r = await loadImageFolder(opts.images.dir, S, opts.images.labelsFile, signal, prep);
    if (!r.ok) return bad(r.code, r.message);
    labels = [...r.value.labels];
    const template = opts.template ?? DEFAULT_TEMPLATE;
    prompts = labels.map((l) => template.replaceAll('{label}', l));
    pixels = new Float32Array(r.value.images.length * 3 * S * S);
    r.value.images.forEach((im, i) => pixels.set(im.pixels, i * 3 * S * S));
    truth = r.value.images.map((im) => im.label);
    kind = 'images';
    name = `your images in ${opts.images.dir} (classes from ${opts.images.labelsFile ? `the labels file ${opts.images.labelsFile}` : 'the folder names'})`;
  } else {
    labels = BUILTIN_CLASSES.map((c) => c.label);
    prompts = BUILTIN_CLASSES.map((c) => (opts.template ? opts.template.replaceAll('{label}', c.label) : c.prompt));
    const n = BUILTIN_CLASSES.length * IMAGES_PER_CLASS;
    pixels = new Float32Array(n * 3 * S * S);
    truth = [];
    let i = 0;
    for (const [ci, c] of BUILTIN_CLASSES.entries()) {
      for (let v = 0; v < IMAGES_PER_CLASS; v++) {
        // Drawn at S×S, so neither resize changes a pixel: only the model's mean/std matter.
        pixels.set(applyPreprocess({ width: S, height: S, data: c.draw(S, v) }, S, prep), i++ * 3 * S * S);
        truth.push(ci);
      }
    }
    kind = 'builtin';
    name = BUILTIN_SET_NAME;
  }

  const m = prompts.length;
  const ids = new BigInt64Array(m * L);

  const sot = tokenizer?.kind === 'clip-bpe' ? tokenizer.sotId : 49406;
  const eot = tokenizer?.kind === 'clip-bpe' ? tokenizer.eotId : 49407;
  for (const [j, p] of prompts.entries()) {
    let row: readonly number[];
    if (tokenizer) row = tokenizer.encodeForModel(p, L);
    else {
      const pre = builtinPromptIds(p);
      if (!pre) return bad('tokenizer-required', 'custom prompts need a tokenizer: pass --tokenizer (tokenizer.json, vocab.json + merges.txt, or bpe_simple_vocab_16e6.txt.gz) or put one beside the checkpoint');
      row = [sot, ...pre.slice(0, L - 2), eot];
    }
    row.forEach((id, k) => (ids[j * L + k] = BigInt(id)));
  }
  const tokenizerName = tokenizer ? tokenizer.source : 'built-in pre-tokenised prompts (CLIP BPE ids)';
  const vocabErr = checkIds(ids, cfg.text.vocabSize);
  if (vocabErr) return bad('probe-vocab-mismatch', vocabErr);
  return { ok: true, set: { kind, name, labels, prompts, pixels, n: truth.length, truth, ids, m, tokenizer: tokenizerName, preprocess: describePreprocess(prep) } };
}

/** transformers Siglip2Model: its patch embedding is a Linear read through the `patch-hwc` transform. */
function isSiglip2(engine: Engine): boolean {
  for (const w of engine.weights.byName.values()) if (w.kind === 'checkpoint' && w.weight.transform === 'patch-hwc') return true;
  return false;
}

function padIds(ids: BigInt64Array, m: number, len: number, L: number): BigInt64Array {
  if (len === L) return ids;
  // Padding after the EOT cannot change the EOT token's features: the text mask is causal.
  const out = new BigInt64Array(m * L);
  for (let j = 0; j < m; j++) out.set(ids.subarray(j * len, (j + 1) * len), j * L);
  return out;
}

function checkIds(ids: BigInt64Array, vocab: number): string | undefined {
  for (const v of ids) if (v < 0n || v >= BigInt(vocab)) return `token id ${v} is outside this model's vocabulary of ${vocab}`;
  return undefined;
}
