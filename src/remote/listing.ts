import type { Checkpoint } from '../core/checkpoint.js';
import { parameterCount } from '../core/checkpoint.js';
import { hasErrors } from '../core/problems.js';
import type { ReadError, Result } from '../core/result.js';
import type { Analysis } from '../analysis/types.js';
import { mapBounded } from '../io/concurrency.js';
import { httpTuning } from './config.js';
import { hubRevision, type HubRevision } from './hub.js';
import { hubFileUrl, type RemoteRef } from './ref.js';

/**
 * A Hub repository as a list of checkpoints: every `.safetensors` file, and every
 * `*.safetensors.index.json` with its shards as one model; PyTorch and GGUF files are listed
 * too (read by ranges where their readers can). Each gets a one-line verdict from the same
 * reader and analysis the local inspect uses, and a word on which loader it is for.
 */
export interface RepoCheckpoint {
  /** Path inside the repository (the index for sharded models). */
  readonly file: string;
  readonly url: string;
  readonly kind: 'safetensors' | 'safetensors-sharded' | 'pytorch' | 'pytorch-sharded' | 'gguf';
  /** Bytes in the repository (all shards for a sharded model). */
  readonly size: number;
  readonly shards?: readonly string[];
}

export interface RepoListing {
  readonly repo: string;
  readonly revision: string;
  readonly sha: string;
  readonly endpoint: string;
  readonly checkpoints: readonly RepoCheckpoint[];
  /** Config files present (config.json, open_clip_config.json…). */
  readonly configs: readonly string[];
}

const SHARD_RE = /^(.*)-\d{5}-of-\d{5}\.(safetensors|bin)$/;

export function listCheckpoints(rev: HubRevision, dir: string): RepoListing {
  const inDir = [...rev.files.values()].filter((f) => !dir || f.path.startsWith(`${dir}/`));
  const size = (p: string) => rev.files.get(p)?.size ?? 0;
  const out: RepoCheckpoint[] = [];
  const sharded = new Set<string>();
  for (const f of inDir) {
    const m = /^(.*)\.(safetensors|bin)\.index\.json$/.exec(f.path);
    if (!m) continue;
    // Shards follow the transformers naming next to the index; the reader checks the index itself.
    const folder = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/') + 1) : '';
    const base = m[1]!.slice(folder.length);
    const shards = inDir.filter((g) => g.path.startsWith(folder) && !g.path.slice(folder.length).includes('/') && SHARD_RE.exec(g.path.slice(folder.length))?.[1] === base && g.path.endsWith(`.${m[2]}`)).map((g) => g.path);
    for (const s of shards) sharded.add(s);
    out.push({ file: f.path, url: hubFileUrl(rev.endpoint, rev.repo, rev.revision, f.path), kind: m[2] === 'bin' ? 'pytorch-sharded' : 'safetensors-sharded', size: shards.reduce((a, s) => a + size(s), 0), shards });
  }
  for (const f of inDir) {
    if (sharded.has(f.path)) continue;
    const kind = /\.safetensors$/i.test(f.path) ? 'safetensors' : /\.(bin|pt|pth|ckpt)$/i.test(f.path) ? 'pytorch' : /\.gguf$/i.test(f.path) ? 'gguf' : undefined;
    if (kind) out.push({ file: f.path, url: hubFileUrl(rev.endpoint, rev.repo, rev.revision, f.path), kind, size: f.size ?? 0 });
  }
  out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const configs = inDir.map((f) => f.path).filter((p) => /(^|\/)(config|open_clip_config|preprocessor_config)\.json$/.test(p));
  return { repo: rev.repo, revision: rev.revision, sha: rev.sha, endpoint: rev.endpoint, checkpoints: out, configs };
}

export async function listRepository(ref: Extract<RemoteRef, { kind: 'hub-repo' }>): Promise<RepoListing> {
  return listCheckpoints(await hubRevision(ref.endpoint, ref.repo, ref.revision), ref.dir);
}

export interface CheckpointVerdict {
  readonly entry: RepoCheckpoint;
  readonly verdict: string;
  readonly loader: string | null;
  readonly checkpoint?: Checkpoint;
  readonly analysis?: Analysis;
  readonly error?: ReadError;
}

