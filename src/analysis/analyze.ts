import { dirname } from 'node:path';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { err, ok, type Result } from '../core/result.js';
import { canonicalKeyOf, canonicalViewOf, FamilyDetector, normalizeName, normalizeNameList, stripWrapperPrefixes } from '../layouts/canonical.js';
import { TOWER_IDS, type TowerId } from '../layouts/canonicalLayout.js';
import { towerOf } from '../layouts/towers.js';
import { factDisagreements, inferArchitecture, inferredFacts, matchVariants } from './architecture.js';
import { readSideConfig, type SideConfig } from './configFiles.js';
import { buildFindings, problemToFinding, sortFindings } from './findings.js';
import { compareExpected, decide, expectedOf } from './generated.js';
import { compareToTarget, defaultTargetSpec, resolveTarget, type Comparison, type ResolvedTarget } from './target.js';
import { buildTowerTree, TreeRows } from './tree.js';
import type { Analysis, ArchitectureInfo, TargetInfo, TowerStatus, TowerSummary } from './types.js';
import { DEFAULT_VALUE_BUDGET, scanValues } from './values.js';

export interface AnalyzeOptions {
  /** `openclip:ViT-B-16`, `hf:CLIPModel[@CONFIG]`, `timm:vit_base_patch16_clip_224`; default: dual-tower CLIP of the detected size. */
  readonly target?: string;
  /** Folder to look for config.json / open_clip_config.json; default the checkpoint's folder; null = do not read configs. */
  readonly configDir?: string | null;
  /** Value-read budget per file in bytes (default 64 MiB); 0 = header-only analysis. */
  readonly valueBudgetBytes?: number;
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
  // Indexed loops over the 100k-entry arrays here and in the modules below: a cold CLI run executes
  // them mostly before the optimiser kicks in, where each `for…of` step allocates an iterator result.
  for (let i = 0; i < names.length; i++) detector.add(names[i]!, 0);
  for (const n of unreadableNames) detector.add(n, 0);
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
  if (opts.configDir !== null) {
    const r = await readSideConfig(opts.configDir ?? dirname(ckpt.path));
    side = r.config;
    if (r.problem) sideProblems.push(r.problem);
  }

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
  const det = decide({ family, names, tensors, side: sideIn, reasons: unreadableReasons });
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
  if (family === 'unknown' && det.kind === 'new' && det.target.family === 'timm-vit') family = 'timm-vit';
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
    const spec = opts.target ?? (det.kind === 'old' && variant ? defaultTargetSpec(family, variant) : null);
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

  // Towers and trees
  const rows = new Map<TowerId, TreeRows>(TOWER_IDS.map((t) => [t, new TreeRows()]));
  const mismatchByFile = new Map<string, number[]>();
  for (const m of cmp?.mismatched ?? []) for (const f of m.files) mismatchByFile.set(f, m.expected);
  for (let i = 0; i < tensors.length; i++) {
    const tensor = tensors[i]!;
    const exp = mismatchByFile.size ? mismatchByFile.get(tensor.name) : undefined;
    rows.get(towerIds[i]!)!.add(names[i]!, tensor.dtype, tensor.shape, tensor.elementCount, tensor.byteLength, false, exp);
  }
  for (const m of cmp?.missing ?? []) rows.get(m.tower)!.add(m.name, null, m.shape, 0, 0, true);

  const expectedByTower = new Map<TowerId, number>();
  for (const s of target?.specs ?? []) expectedByTower.set(s.tower, (expectedByTower.get(s.tower) ?? 0) + 1);
  const towers: TowerSummary[] = [];
  for (const id of TOWER_IDS) {
    const list = rows.get(id)!;
    let present = 0;
    let parameters = 0;
    let bytes = 0;
    for (let k = 0; k < list.length; k++) {
      if (list.missing[k]) continue;
      present++;
      parameters += list.parameters[k]!;
      bytes += list.bytes[k]!;
    }
    const expected = expectedByTower.get(id) ?? 0;
    if (!present && !expected) continue;
    const missing = cmp?.missing.filter((m) => m.tower === id).length ?? 0;
    const mismatched = cmp?.mismatched.filter((m) => m.tower === id).length ?? 0;
    let status: TowerStatus;
    if (!target) status = 'unchecked';
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
  const generic = buildFindings({ architecture, target, cmp, towers, candidates, sideProblems });
  const findings = sortFindings([
    // The generated-layout decision words its own "which model" notes (variant-unknown / variant-like).
    ...(det.kind === 'none' ? [...generic.filter((f) => f.code !== 'variant-unknown' && f.code !== 'variant-approximate'), ...(target ? [] : det.findings)] : generic),
    ...values.findings,
    ...ckpt.problems.map(problemToFinding),
  ]);
  return ok({
    schemaVersion: 1,
    architecture,
    towers,
    target: targetInfo,
    missing: cmp?.missing ?? [],
    unexpected: cmp?.unexpected ?? [],
    mismatched: cmp?.mismatched ?? [],
    findings,
    values: values.scan,
  });
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
export function tensorTower(analysis: Pick<Analysis, 'architecture'>, fileTensorName: string): TowerId {
  const name = stripPrefix(stripWrapperPrefixes(fileTensorName), analysis.architecture.strippedPrefix);
  return towerOf(analysis.architecture.family, name);
}
