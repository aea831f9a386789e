import { plural } from '../shared/text.js';
import { dirOf } from '../io/paths.js';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { err, ok, type Result } from '../core/result.js';
import { canonicalKeyOf, canonicalViewOf, FamilyDetector, normalizeName, normalizeNameList, stripWrapperPrefixes } from '../layouts/canonical.js';
import { TOWER_IDS, type TowerId } from '../layouts/canonicalLayout.js';
import { towerOf } from '../layouts/towers.js';
import { factDisagreements, inferArchitecture, inferredFacts, matchVariants } from './architecture.js';
import { readArchitectureFiles, readSideConfig, type SideConfig } from './configFiles.js';
import { checkPeft, looksLikeAdapterConfig, readAdapterConfig, type BaseModel } from './peft.js';
import { checkTransformers, towerByRules, unknownArchitectureFinding, type CheckTensor } from './transformersCheck.js';
import { hfExpectedLayout } from '../layouts/spec/transformers/index.js';
import { buildFindings, problemToFinding, sortFindings } from './findings.js';
import { compareExpected, decide, expectedOf, type Decision } from './generated.js';
import { compareToTarget, defaultTargetSpec, resolveTarget, type Comparison, type ResolvedTarget } from './target.js';
import { addFileRows, buildTowerTree, TreeRows } from './tree.js';
import type { Analysis, ArchitectureInfo, Finding, TargetInfo, TowerStatus, TowerSummary } from './types.js';
import { DEFAULT_VALUE_BUDGET, scanValues } from './values.js';

export interface AnalyzeOptions {
  /** `openclip:ViT-B-16`, `hf:CLIPModel[@CONFIG]`, `timm:vit_base_patch16_clip_224`; default: dual-tower CLIP of the detected size. */
  readonly target?: string;
  /** Folder to look for config.json / open_clip_config.json; default the checkpoint's folder; null = do not read configs. */
  readonly configDir?: string | null;
  /** Value-read budget per file in bytes (default 64 MiB); 0 = header-only analysis. */
  readonly valueBudgetBytes?: number;
  /** transformers: check against this model class instead of config.json's `architectures[0]` (e.g. `BertForSequenceClassification`). */
  readonly modelClass?: string;
  /** PEFT: the base model an adapter is checked against (CLI `--base`); default: a config.json beside the adapter. */
  readonly peftBase?: BaseModel;
}

/**
 * The one analysis entry point the CLI and the editor share. Pure apart from reading side
 * configs and bounded value samples. Returns an error only for a bad `target`.
 */