const FAMILY_WORDS: Record<string, string> = {
  'openai-clip': 'OpenAI/open_clip CLIP',
  'openclip-custom-text': 'open_clip CLIP (custom text tower)',
  'openclip-timm': 'open_clip CLIP (timm image tower)',
  'openclip-coca': 'open_clip CoCa',
  'hf-clip': 'transformers CLIP',
  'hf-siglip': 'transformers SigLIP',
  'timm-vit': 'timm ViT',
};

/** Which library loads a checkpoint of this family as it is stored. */
export function loaderFor(family: string, repo: string, file: string): string | null {
  if (family === 'openai-clip' || family.startsWith('openclip-')) return `open_clip: open_clip.create_model_and_transforms(ARCH, pretrained='hf-hub:${repo}') or pretrained=<local ${file}>`;
  if (family === 'hf-clip' || family === 'hf-siglip') return `transformers: AutoModel.from_pretrained('${repo}')`;
  if (family === 'timm-vit') return `timm: timm.create_model('hf-hub:${repo}', pretrained=True) (image tower only)`;
  return null;
}

/** One line: what the checkpoint is, what is missing, whether it has errors. */
export function verdictOf(c: Checkpoint, a: Analysis | undefined): string {
  const size = `${parameterCount(c.tensors).toLocaleString('en-US')} params, ${c.tensors.length} tensors`;
  if (!a || a.architecture.family === 'unknown') {
    return `${hasErrors(c.problems) ? 'HAS ERRORS — ' : ''}not a known CLIP-family layout (${size})`;
  }
  const arch = a.architecture;
  const what = `${FAMILY_WORDS[arch.family] ?? arch.family}${arch.variant ? ` ${arch.variant}` : ''}`;
  const tower = (id: string) => a.towers.find((t) => t.id === id);
  const v = tower('vision');
  const t = tower('text');
  const has = (x: typeof v) => x !== undefined && x.tensors > 0;
  let scope: string;
  if (has(v) && !has(t)) scope = 'image tower only';
  else if (!has(v) && has(t)) scope = 'text tower only';
  else if (has(v) && has(t)) scope = a.missing.length === 0 ? 'complete (image + text towers)' : 'image + text towers';
  else scope = 'no recognised tower';
  const missing = a.missing.length && !(scope.endsWith('only') && a.target?.defaulted) ? `, ${a.missing.length} tensors MISSING for ${a.target?.id ?? 'the target'}` : '';
  // A missing tower is already said by the scope ("image tower only"); other errors are named.
  const errs = a.findings.filter((f) => f.severity === 'error' && !/(^|-)tower-missing$|^tower-/.test(f.code) && f.code !== 'missing-tensors');
  const bad = hasErrors(c.problems) ? ` — HAS ERRORS (${c.problems.filter((p) => p.severity === 'error').map((p) => p.code).slice(0, 3).join(', ')})` : errs.length ? ` — ${errs[0]!.code}` : '';
  return `${what} — ${scope}${missing} (${size})${bad}`;
}

/** Opens every checkpoint (bounded in parallel) and gives each a verdict. */
export async function judgeCheckpoints(
  listing: RepoListing,
  open: (url: string) => Promise<Result<Checkpoint>>,
  analyze: (c: Checkpoint) => Promise<Result<Analysis>>,
): Promise<CheckpointVerdict[]> {
  return mapBounded(listing.checkpoints, Math.max(1, Math.min(4, httpTuning().concurrency)), async (entry) => {
    const r = await open(entry.url);
    if (!r.ok) return { entry, verdict: `cannot be read: ${r.error.code}`, loader: null, error: r.error };
    const a = await analyze(r.value);
    const analysis = a.ok ? a.value : undefined;
    return { entry, verdict: verdictOf(r.value, analysis), loader: analysis ? loaderFor(analysis.architecture.family, listing.repo, entry.file) : null, checkpoint: r.value, ...(analysis ? { analysis } : {}) };
  });
}

/** How many bytes of a listing's checkpoints would a full download move. */
export function listingBytes(l: RepoListing): number {
  return l.checkpoints.reduce((a, c) => a + c.size, 0);
}
