import type { InferenceSession } from 'onnxruntime-node';
import type { Checkpoint } from '../core/checkpoint.js';
import { canonicalFromCheckpoint, defaultActivation, PROBE_FAMILIES, type CanonicalSource } from './canonicalSource.js';
import type { FamilyId } from '../layouts/canonical.js';
import { OPENCLIP_NAMES, openclipFacts, openclipName } from '../layouts/spec/clipTables.js';
import { deriveSiglipConfig, isSiglipFamily, matchSiglipConfig, siglipFactsFrom, siglipFromCheckpoint, trunkActivation, type SiglipFacts } from './siglipModel.js';
import { buildClipGraph, GRAPH_INPUTS, GRAPH_OUTPUTS } from './clipGraph.js';
import { ExternalStore, ProbeBuildError } from './externalData.js';
import { CLIP_CONFIGS } from '../layouts/configs.js';
import { deriveConfig, type ConfigHints, type ProbeModelConfig } from './modelConfig.js';
import { hintsFromNamed, matchNamedConfig, namedConfig } from './namedConfig.js';
import { createSession, loadOrt, type ProviderAttempt, type ProviderChoice, type ProviderName } from './providers.js';
import { resolveWeights, type ResolvedWeights } from './resolveWeights.js';
import { prepareWorkDir } from './workDir.js';

/**
 * A ready-to-run CLIP forward pass for one checkpoint: graph built, ORT session created on the
 * first provider that works. Separate from `runProbe` so `--inputs` and tests can feed their own
 * tensors.
 */
export interface ProbeError {
  readonly code: string;
  readonly message: string;
  readonly attempts?: readonly ProviderAttempt[];
}

export interface EngineOptions extends ConfigHints {
  /** open_clip_config.json's timm trunk name (named in `probe-unsupported-architecture`). */
  readonly trunkName?: string;
  /** SigLIP shapes from open_clip_config.json (head counts, a missing tower's shape). */
  readonly siglipFacts?: SiglipFacts;
  /** open_clip config name (e.g. `ViT-B-16`) the missing towers are instantiated from. */
  readonly target?: string;
  readonly provider?: ProviderChoice;
  readonly providerOrder?: readonly ProviderName[];
  readonly threads?: number;
  readonly cacheDir?: string;
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /**
   * Sub-steps of the build (tensor names, weight files, one call per transformer layer, model
   * file, session creation): `done` of `total` steps, so a caller's progress moves during the
   * seconds before the first image is classified.
   */
  readonly onStep?: (done: number, total: number, message: string) => void;
}

export interface ForwardOutputs {
  /** [n, E], L2-normalised. */
  readonly imageEmbeds: Float32Array;
  /** [m, E], L2-normalised. */
  readonly textEmbeds: Float32Array;
  /** [n, m]. */
  readonly logitsPerImage: Float32Array;
}

export interface Engine {
  readonly config: ProbeModelConfig;
  readonly family: string;
  readonly weights: ResolvedWeights;
  readonly unmapped: readonly string[];
  readonly provider: ProviderName;
  readonly attempts: readonly ProviderAttempt[];
  /** 'hard-link' when every checkpoint file is mmapped in place; 'memory' when tensors had to be read. */
  readonly weightsAccess: 'hard-link' | 'memory' | 'mixed';
  readonly notLinked: readonly { readonly file: string; readonly reason: string }[];
  readonly timings: { readonly buildMs: number; readonly createMs: number };
  run(pixels: Float32Array, n: number, ids: BigInt64Array, m: number): Promise<ForwardOutputs>;
  close(): Promise<void>;
}

type Prepared = { ok: true; canonical: CanonicalSource; config: { config: ProbeModelConfig } } | { ok: false; code: string; message: string };

