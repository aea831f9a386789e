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
  return { ok: true, overlay: overlayFromAnalysis(r.value, ckpt.tensors.map((t) => t.name).concat(ckpt.unreadable.map((u) => u.name))) };
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

export function overlayFromAnalysis(a: Analysis, fileNames: readonly string[]): AnalysisOverlay {
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
  const towers = a.towers
    .filter((t) => (byTower.get(t.id)?.length ?? 0) > 0 || t.missing > 0)
    .map((t) => ({
      name: TOWER_LABEL[t.id] ?? t.id,
      status: t.status as TowerStatus,
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
    findings: a.findings.map(findingFromAnalysis),
    findingsIncludeIntegrity: true,
    towers,
    marks,
  };
}
