/**
 * Adapter from the analysis engine (src/analysis, shared with the CLI) to the editor's overlay:
 * which tower each file tensor belongs to, ghost rows for the missing ones, marks for unexpected
 * and mis-shaped ones, and the findings. The tree itself is rebuilt from full names so every
 * tensor (not only the first of N collapsed blocks) can be selected and inspected.
 */
import { analyzeCheckpoint, tensorTower } from '../analysis/analyze.js';
import type { Analysis } from '../analysis/types.js';
import type { Checkpoint } from '../core/checkpoint.js';
import { MAX_EVIDENCE, MAX_FINDING_TENSORS, type Finding, type RowMark, type TowerStatus } from '../shared/protocol.js';
import { PROBE_NEEDS_CLIP, type AnalysisOverlay } from './viewModel.js';
import type { OpenOptions } from './workerProtocol.js';
import { AUTO_TARGET } from './targets.js';
import { forEditor } from './editorWording.js';

const FAMILY_LABEL: Record<string, string> = {
  'openai-clip': 'OpenAI / open_clip CLIP',
  'openclip-custom-text': 'open_clip CustomTextCLIP',
  'openclip-timm': 'open_clip (timm trunk)',
  'openclip-coca': 'open_clip CoCa',
  'hf-clip': 'transformers CLIP',
  'hf-siglip': 'transformers SigLIP',
  'timm-vit': 'timm ViT',
};

const TOWER_LABEL: Record<string, string> = {
  vision: 'vision tower',
  text: 'text tower',
  projection: 'projections',
  decoder: 'text decoder',
  audio: 'audio tower',
  other: 'other',
};

export type OverlayOutcome = { ok: true; overlay: AnalysisOverlay | null } | { ok: false; code: string; message: string };

export async function analysisOverlay(ckpt: Checkpoint, options: OpenOptions): Promise<OverlayOutcome> {
  const r = await analyzeCheckpoint(ckpt, { ...(options.target !== AUTO_TARGET ? { target: options.target } : {}), valueBudgetBytes: options.valueCheckBudgetBytes });
  if (!r.ok) return { ok: false, code: r.error.code, message: r.error.message };
  return { ok: true, overlay: overlayFromAnalysis(r.value, ckpt.tensors.map((t) => t.name).concat(ckpt.unreadable.map((u) => u.name)), inMissingShards(ckpt)) };
}

/** Tensors the index names whose shard is not on disk: "in the index, shard missing", never "absent". */
export interface MissingShards {
  readonly shards: readonly string[];
  readonly tensors: ReadonlySet<string>;
}

export function inMissingShards(ckpt: Pick<Checkpoint, 'problems' | 'unreadable'>): MissingShards {
  const shards = [...new Set(ckpt.problems.filter((p) => p.code === 'shard-missing' && p.file).map((p) => p.file!))];
  const set = new Set(shards);
  return { shards, tensors: new Set(ckpt.unreadable.filter((u) => !!u.shard && set.has(u.shard)).map((u) => u.name)) };
}

/**
 * The analysis reads a tensor of a missing shard as absent from the file ("the text encoder is not
 * in the file"). For a finding about such tensors only, the editor says what is true: they are in
 * the index and their shard is missing (downloading it fixes the finding).
 */
export function shardMissingWording(f: Finding, missing: MissingShards): Finding {
  if (!missing.tensors.size || f.code === 'shard-missing') return f;
  const shards = missing.shards.length === 1 ? `${missing.shards[0]!} is` : `${missing.shards.join(', ')} are`;
  if (f.tensors?.length && f.tensors.every((n) => missing.tensors.has(n))) {
    // About tensors of the missing shard only: they are in the index, not absent.
    return { ...f, message: `Shard missing (${shards} not on disk): ${reword(f.message, 'in the index but not on disk (shard missing)', 'its shard is not on disk')}` };
  }
  if (!f.tensors?.length && /-missing$/.test(f.code)) {
    // Without the tensor list (no target picked): the analysis saw only the shards on disk.
    return { ...f, message: `Checked without ${shards.replace(/ (is|are)$/, '')} (not on disk; the index names ${missing.tensors.size} more tensor${missing.tensors.size === 1 ? '' : 's'} there): ${reword(f.message, 'not in the shards on disk', 'the shards on disk have none of it')}` };
  }
  return f;
}

/** One pass over the analysis' "absent" phrases (a replaced phrase is never matched again). */
function reword(message: string, notHere: string, noneOfIt: string): string {
  return message.replace(/\b(?:(is|are) not in the file|the file has none of it|(is|are) missing|absent from the file|randomly initialise)\b/g, (m, v1?: string, v2?: string) => {
    const verb = v1 ?? v2;
    if (verb) return `${verb} ${notHere}`;
    if (m === 'the file has none of it') return noneOfIt;
    if (m === 'randomly initialise') return 'randomly initialise (until the shard is downloaded)';
    return notHere;
  });
}

