import { dirname } from 'node:path';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { ok, type Result } from '../core/result.js';
import { canonicalKeyOf, detectFamilyFromNames, normalizeNames, stripWrapperPrefixes, toCanonicalNormalized } from '../layouts/canonical.js';
import { TOWER_IDS, type TowerId } from '../layouts/canonicalLayout.js';
import { towerOf } from '../layouts/towers.js';
import { factDisagreements, inferArchitecture, inferredFacts, matchVariants } from './architecture.js';
import { readSideConfig, type SideConfig } from './configFiles.js';
import { buildFindings, problemToFinding, sortFindings } from './findings.js';
import { compareToTarget, defaultTargetSpec, resolveTarget, type Comparison, type ResolvedTarget } from './target.js';
import { buildTowerTree, type TreeItem } from './tree.js';
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
  const norm = normalizeNames(ckpt.tensors);
  const normName = new Map<TensorInfo, string>(norm.map((x) => [x.tensor, x.name]));
  const normalizedName = (t: TensorInfo) => normName.get(t) ?? t.name;
  const strippedPrefix = commonStripped(ckpt.tensors[0]?.name, norm[0]?.name);
  const unreadableNames = ckpt.unreadable.map((u) => stripPrefix(stripWrapperPrefixes(u.name), strippedPrefix));
  const family = detectFamilyFromNames([...norm.map((x) => x.name), ...unreadableNames]);
  const view = toCanonicalNormalized(norm, family);
  const inferred = inferArchitecture(view);
  const { configs: candidates, exact } = matchVariants(inferred, family === 'openclip-coca');

  let side: SideConfig | null = null;
  const sideProblems = [];
  if (opts.configDir !== null) {
    const r = await readSideConfig(opts.configDir ?? dirname(ckpt.path));
    side = r.config;
    if (r.problem) sideProblems.push(r.problem);
  }
  const shapeVariant = candidates.length === 1 ? candidates[0]!.name : null;
  const variant = side?.name ?? shapeVariant;
  const architecture: ArchitectureInfo = {
    family,
    variant,
    variantSource: side?.name ? 'config' : shapeVariant ? (exact ? 'shapes' : 'shapes-approximate') : null,
    candidates: candidates.map((c) => c.name),
    inferred,
    config: side ? { file: side.file, kind: side.kind, name: side.name } : null,
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
  const spec = opts.target ?? (variant ? defaultTargetSpec(family, variant) : null);
  if (spec) {
    const r = resolveTarget(spec, variant, family);
    if (!r.ok) {
      if (opts.target) return r;
    } else target = r.value;
    defaulted = opts.target === undefined;
  }

  const unreadableReasons = new Map<string, string>();
  ckpt.unreadable.forEach((u, i) => {
    const n = unreadableNames[i]!;
    unreadableReasons.set(n, u.reason);
    const k = canonicalKeyOf(family, n);
    if (k) unreadableReasons.set(`canonical:${k.canonical}`, u.reason);
  });
  const cmp: Comparison | null = target ? compareToTarget(view, target, family, unreadableReasons, normalizedName) : null;

  // Towers and trees
  const items = new Map<TowerId, TreeItem[]>(TOWER_IDS.map((t) => [t, []]));
  const mismatchByFile = new Map<string, number[]>();
  for (const m of cmp?.mismatched ?? []) for (const f of m.files) mismatchByFile.set(f, m.expected);
  for (const { name, tensor } of norm) {
    const exp = mismatchByFile.get(tensor.name);
    items.get(towerOf(family, name))!.push({ name, dtype: tensor.dtype, shape: [...tensor.shape], parameters: tensor.elementCount, bytes: tensor.byteLength, missing: false, ...(exp ? { expectedShape: exp } : {}) });
  }
  for (const m of cmp?.missing ?? []) items.get(m.tower)!.push({ name: m.name, dtype: null, shape: m.shape, parameters: 0, bytes: 0, missing: true });

  const expectedByTower = new Map<TowerId, number>();
  for (const s of target?.specs ?? []) expectedByTower.set(s.tower, (expectedByTower.get(s.tower) ?? 0) + 1);
  const towers: TowerSummary[] = [];
  for (const id of TOWER_IDS) {
    const list = items.get(id)!;
    const present = list.filter((x) => !x.missing);
    const expected = expectedByTower.get(id) ?? 0;
    if (!present.length && !expected) continue;
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
      tensors: present.length,
      parameters: present.reduce((a, x) => a + x.parameters, 0),
      bytes: present.reduce((a, x) => a + x.bytes, 0),
      expected,
      missing,
      mismatched,
      tree: buildTowerTree(id, list),
    });
  }

  const values = await scanValues(view, opts.valueBudgetBytes ?? DEFAULT_VALUE_BUDGET);
  const targetInfo: TargetInfo | null = target ? { id: target.id, family: target.family, variant: target.config.name, model: target.model, defaulted, expectedTensors: target.specs.length } : null;
  const findings = sortFindings([
    ...buildFindings({ architecture, target, cmp, towers, candidates: candidates.map((c) => c.name), sideProblems }),
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