export async function analyzeCheckpoint(ckpt: Checkpoint, opts: AnalyzeOptions = {}): Promise<Result<Analysis>> {
  // Names stay a plain array aligned with ckpt.tensors (no per-tensor objects or name maps): on
  // 100k-tensor files the analysis should cost little next to parsing the header.
  const tensors = ckpt.tensors;
  const { names, container } = normalizeNameList(tensors);
  const normalizedName = (t: TensorInfo) => normalizeName(t.name, container);
  const strippedPrefix = commonStripped(tensors[0]?.name, names[0]);
  const unreadableNames = ckpt.unreadable.map((u) => stripPrefix(stripWrapperPrefixes(u.name), strippedPrefix));
  const detector = new FamilyDetector();
  // Indexed loops over the 100k-entry arrays, in small functions of the modules below: a cold CLI
  // run executes them mostly before the optimiser kicks in (where each `for…of` step allocates an
  // iterator result), and a small function is optimised sooner than this big one.
  detector.addAll(names);
  detector.addAll(unreadableNames);
  let family = detector.family();
  const towerIds = names.map((n) => towerOf(family, n));
  // An unrecognised layout gets no target unless one is given (defaultTargetSpec), infers nothing
  // (it has no CLIP signature names), so only the value scan reads the view, and only its CLIP
  // towers: leave the rest (for a generic 100k-tensor file, everything) out.
  const onlyTowers = family === 'unknown' && opts.target === undefined;
  const view = canonicalViewOf(names, tensors, family, onlyTowers ? (i) => towerIds[i] !== 'other' : undefined);
  const inferred = inferArchitecture(view);

  let side: SideConfig | null = null;
  const sideProblems = [];
  const archFindings: Finding[] = [];
  let transformers: Analysis['transformers'] = null;
  let peft: Analysis['peft'] = null;
  if (opts.configDir !== null) {
    const dir = opts.configDir ?? dirOf(ckpt.path);
    const r = await readSideConfig(dir);
    side = r.config;
    if (r.problem) sideProblems.push(r.problem);
    if (!side) {
      const files = await readArchitectureFiles(dir);
      sideProblems.push(...files.problems);
      // The adapter file itself (a full model can sit beside an adapter_config.json, as in a merged fine-tune's folder).
      // (Scans the names only when there is an adapter config to use.)
      const isAdapter = () => /(^|[\\/])adapter_model[^\\/]*$/.test(ckpt.path) || tensors.some((t) => t.name.includes('.lora_A') || t.name.includes('.lora_B'));
      if (files.adapterConfig && looksLikeAdapterConfig(files.adapterConfig) && isAdapter()) {
        // A PEFT adapter: checked against its base, not as a model of its own.
        const base = opts.peftBase ?? (files.config ? baseFromConfig(files.config, 'config.json beside the adapter') : null);
        const p = checkPeft(readAdapterConfig(files.adapterConfig), tensors, base);
        peft = p.check;
        archFindings.push(...p.findings);
      } else if (files.config && (typeof files.config.model_type === 'string' || Array.isArray(files.config.architectures))) {
        const c = checkTransformers(checkTensors(ckpt), files.config, { ...(opts.modelClass ? { className: opts.modelClass } : {}), quantizeConfig: files.quantizeConfig });
        if ('check' in c) {
          transformers = c.check;
          archFindings.push(...c.findings);
        } else if (c.error === 'architecture-unknown') {
          const cls = Array.isArray(files.config.architectures) && typeof files.config.architectures[0] === 'string' ? files.config.architectures[0] : null;
          archFindings.push(unknownArchitectureFinding(c.modelType, cls));
        } else {
          archFindings.push({ code: 'arch-spec-error', severity: 'warning', message: `Not checked: config.json does not give what the ${String(files.config.model_type)} layout needs (${c.message}).` });
        }
      }
    }
  }
  // The transformers check (or an adapter / unknown-architecture verdict) replaces the CLIP guesswork for non-CLIP models.
  // A transformers or PEFT check that ran (even with nothing to report) handled the file: not an unrecognised layout.
  const archHandled = archFindings.length > 0 || transformers !== null || peft !== null;

  const unreadableReasons = new Map<string, string>();
  ckpt.unreadable.forEach((u, i) => {
    const n = unreadableNames[i]!;
    unreadableReasons.set(n, u.reason);
    const k = canonicalKeyOf(family, n);
    if (k) unreadableReasons.set(`canonical:${k.canonical}`, u.reason);
  });

  // The generated layouts (every open_clip config, timm's CLIP towers, transformers CLIP / SigLIP)
  // decide first; files the OpenAI-size tables handle exactly stay on that path ('old').
  const sideIn = side ? { file: side.file, kind: side.kind, name: side.name, ...(side.json ? { json: side.json } : {}) } : null;
  // A LLaVA / PaliGemma file holds a CLIP / SigLIP tower: with its config.json naming the VLM, the CLIP layouts do not decide.
  const det: Decision = archHandled ? { kind: 'old' } : decide({ family, names, tensors, side: sideIn, reasons: unreadableReasons });
  const tgt = opts.target !== undefined ? decide({ family, names, tensors, side: sideIn, target: opts.target, reasons: unreadableReasons }) : det;
  if (det.kind === 'error') return err({ code: det.code, message: det.message });
  if (tgt.kind === 'error') return err({ code: tgt.code, message: tgt.message });

  let candidates: string[];
  let exact = true;
  let shapeVariant: string | null = null;
  if (det.kind === 'old') {
    if (det.variant) {
      candidates = det.candidates ?? [det.variant];
      shapeVariant = det.variant;
    } else {
      const m = matchVariants(inferred, family === 'openclip-coca');
      candidates = m.configs.map((c) => c.name);
      exact = m.exact;
      shapeVariant = m.configs.length === 1 ? m.configs[0]!.name : null;
    }
  } else candidates = det.candidates;
  const variant = det.kind === 'old' ? (side?.name ?? shapeVariant) : det.variant;
  const variantSource: ArchitectureInfo['variantSource'] =
    det.kind === 'old' ? (side?.name ? 'config' : shapeVariant ? (exact ? 'shapes' : 'shapes-approximate') : null) : det.variantSource;
  // A timm tower recognised by its fingerprint although its names carry no CLIP signature.
  if (family === 'unknown' && (det.kind === 'new' ? det.target.family : det.kind === 'none' ? det.family : undefined) === 'timm-vit') family = 'timm-vit';
  const architecture: ArchitectureInfo = {
    family,
    variant,
    variantSource,
    candidates,
    inferred,
    config: side ? { file: side.file, kind: side.kind, name: side.name ?? (det.kind === 'new' && det.variantSource === 'config' ? det.variant : null) } : null,
    activation: side?.activation ?? 'unknown',
    activationNote:
      side?.activationNote ??
      'QuickGELU vs GELU is not recorded in the weights. OpenAI, MetaCLIP, DFN and LAION-400M weights were trained with QuickGELU (open_clip `*-quickgelu` configs, timm `*_clip_quickgelu_*` models); most LAION-2B / DataComp weights with GELU.',
    disagreements: side ? factDisagreements(side.facts, inferredFacts(inferred)) : [],
    strippedPrefix,
  };

  // A transformers-looking file (numbered layers) that no layout recognised and no config.json describes: say what would check it.
  const configMissing = !archHandled && !side && family === 'unknown' && det.kind === 'old' && !variant && opts.configDir !== null && opts.target === undefined && looksLikeTransformers(names);
  if (configMissing) {
    archFindings.push({
      code: 'arch-config-missing',
      severity: 'info',
      message:
        'Not checked: this looks like a transformers model (numbered layers), but no config.json is beside it, so its architecture and sizes are unknown. Put the model\'s config.json next to the file (or its index) to check what from_pretrained would newly initialise.',
    });
  }

  // Target
  let target: ResolvedTarget | null = null;
  let defaulted = false;
  let cmp: Comparison | null = null;
  if (tgt.kind === 'new') {
    target = tgt.target;
    defaulted = opts.target === undefined;
    cmp = compareExpected(names, tensors, expectedOf(tgt), unreadableReasons);
  } else if (tgt.kind === 'old') {
    // transformers' config.json names the class the file was saved from (CLIPVisionModelWithProjection …): check against it.
    const byClass = !opts.target && det.kind === 'old' && variant && side?.kind === 'transformers' && side.modelClass && family === 'hf-clip' ? resolveTarget(`hf:${side.modelClass}@${variant}`, variant, family) : null;
    const spec = opts.target ?? (det.kind === 'old' && variant && !archHandled ? defaultTargetSpec(family, variant) : null);
    if (byClass?.ok) {
      target = byClass.value;
      defaulted = true;
    } else if (spec) {
      const r = resolveTarget(spec, det.kind === 'old' ? variant : null, family);
      if (!r.ok) {
        if (opts.target) return r;
      } else target = r.value;
      defaulted = opts.target === undefined;
    }
    cmp = target ? compareToTarget(view, target, family, unreadableReasons, normalizedName) : null;
  }

  // Generated layouts know each tensor's tower (a timm trunk's head is the projection, an HF text tower is text).
  const towerMap = cmp?.towerOf;
  if (towerMap) for (let i = 0; i < tensors.length; i++) towerIds[i] = towerMap.get(tensors[i]!) ?? towerIds[i]!;

  // transformers architectures: towers from the spec's parts, missing / extra / misshaped tensors from the check.
  const tr = transformers;
  if (tr && !cmp) for (let i = 0; i < tensors.length; i++) towerIds[i] = towerByRules(tr.towerRules, stripWrapperPrefixes(tensors[i]!.name));
  const hfMissing = tr && !cmp ? tr.missing.filter((m) => m.role === 'weight').map((m) => ({ name: m.name, shape: m.shape, tower: m.tower })) : [];
  // Towers and trees
  const rows = new Map<TowerId, TreeRows>(TOWER_IDS.map((t) => [t, new TreeRows()]));
  const mismatchByFile = new Map<string, number[]>();
  for (const m of cmp?.mismatched ?? []) for (const f of m.files) mismatchByFile.set(f, m.expected);
  addFileRows(rows, towerIds, names, tensors, mismatchByFile);
  for (const m of cmp?.missing ?? hfMissing) rows.get(m.tower)!.add(m.name, null, m.shape, 0, 0, true);

  const expectedByTower = new Map<TowerId, number>();
  for (const s of target?.specs ?? []) expectedByTower.set(s.tower, (expectedByTower.get(s.tower) ?? 0) + 1);
  if (tr && !target) for (const [k, v] of Object.entries(tr.expectedByTower)) expectedByTower.set(k as TowerId, v);
  const missingIn = (id: TowerId) => (cmp ? cmp.missing.filter((m) => m.tower === id).length : hfMissing.filter((m) => m.tower === id).length);
  const towers: TowerSummary[] = [];
  for (const id of TOWER_IDS) {
    const list = rows.get(id)!;
    const { present, parameters, bytes } = list.totals();
    const expected = expectedByTower.get(id) ?? 0;
    if (!present && !expected) continue;
    const missing = missingIn(id);
    const mismatched = cmp?.mismatched.filter((m) => m.tower === id).length ?? 0;
    let status: TowerStatus;
    if (!target && !tr) status = 'unchecked';
    else if (!expected) status = 'not-expected';
    else if (missing === expected) status = 'absent';
    else status = missing || mismatched ? 'incomplete' : 'complete';
    towers.push({
      id,
      status,
      tensors: present,
      parameters,
      bytes,
      expected,
      missing,
      mismatched,
      tree: buildTowerTree(id, list),
    });
  }

  const values = await scanValues(view, opts.valueBudgetBytes ?? DEFAULT_VALUE_BUDGET);
  const targetInfo: TargetInfo | null = target ? { id: target.id, family: target.family, variant: target.variant, model: target.model, defaulted, expectedTensors: target.specs.length } : null;
  // Index only (no shard on disk): one finding instead of an error per absent shard.
  const absentShards = ckpt.problems.filter((p) => p.code === 'shard-missing');
  const indexOnly = tensors.length === 0 && absentShards.length > 0 ? { shards: absentShards.length, tensors: ckpt.unreadable.length } : null;
  if (indexOnly) {
    archFindings.push({
      code: 'index-only',
      severity: 'info',
      message: `Index only: none of the ${plural(indexOnly.shards, 'shard file')} the weight_map names is on disk (${absentShards
        .slice(0, 2)
        .map((p) => p.file ?? '?')
        .join(', ')}${indexOnly.shards > 2 ? ', …' : ''}). The ${indexOnly.tensors} tensor names were checked by name only; download the shards for a full check.`,
    });
  }
  const generic = buildFindings({ architecture, target, cmp, towers, candidates, sideProblems }).filter(
    (f) => (!archHandled || !['family-unknown', 'variant-unknown', 'variant-approximate', 'classifier-head'].includes(f.code)) && !(configMissing && f.code === 'family-unknown'),
  );
  const findings = sortFindings([
    // The generated-layout decision words its own "which model" notes (variant-unknown / variant-like).
    ...(det.kind === 'none' ? [...generic.filter((f) => f.code !== 'variant-unknown' && f.code !== 'variant-approximate'), ...(target ? [] : det.findings)] : generic),
    ...archFindings,
    ...values.findings,
    ...(indexOnly ? ckpt.problems.filter((p) => p.code !== 'shard-missing') : ckpt.problems).map(problemToFinding),
  ]);
  return ok({
    schemaVersion: 1,
    architecture,
    towers,
    target: targetInfo,
    missing: cmp?.missing ?? hfMissing,
    unexpected: cmp?.unexpected ?? hfUnexpected(ckpt, tr),
    mismatched: cmp?.mismatched ?? (tr?.mismatched ?? []).map((m) => ({ name: m.name, files: [m.name], expected: m.expected, found: m.found, tower: towerByRules(tr!.towerRules, m.name) })),
    findings,
    values: values.scan,
    transformers,
    peft,
    indexOnly,
  });
}