/** The checkpoint's tensors under canonical names and the forward pass's shape (CLIP or SigLIP). */
async function prepareModel(ckpt: Checkpoint, opts: EngineOptions): Promise<Prepared> {
  const canonical = await canonicalFromCheckpoint(ckpt);
  const family = canonical.familyId;
  if (isSiglipFamily(family, ckpt)) return prepareSiglip(ckpt, family, opts);
  if (!PROBE_FAMILIES.includes(family)) {
    return { ok: false, code: 'probe-unsupported-architecture', message: family === 'unknown' ? 'this checkpoint is not a recognised CLIP layout (no CLIP image or text tower names found)' : `the probe does not support ${family} checkpoints yet (supported: ${PROBE_FAMILIES.join(', ')}, hf-siglip, open_clip SigLIP)` };
  }
  let named: ConfigHints = {};
  if (opts.target) {
    const c = namedConfig(opts.target);
    if (!c || c.coca) return { ok: false, code: 'probe-unknown-target', message: `--target ${JSON.stringify(opts.target)} is not a known open_clip ViT or ModifiedResNet config (${CLIP_CONFIGS.filter((x) => !x.coca).map((x) => x.name).join(', ')}); SigLIP targets apply to SigLIP checkpoints` };
    // Head counts of one image-tower kind mean nothing for the other: a ViT target on a ResNet file is a mistake.
    const fileIsResNet = canonical.tensors.has('visual.attnpool.c_proj.weight') || canonical.tensors.has('visual.layer1.0.conv1.weight');
    const fileHasVision = fileIsResNet || canonical.tensors.has('visual.conv1.weight');
    if (fileHasVision && fileIsResNet !== (c.vision.kind === 'resnet')) return { ok: false, code: 'probe-target-mismatch', message: `--target ${c.name} has a ${c.vision.kind === 'resnet' ? 'ModifiedResNet' : 'ViT'} image tower but this checkpoint's is a ${fileIsResNet ? 'ModifiedResNet' : 'ViT'}` };
    named = hintsFromNamed(c);
  } else {
    const c = matchNamedConfig(canonical);
    if (c) named = hintsFromNamed(c);
  }
  // Explicit hints (config files beside the checkpoint, overrides) win over the named config.
  const cfgR = deriveConfig(canonical, { ...named, ...opts, activation: opts.activation ?? defaultActivation(family) });
  if (!cfgR.ok) return cfgR;
  return { ok: true, canonical, config: cfgR };
}

async function prepareSiglip(ckpt: Checkpoint, family: FamilyId, opts: EngineOptions): Promise<Prepared> {
  const src = siglipFromCheckpoint(ckpt, family, opts.trunkName);
  if (!src.ok) return src;
  const canonical = src.source;
  let named: SiglipFacts | undefined;
  if (opts.target) {
    const f = openclipFacts(opts.target);
    named = f ? siglipFactsFrom(f, openclipName(opts.target)) : undefined;
    if (!named) return { ok: false, code: 'probe-unknown-target', message: `--target ${JSON.stringify(opts.target)} is not an open_clip SigLIP config the probe builds (e.g. ${OPENCLIP_NAMES.filter((n) => /SigLIP-\d|SigLIP$/.test(n)).slice(0, 6).join(', ')}, …)` };
  } else named = opts.siglipFacts ?? matchSiglipConfig(canonical);
  let activation = opts.activation ?? (family === 'hf-siglip' ? { value: 'gelu_tanh' as const, source: 'transformers SiglipConfig default hidden_act gelu_pytorch_tanh (no config.json found)' } : { value: 'gelu' as const, source: 'open_clip SigLIP default (GELU, not QuickGELU)' });
  // Some timm trunks (several SigLIP 2 ones) use tanh-GELU; open_clip_config.json cannot say so (quick_gelu only).
  const trunkAct = family === 'hf-siglip' ? undefined : trunkActivation(opts.trunkName ?? named?.trunk);
  if (trunkAct && activation.source !== 'override' && activation.value === 'gelu') activation = trunkAct;
  // open_clip's SigLIP 2 configs (all of them, and only them) build the text tower with tanh-GELU (text_cfg.act_kwargs).
  const textActivation =
    opts.activation?.source === 'override'
      ? undefined
      : (opts.textActivation ?? (named?.name && /SigLIP2/.test(named.name) ? { value: 'gelu_tanh' as const, source: `open_clip ${named.name} text_cfg.act_kwargs approximate: tanh` } : undefined));
  const cfgR = deriveSiglipConfig(canonical, opts, named, activation, textActivation);
  if (!cfgR.ok) return cfgR;
  return { ok: true, canonical, config: cfgR };
}

export type EngineResult = { ok: true; engine: Engine } | { ok: false; error: ProbeError };

const fail = (code: string, message: string, attempts?: readonly ProviderAttempt[]): EngineResult => ({ ok: false, error: attempts ? { code, message, attempts } : { code, message } });

