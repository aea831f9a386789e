import { hubFileUrl, encodePath } from './ref.js';
import { httpGet, remoteWarn, RemoteError } from './http.js';
import { offlineMode } from './config.js';
import { readRecord, writeRecord } from './cache.js';

/**
 * Hub API calls, written by hand (see docs/remote.md for why not @huggingface/hub): one request,
 * `GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true`, gives the commit a branch or tag
 * points at and every file with its size and LFS hash. That is all the listing, the shard reads
 * and the cache keys need. Answers are memoised per process and recorded on disk, so a
 * commit-pinned reopen makes no request and an offline reopen uses the last answer (with a warning).
 */
export interface HubFile {
  readonly path: string;
  readonly size: number | undefined;
  /** LFS sha256 (or git blob id): content identity. */
  readonly oid: string | undefined;
}

export interface HubRevision {
  readonly endpoint: string;
  readonly repo: string;
  readonly revision: string;
  readonly sha: string;
  readonly files: ReadonlyMap<string, HubFile>;
  readonly gated: boolean | string;
  /** Served from the on-disk record because the Hub could not be reached. */
  readonly fromCache: boolean;
}

const memo = new Map<string, { at: number; value: Promise<HubRevision> }>();
/** A branch or tag is looked up again after this long (a long-lived editor sees new commits). */
export function revisionTtlMs(): number {
  const v = Number(process.env.CHECKPOINT_LENS_REVISION_TTL_MS);
  return Number.isFinite(v) && v >= 0 ? v : 10 * 60_000;
}
const MAX_API_BYTES = 64 << 20;
const SHA_RE = /^[0-9a-f]{40}$/;

export function clearHubMemo(): void {
  memo.clear();
}

interface Stored {
  sha: string;
  gated: boolean | string;
  files: Array<[string, number | null, string | null]>;
}

export function hubRevision(endpoint: string, repo: string, revision: string): Promise<HubRevision> {
  const key = `${endpoint}\0${repo}\0${revision}`;
  const hit = memo.get(key);
  if (hit && (SHA_RE.test(revision) || Date.now() - hit.at < revisionTtlMs())) return hit.value;
  const p = fetchRevision(endpoint, repo, revision, key);
  const entry = { at: Date.now(), value: p };
  memo.set(key, entry);
  p.catch(() => memo.get(key) === entry && memo.delete(key));
  return p;
}

function fromStored(endpoint: string, repo: string, revision: string, s: Stored, fromCache: boolean): HubRevision {
  const files = new Map<string, HubFile>();
  for (const [path, size, oid] of s.files) files.set(path, { path, size: size ?? undefined, oid: oid ?? undefined });
  return { endpoint, repo, revision, sha: s.sha, files, gated: s.gated, fromCache };
}

async function fetchRevision(endpoint: string, repo: string, revision: string, key: string): Promise<HubRevision> {
  const stored = await readRecord<Stored>('revisions', key);
  // A commit id names immutable content: what we recorded is still true.
  if (stored && SHA_RE.test(revision) && stored.sha === revision) return fromStored(endpoint, repo, revision, stored, false);
  if (offlineMode()) {
    if (stored) return fromStored(endpoint, repo, revision, stored, true);
    throw new RemoteError('remote-offline', `Offline mode and ${repo}@${revision} has never been opened on this machine (nothing cached).`);
  }
  const url = `${endpoint}/api/models/${encodePath(repo)}/revision/${encodeURIComponent(revision)}?blobs=true`;
  let body: Uint8Array;
  try {
    body = (await httpGet(url, { what: { kind: 'revision', repo, revision }, maxBytes: MAX_API_BYTES })).body;
  } catch (e) {
    const unreachable = e instanceof RemoteError && (e.code === 'remote-offline' || e.code === 'remote-network-error' || e.code === 'remote-timeout');
    if (unreachable && stored) {
      remoteWarn('remote-offline-cached', `The Hub cannot be reached (${e.code}); using what was cached for ${repo}@${revision} (commit ${stored.sha.slice(0, 12)}).`, `offline:${key}`);
      return fromStored(endpoint, repo, revision, stored, true);
    }
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(body));
  } catch {
    throw new RemoteError('remote-bad-api-response', `The Hub's answer for ${repo}@${revision} is not JSON (is HF_ENDPOINT a Hub?).`);
  }
  const o = json as { sha?: unknown; siblings?: unknown; gated?: unknown };
  if (typeof o.sha !== 'string' || !SHA_RE.test(o.sha) || !Array.isArray(o.siblings)) {
    throw new RemoteError('remote-bad-api-response', `The Hub's answer for ${repo}@${revision} has no commit id or file list (is HF_ENDPOINT a Hub?).`);
  }
  const files: Stored['files'] = [];
  for (const s of o.siblings as unknown[]) {
    if (!s || typeof s !== 'object') continue;
    const r = s as { rfilename?: unknown; size?: unknown; blobId?: unknown; lfs?: { size?: unknown; sha256?: unknown } };
    if (typeof r.rfilename !== 'string' || r.rfilename.length === 0 || r.rfilename.length > 4096) continue;
    const size = typeof r.lfs?.size === 'number' ? r.lfs.size : typeof r.size === 'number' ? r.size : null;
    const oid = typeof r.lfs?.sha256 === 'string' ? r.lfs.sha256 : typeof r.blobId === 'string' ? r.blobId : null;
    files.push([r.rfilename, size !== null && Number.isSafeInteger(size) && size >= 0 ? size : null, oid]);
  }
  const value: Stored = { sha: o.sha, gated: typeof o.gated === 'string' || typeof o.gated === 'boolean' ? o.gated : false, files };
  await writeRecord('revisions', key, value);
  if (o.sha !== revision) await writeRecord('revisions', `${endpoint}\0${repo}\0${o.sha}`, value);
  return fromStored(endpoint, repo, revision, value, false);
}

/** The commit-pinned resolve URL of a file (ranges are fetched there: a moving branch cannot mix two versions). */
export function pinnedFileUrl(rev: HubRevision, file: string): string {
  return hubFileUrl(rev.endpoint, rev.repo, rev.sha, file);
}