/** Numbered transformer blocks (`model.layers.3.`, `encoder.layer.0.`, `transformer.h.11.`): a quick look at up to 2,000 names. */
function looksLikeTransformers(names: readonly string[]): boolean {
  const re = /(^|\.)(layers|layer|h|block|blocks)\.\d+\./;
  for (let i = 0; i < names.length && i < 2000; i++) if (re.test(names[i]!)) return true;
  return false;
}

/** Tensors the transformers check found no place for (not legacy buffers, not quantization side tensors). */
function hfUnexpected(ckpt: Checkpoint, tr: Analysis['transformers']): Analysis['unexpected'] {
  if (!tr) return [];
  const names = new Set(tr.unexpected.filter((u) => u.reason !== 'legacy-buffer').map((u) => u.name));
  return ckpt.tensors.filter((t) => names.has(stripWrapperPrefixes(t.name))).map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, tower: 'other' as const }));
}

/** The file's tensors for the transformers check; tensors of absent shards are known by name only. */
function checkTensors(ckpt: Checkpoint): CheckTensor[] {
  const out: CheckTensor[] = [];
  for (const t of ckpt.tensors) out.push({ name: t.name, dtype: t.dtype, shape: t.shape, elements: t.elementCount });
  for (const u of ckpt.unreadable) out.push({ name: u.name, dtype: null, shape: u.shape ?? null, elements: u.shape ? u.shape.reduce((a, b) => a * b, 1) : 0 });
  return out;
}

