import { plural } from '../shared/text.js';
import type { Problem } from '../core/problems.js';
import type { TowerId } from '../layouts/canonicalLayout.js';
import type { Comparison, ResolvedTarget } from './target.js';
import type { ArchitectureInfo, Finding, TowerSummary } from './types.js';

/**
 * Findings from the layout check, with stable codes and messages that name the consequence.
 * Codes (never rename): text-tower-missing, vision-tower-missing, audio-tower-missing (CLAP), decoder-missing,
 * projection-missing, logit-scale-missing, tensors-missing, unexpected-tensors, shape-mismatch,
 * variant-unknown, variant-approximate, family-unknown, classifier-head, config-disagreement, config-unreadable, logit-bias-missing;
 * generated.ts adds variant-like (and the tower / projection / logit codes above when every candidate agrees); values.ts adds
 * random-init-suspected, untrained-logit-scale, zero-weights, projection-zero.
 */
const LIST_CAP = 100;
const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function sortFindings(f: Finding[]): Finding[] {
  return f.map((x, i) => ({ x, i })).sort((a, b) => SEVERITY_ORDER[a.x.severity] - SEVERITY_ORDER[b.x.severity] || a.i - b.i).map(({ x }) => x);
}

export function problemToFinding(p: Problem): Finding {
  return { code: p.code, severity: p.severity, message: p.message, ...(p.tensors ? { tensors: [...p.tensors].slice(0, LIST_CAP), tensorCount: p.tensors.length } : {}), ...(p.file ? { file: p.file } : {}) };
}

const names = (list: readonly { name: string }[]) => ({ tensors: list.slice(0, LIST_CAP).map((x) => x.name), tensorCount: list.length });

/**
 * Groups names like `transformer.resblocks.5.attn.in_proj_weight` into "transformer.resblocks.5" for
 * messages: the first four groups (first-seen order) with their sizes, and "…" when there are more.
 * (Exported for tests.)
 */
export function where(list: readonly { name: string }[]): string {
  // Only those four groups are counted, so once they are known a name is only tested against them
  // (`inGroup`, exact) and its own group is never computed: lists run to 100k names.
  const keys: string[] = [];
  const blockLike: boolean[] = [];
  const counts: number[] = [];
  let more = false;
  let last = -1;
  next: for (let i = 0; i < list.length; i++) {
    const name = list[i]!.name;
    // Lists come in file order, so names run in groups: the last group first.
    if (last >= 0 && inGroup(name, keys[last]!, blockLike[last]!)) {
      counts[last]!++;
      continue;
    }
    for (let g = 0; g < keys.length; g++) {
      if (g !== last && inGroup(name, keys[g]!, blockLike[g]!)) {
        counts[g]!++;
        last = g;
        continue next;
      }
    }
    if (keys.length === 4) {
      more = true;
      continue;
    }
    const end = blockPathEnd(name);
    const k = end < 0 ? name : name.slice(0, end);
    keys.push(k);
    blockLike.push(blockPathEnd(`${k}.`) === k.length);
    counts.push(1);
    last = keys.length - 1;
  }
  return keys.map((k, g) => (counts[g]! > 1 ? `${k} (${counts[g]})` : k)).join(', ') + (more ? ', …' : '');
}

/**
 * Whether `name`'s group (its `blockPathEnd` prefix, else the whole name) is `key`: the name itself,
 * or, when `key` ends like a block path (`blockLike`: `blockPathEnd(key + '.')` is its length), a
 * name continuing it with `.` (the scan then ends at the same place, all within `key.`).
 */
function inGroup(name: string, key: string, blockLike: boolean): boolean {
  return name === key || (blockLike && name.length > key.length && name.charCodeAt(key.length) === 46 && name.startsWith(key));
}

/**
 * End of the shortest prefix `….N` followed by `.` (what `/^(.*?\.\d+)\./` captures), or -1, as a
 * scan: the lazy regex backtracks per name, and this runs over every unexpected tensor (100k).
 * Like the regex's `.`, the prefix cannot cross a line terminator.
 */
function blockPathEnd(name: string): number {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c === 10 || c === 13 || c === 0x2028 || c === 0x2029) return -1;
    if (c !== 46) continue;
    let j = i + 1;
    while (j < name.length && name.charCodeAt(j) >= 48 && name.charCodeAt(j) <= 57) j++;
    if (j > i + 1 && j < name.length && name.charCodeAt(j) === 46) return j;
  }
  return -1;
}

