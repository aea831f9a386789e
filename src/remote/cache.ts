import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDir } from './config.js';

/**
 * On-disk cache of what a remote header read fetched, keyed by content identity: a Hub file by
 * (endpoint, repo, commit, path) — immutable — and any other URL by (URL, ETag). Reopening reads
 * the header from here with no request for a commit-pinned file, and offline for anything seen
 * before. Only small reads are cached (headers, value-check samples), never streamed values.
 * Every write is atomic (temp file + rename); a corrupt or foreign entry is ignored, never trusted.
 */
export const CACHE_MAX_SEGMENT = 16 << 20;

const fullHash = (s: string) => createHash('sha256').update(s).digest('hex');
const hash = (s: string) => fullHash(s).slice(0, 40);

function root(): string | undefined {
  const d = cacheDir();
  return d ? join(d, 'remote-v1') : undefined;
}

async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, data);
  await rename(tmp, path);
}

/** Small JSON records (revision → commit and file list; URL → ETag and size). */
export async function readRecord<T>(kind: string, key: string): Promise<T | undefined> {
  const r = root();
  if (!r) return undefined;
  try {
    // The key itself is not stored (a URL may carry a signed query): its full hash is checked.
    const v = JSON.parse(await readFile(join(r, kind, `${hash(key)}.json`), 'utf8')) as { keyHash?: string; value?: T };
    return v.keyHash === fullHash(key) ? v.value : undefined;
  } catch {
    return undefined;
  }
}

export async function writeRecord(kind: string, key: string, value: unknown): Promise<void> {
  const r = root();
  if (!r) return;
  try {
    await mkdir(join(r, kind), { recursive: true });
    await atomicWrite(join(r, kind, `${hash(key)}.json`), JSON.stringify({ keyHash: fullHash(key), value }));
  } catch {
    // a cache that cannot be written only costs speed
  }
}

export interface Segment {
  readonly start: number;
  readonly end: number;
}

/** Byte segments of one remote file. */
export class SegmentCache {
  private listed?: Promise<Segment[]>;
  private readonly dir: string | undefined;

  constructor(readonly key: string) {
    const r = root();
    this.dir = r ? join(r, 'blobs', hash(key)) : undefined;
  }

  private list(): Promise<Segment[]> {
    this.listed ??= (async () => {
      if (!this.dir) return [];
      try {
        const names = await readdir(this.dir);
        const out: Segment[] = [];
        for (const n of names) {
          const m = /^(\d+)-(\d+)\.bin$/.exec(n);
          if (m && Number(m[2]) > Number(m[1])) out.push({ start: Number(m[1]), end: Number(m[2]) });
        }
        return out;
      } catch {
        return [];
      }
    })();
    return this.listed;
  }

  /** The cached segment containing `at`, with its bytes (the longest, if several). */
  async segmentAt(at: number): Promise<{ start: number; bytes: Uint8Array } | undefined> {
    if (!this.dir) return undefined;
    const segs = (await this.list()).filter((s) => s.start <= at && at < s.end).sort((a, b) => b.end - a.end);
    for (const s of segs) {
      try {
        const bytes = new Uint8Array(await readFile(join(this.dir, `${s.start}-${s.end}.bin`)));
        if (bytes.length === s.end - s.start) return { start: s.start, bytes };
      } catch {
        // vanished or unreadable: ignore
      }
    }
    return undefined;
  }

  async put(start: number, bytes: Uint8Array): Promise<void> {
    if (!this.dir || bytes.length === 0 || bytes.length > CACHE_MAX_SEGMENT) return;
    try {
      await mkdir(this.dir, { recursive: true });
      await atomicWrite(join(this.dir, `${start}-${start + bytes.length}.bin`), bytes);
      (await this.list()).push({ start, end: start + bytes.length });
    } catch {
      // ignore: a read-only or full disk only costs speed
    }
  }
}