export async function openEngine(ckpt: Checkpoint, opts: EngineOptions = {}): Promise<EngineResult> {
  const t0 = performance.now();
  // Steps before the layers are known: names (1), config (2); then linking (3), the layers, the model file and the session.
  const step = opts.onStep ?? (() => {});
  step(0, 1, 'reading the tensor names');
  const prepared = await prepareModel(ckpt, opts);
  if (!prepared.ok) return fail(prepared.code, prepared.message);
  const { canonical, config: cfgR } = prepared;
  const cfg = cfgR.config;
  // SigLIP's MAP head counts as one more step of the image tower.
  const layers = (cfg.vision.kind === 'resnet' ? cfg.vision.stages.reduce((a, b) => a + b, 0) : cfg.vision.layers + (cfg.vision.kind === 'siglip' ? 1 : 0)) + cfg.text.layers;
  // names, config, links, layers…, model file, session: the session (ORT's own, blocking) is the last step.
  const total = 3 + layers + 2;
  step(2, total, 'resolving the weights');
  const wR = resolveWeights(canonical, cfg, opts.seed);
  if (!wR.ok) return fail(wR.code, wR.message);
  opts.signal?.throwIfAborted();

  const files = new Set<string>();
  for (const r of wR.value.byName.values()) if (r.kind === 'checkpoint') for (const s of r.weight.sources) if (s.data.kind !== 'opaque') files.add(s.data.file);
  step(3, total, `linking ${files.size} weight file${files.size === 1 ? '' : 's'} into the work folder`);
  const work = await prepareWorkDir([...files], opts.cacheDir);
  let session: InferenceSession | undefined;
  try {
    const store = new ExternalStore(work.linked);
    let model: Uint8Array;
    try {
      model = await buildClipGraph(cfg, wR.value, store, (done, what) => {
        opts.signal?.throwIfAborted();
        step(3 + done, total, `building the CLIP graph: ${what} (${done} of ${layers} layers)`);
      });
    } catch (e) {
      if (e instanceof ProbeBuildError) return fail(e.code, e.message);
      throw e;
    }
    step(3 + layers, total, `writing the ONNX model (${(model.byteLength / 1048576).toFixed(1)} MiB without weights)`);
    const modelPath = await work.writeModel(model);
    // ORT takes external data either all from files or all from the in-memory table (a model that
    // mixes both fails with "not found from the table"), so with linked files the in-memory
    // chunks (random-initialised tensors, unaddressable tensors) are written beside the model.
    let memoryFiles = store.memoryFiles();
    if (store.usesLinkedFiles) {
      for (const f of memoryFiles) await work.writeFile(f.path, f.data);
      memoryFiles = [];
    }
    const buildMs = performance.now() - t0;
    opts.signal?.throwIfAborted();
    step(total - 1, total, `creating the ONNX Runtime session (${opts.provider && opts.provider !== 'auto' ? opts.provider : 'best provider'}); this can take several seconds`);
    const s = await createSession({
      modelPath,
      memoryFiles,
      choice: opts.provider ?? 'auto',
      ...(opts.providerOrder ? { order: opts.providerOrder } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
    });
    if (!s.ok) return fail(s.code, s.message, s.attempts);
    session = s.session;
    const ort = await loadOrt();
    const sess = s.session;
    const weightsAccess = store.copiedTensors === 0 ? 'hard-link' : work.linked.size === 0 ? 'memory' : 'mixed';
    const engine: Engine = {
      config: cfg,
      family: canonical.family,
      weights: wR.value,
      unmapped: canonical.unmapped,
      provider: s.provider,
      attempts: s.attempts,
      weightsAccess,
      notLinked: work.notLinked,
      timings: { buildMs, createMs: s.createMs },
      async run(pixels, n, ids, m) {
        const S = cfg.vision.imageSize;
        const L = cfg.text.contextLength;
        if (pixels.length !== n * 3 * S * S) throw new ProbeBuildError('probe-input-shape', `pixel_values must be [${n},3,${S},${S}]`);
        if (ids.length !== m * L) throw new ProbeBuildError('probe-input-shape', `input_ids must be [${m},${L}]`);
        const out = await sess.run({
          [GRAPH_INPUTS.pixels]: new ort.Tensor('float32', pixels, [n, 3, S, S]),
          [GRAPH_INPUTS.ids]: new ort.Tensor('int64', ids, [m, L]),
        });
        const get = (k: string) => out[k]!.data as Float32Array;
        return { imageEmbeds: get(GRAPH_OUTPUTS.image), textEmbeds: get(GRAPH_OUTPUTS.text), logitsPerImage: get(GRAPH_OUTPUTS.logits) };
      },
      async close() {
        await sess.release();
        await work.dispose();
      },
    };
    return { ok: true, engine };
  } catch (e) {
    await session?.release().catch(() => undefined);
    await work.dispose();
    throw e;
  } finally {
    // On success the session keeps the work dir until close(); on failure it is gone already.
    if (!session) await work.dispose();
  }
}