export function buildFindings(a: {
  architecture: ArchitectureInfo;
  target: ResolvedTarget | null;
  cmp: Comparison | null;
  towers: TowerSummary[];
  candidates: string[];
  sideProblems: { code: string; message: string; file: string }[];
}): Finding[] {
  const out: Finding[] = [];
  const { architecture: arch, target, cmp } = a;
  for (const p of a.sideProblems) out.push({ code: p.code, severity: 'warning', message: p.message, file: p.file });
  if (arch.family === 'unknown' && !target?.generated && a.candidates.length === 0) {
    out.push({ code: 'family-unknown', severity: 'info', message: 'Not a recognised CLIP layout: shown as a generic tree, with no completeness check.' });
  } else if (!arch.variant && !a.target) {
    out.push({
      code: 'variant-unknown',
      severity: 'info',
      message: a.candidates.length
        ? `The shapes fit several configurations (${a.candidates.join(', ')}); the completeness check needs --target to pick one.`
        : 'The shapes match no known configuration; the completeness check needs --target (e.g. --target openclip:ViT-B-16).',
    });
  }
  const e = arch.inferred.embedDim;
  if (arch.family === 'timm-vit' && (e === 1000 || e === 11821)) {
    out.push({
      code: 'classifier-head',
      severity: 'warning',
      message: `head.weight has ${e} rows: this is an ImageNet${e === 11821 ? '-12k' : ''} classifier head, not a CLIP image projection, so the file is a fine-tuned classifier and CLIP zero-shot does not apply to it.`,
      tower: 'projection',
    });
  }
  if (arch.variantSource === 'shapes-approximate') {
    out.push({ code: 'variant-approximate', severity: 'info', message: `No configuration matches every shape; the closest is ${arch.variant} (same widths, patch and image size), and the check below says where the file differs from it.` });
  }
  for (const d of arch.disagreements) {
    out.push({
      code: 'config-disagreement',
      severity: 'warning',
      message: `${arch.config?.file ?? 'The config'} says ${d.field} = ${d.config} but the tensor shapes say ${d.shapes}: a model built from the config would not load these weights.`,
    });
  }
  if (!target || !cmp) return out;

  const canonicalOf = new Map(target.specs.map((s) => [s.name, s.canonical]));
  // Generated layouts (src/layouts/spec) name the part each tensor belongs to; the OpenAI-size tables are matched by canonical name.
  const partOf = new Map(target.specs.map((s) => [s.name, s.partId]));
  const isPart = (m: { name: string }, part: string) => partOf.get(m.name) === part;
  const whole = new Set<TowerId>();
  const model = `${target.model} (${target.variant})`;
  const random = cmp.missing.length;
  const projOf = (canonical: RegExp) => cmp.missing.filter((m) => canonical.test(canonicalOf.get(m.name) ?? ''));
  for (const t of a.towers) {
    if (t.status !== 'absent') continue;
    const list = cmp.missing.filter((m) => m.tower === t.id);
    const total = `${random} of its ${target.specs.length} tensors would be random in all.`;
    if (t.id === 'text') {
      whole.add('text');
      const proj = target.generated ? cmp.missing.filter((m) => isPart(m, 'text.proj')) : projOf(/^text_projection$/);
      out.push({
        code: 'text-tower-missing',
        severity: 'error',
        message: `Zero-shot will be at chance: the text encoder is not in the file, so loading into ${model} would randomly initialise its ${list.length} tensors${proj.length ? ' and the text projection' : ''}; ${total}`,
        tower: 'text',
        ...names([...list, ...proj]),
      });
    } else if (t.id === 'vision') {
      whole.add('vision');
      const proj = target.generated ? cmp.missing.filter((m) => isPart(m, 'vision.proj')) : projOf(/^(visual\.proj$|visual\.attnpool\.c_proj\.)/);
      out.push({
        code: 'vision-tower-missing',
        severity: 'error',
        message: `Image features would be noise: the image encoder is not in the file, so loading into ${model} would randomly initialise its ${list.length} tensors${proj.length ? ' and the image projection' : ''}; zero-shot and retrieval would be at chance. ${total}`,
        tower: 'vision',
        ...names([...list, ...proj]),
      });
    } else if (t.id === 'audio') {
      // CLAP: the audio encoder in place of the image encoder
      whole.add('audio');
      const proj = target.generated ? cmp.missing.filter((m) => isPart(m, 'audio.proj')) : [];
      out.push({
        code: 'audio-tower-missing',
        severity: 'error',
        message: `Audio embeddings would be noise: the audio encoder is not in the file, so loading into ${model} would randomly initialise its ${list.length} tensors${proj.length ? ' and the audio projection' : ''}; zero-shot audio classification and retrieval would be at chance. ${total}`,
        tower: 'audio',
        ...names([...list, ...proj]),
      });
    } else if (t.id === 'decoder') {
      whole.add('decoder');
      out.push({ code: 'decoder-missing', severity: 'error', message: `Captioning would produce noise: the multimodal text decoder is not in the file (${list.length} tensors would be randomly initialised).`, tower: 'decoder', ...names(list) });
    }
  }
  const handled = new Set<string>();
  for (const m of cmp.missing) if (whole.has(m.tower)) handled.add(m.name);

  const imageProj = cmp.missing.filter((m) => !handled.has(m.name) && (target.generated ? isPart(m, 'vision.proj') : /^(visual\.proj|visual\.attnpool\.c_proj\.)/.test(canonicalOf.get(m.name) ?? '')));
  const textProj = cmp.missing.filter((m) => !handled.has(m.name) && (target.generated ? isPart(m, 'text.proj') : canonicalOf.get(m.name) === 'text_projection'));
  const audioProj = target.generated ? cmp.missing.filter((m) => !handled.has(m.name) && isPart(m, 'audio.proj')) : [];
  const visionPresent = !whole.has('vision');
  const textPresent = !whole.has('text');
  if (imageProj.length && visionPresent) {
    out.push({ code: 'projection-missing', severity: 'error', message: `The image projection is missing: image embeddings would go through a randomly initialised matrix, so zero-shot and retrieval would be at chance.`, tower: 'projection', ...names(imageProj) });
  }
  if (textProj.length && textPresent) {
    out.push({ code: 'projection-missing', severity: 'error', message: `The text projection is missing: text embeddings would go through a randomly initialised matrix, so zero-shot would be at chance.`, tower: 'projection', ...names(textProj) });
  }
  if (audioProj.length && !whole.has('audio')) {
    out.push({ code: 'projection-missing', severity: 'error', message: `The audio projection is missing: audio embeddings would go through a randomly initialised MLP, so zero-shot audio classification and retrieval would be at chance.`, tower: 'projection', ...names(audioProj) });
  }
  for (const m of [...imageProj, ...textProj, ...audioProj]) handled.add(m.name);
  const logit = cmp.missing.find((m) => (target.generated ? isPart(m, 'logit_scale') : canonicalOf.get(m.name) === 'logit_scale'));
  const bias = target.generated ? cmp.missing.find((m) => isPart(m, 'logit_bias')) : undefined;
  if (bias) {
    handled.add(bias.name);
    out.push({
      code: 'logit-bias-missing',
      severity: 'error',
      message: "logit_bias is missing: SigLIP's sigmoid scores would start from the initial bias (-10 in open_clip), so every image–text probability comes out near 0; rankings are unchanged but thresholds and probabilities are wrong.",
      tower: 'projection',
      tensors: [bias.name],
      tensorCount: 1,
    });
  }
  if (logit) {
    handled.add(logit.name);
    out.push({
      code: 'logit-scale-missing',
      severity: 'warning',
      message: 'logit_scale is missing: the loader would start it at ln(1/0.07) (temperature 14.3 instead of ~100), so zero-shot rankings are unchanged but probabilities come out far too flat.',
      tower: 'projection',
      tensors: [logit.name],
      tensorCount: 1,
    });
  }
  const rest = cmp.missing.filter((m) => !handled.has(m.name));
  if (rest.length) {
    const reasons = [...new Set(rest.map((m) => m.reason).filter((r): r is string => Boolean(r)))];
    out.push({
      code: 'tensors-missing',
      severity: 'error',
      message: `${plural(rest.length, 'tensor')} that ${model} needs ${rest.length === 1 ? 'is' : 'are'} not in the file (${where(rest)}): they would be randomly initialised, and the layers using them output noise.`,
      ...names(rest),
      ...(reasons.length ? { evidence: reasons.slice(0, 5) } : {}),
    });
  }
  if (cmp.mismatched.length) {
    out.push({
      code: 'shape-mismatch',
      severity: 'error',
      message: `${plural(cmp.mismatched.length, 'tensor')} ${cmp.mismatched.length === 1 ? 'has' : 'have'} another shape than ${model} expects (${where(cmp.mismatched)}): a strict load fails with "size mismatch", and loaders that skip them leave them randomly initialised.`,
      ...names(cmp.mismatched),
      evidence: cmp.mismatched.slice(0, 5).map((m) => `${m.name}: file [${m.found.join(', ')}], expected [${m.expected.join(', ')}]${m.hint ? ` (${m.hint})` : ''}`),
    });
  }
  if (cmp.unexpected.length) {
    out.push({
      code: 'unexpected-tensors',
      severity: 'warning',
      message: `${plural(cmp.unexpected.length, 'tensor')} in the file ${cmp.unexpected.length === 1 ? 'has' : 'have'} no place in ${model} (${where(cmp.unexpected)}): a strict load fails, a lenient one ignores them.`,
      ...names(cmp.unexpected),
    });
  }
  return out;
}