export function findingFromAnalysis(f: Analysis['findings'][number]): Finding {
  return {
    code: f.code,
    severity: f.severity,
    message: forEditor(f.message),
    ...(f.tensors?.length ? { tensors: f.tensors.slice(0, MAX_FINDING_TENSORS), tensorCount: f.tensorCount ?? f.tensors.length } : {}),
    ...(f.evidence?.length ? { evidence: f.evidence.slice(0, MAX_EVIDENCE) } : {}),
  };
}

export function overlayFromAnalysis(a: Analysis, fileNames: readonly string[], missingShards: MissingShards = { shards: [], tensors: new Set() }): AnalysisOverlay {
  const byTower = new Map<string, string[]>();
  for (const name of fileNames) {
    const tw = tensorTower(a, name);
    let list = byTower.get(tw);
    if (!list) byTower.set(tw, (list = []));
    list.push(name);
  }
  const marks = new Map<string, { mark: RowMark; note: string; expectedShape?: readonly number[] }>();
  for (const u of a.unexpected) marks.set(u.name, { mark: 'unexpected', note: `The target ${a.target?.id ?? ''} has no such tensor: it would be ignored (or fail a strict load).`.replace('  ', ' ') });
  for (const m of a.mismatched) {
    for (const f of m.files) marks.set(f, { mark: 'misshaped', note: `expected [${m.expected.join(', ')}], found [${m.found.join(', ')}]${m.hint ? ` (${m.hint})` : ''}`, expectedShape: m.expected });
  }
  // Tensors the value check found all zeros (where sampled): marked in rows and details.
  for (const f of a.findings) {
    if (f.code !== 'zero-weights' && f.code !== 'projection-zero') continue;
    for (const n of f.tensors ?? []) if (!marks.has(n)) marks.set(n, { mark: 'zero', note: 'all values are zero where sampled: a trained weight never is (placeholder, truncated or sparse file)' });
  }
  for (const g of a.missing) marks.set(g.name, { mark: 'missing', note: g.reason ?? 'expected by the target, absent from the file: would be randomly initialised' });
  // A tower whose missing tensors all sit in a missing shard is not absent: its shard is missing.
  const onlyShardMissing = (id: string) => {
    const gone = a.missing.filter((g) => g.tower === id);
    return gone.length > 0 && gone.every((g) => missingShards.tensors.has(g.name));
  };
  const towers = a.towers
    .filter((t) => (byTower.get(t.id)?.length ?? 0) > 0 || t.missing > 0)
    .map((t) => ({
      name: TOWER_LABEL[t.id] ?? t.id,
      status: ((t.status === 'absent' || t.status === 'incomplete') && onlyShardMissing(t.id) ? 'shard-missing' : t.status) as TowerStatus,
      tensors: byTower.get(t.id) ?? [],
      missing: a.missing.filter((g) => g.tower === t.id).map((g) => ({ name: g.name, dtype: '', shape: g.shape })),
    }));
  // Only an "other" group (not a CLIP layout): the plain name tree reads better than one synthetic root.
  if (towers.every((t) => t.name === TOWER_LABEL.other)) towers.length = 0;
  const tf = a.transformers ?? null;
  // A transformers architecture from config.json (or a PEFT adapter checked against its base) is a check too.
  const family = tf ? `transformers ${tf.modelType}` : a.architecture.family === 'unknown' ? null : (FAMILY_LABEL[a.architecture.family] ?? a.architecture.family);
  const unknown = a.architecture.family === 'unknown';
  const notChecked =
    a.target || tf || a.peft?.base?.checked
      ? undefined
      : a.peft
        ? 'a PEFT adapter without its base model (no config.json beside it): its keys were not checked against the base'
        : unknown
          ? 'not a recognised CLIP layout and no config.json naming a known architecture, so there is no expected layout to check this file against'
          : 'no load target could be chosen for this file, so its completeness was not checked';
  return {
    family,
    // "like X" is a resemblance, not a fact (docs/clip-family.md): never shown as if the file were X.
    variant: tf ? tf.className : a.architecture.variantSource === 'shapes-approximate' && a.architecture.variant && !a.target ? `like ${a.architecture.variant} (not checked)` : a.architecture.variant,
    ...(notChecked ? { notChecked } : {}),
    ...(unknown ? { probeUnavailable: PROBE_NEEDS_CLIP } : {}),
    target: a.target ? a.target.id : null,
    findings: a.findings.map((f) => shardMissingWording(findingFromAnalysis(f), missingShards)),
    findingsIncludeIntegrity: true,
    towers,
    marks,
  };
}