/** A base model described by its config.json: the tensors the spec says it has. */
export function baseFromConfig(config: Record<string, unknown>, source: string): BaseModel | null {
  const r = hfExpectedLayout(config);
  if (!r.ok) return null;
  return { source: `${source} (${r.value.className})`, shapes: new Map(r.value.tensors.map((t) => [t.name, t.shape])) };
}

function commonStripped(original: string | undefined, normalized: string | undefined): string | null {
  if (original === undefined || normalized === undefined || original === normalized) return null;
  return original.endsWith(normalized) ? original.slice(0, original.length - normalized.length) : null;
}

function stripPrefix(name: string, prefix: string | null): string {
  if (!prefix) return name;
  const p = stripWrapperPrefixes(prefix);
  return p && name.startsWith(p) ? stripWrapperPrefixes(name.slice(p.length)) : name;
}

/**
 * The tower of one file tensor, for views that list the file's tensors (the analysis JSON keeps
 * towers as collapsed trees, not a 100k-entry name map).
 */
export function tensorTower(analysis: Pick<Analysis, 'architecture' | 'transformers'>, fileTensorName: string): TowerId {
  if (analysis.transformers) return towerByRules(analysis.transformers.towerRules, stripWrapperPrefixes(fileTensorName));
  const name = stripPrefix(stripWrapperPrefixes(fileTensorName), analysis.architecture.strippedPrefix);
  return towerOf(analysis.architecture.family, name);
}
