import type { ByteSource } from '../io/byteSource.js';
import { offlineMode } from './config.js';
import { SegmentCache, CACHE_MAX_SEGMENT, readRecord, writeRecord } from './cache.js';
import { httpGet, remoteWarn, RemoteError, shownUrl, type RequestWhat } from './http.js';
import { hubRevision, pinnedFileUrl, revisionTtlMs } from './hub.js';
import { parseRemoteRef } from './ref.js';

/**
 * A remote file as a ByteSource: ranged GETs, a small in-memory block cache (the 512-byte head
 * read fetches the first 16 KiB, which holds a small header whole; a larger one costs one more
 * request for exactly the rest), and the
 * on-disk segment cache keyed by content identity. One instance per URL per process.
 */
const HEAD_BLOCK = 16 << 10;
const MEMORY_LIMIT = 32 << 20;
const TOTAL_MEMORY_LIMIT = 128 << 20;
let totalHeld = 0;

interface Meta {
  readonly size: number;
  /** Where ranges are fetched (a Hub file: its commit-pinned resolve URL). */
  readonly fetchUrl: string;
  readonly what: RequestWhat;
  readonly etag: string | undefined;
  readonly cache: SegmentCache | undefined;
}

const sources = new Map<string, RemoteSource>();

/** The shared source for a URL (hf://, https://, http://). */
export function remoteSource(url: string): RemoteSource {
  let s = sources.get(url);
  if (!s) {
    s = new RemoteSource(url);
    sources.set(url, s);
    if (sources.size > 4096) {
      const oldest = sources.keys().next().value!;
      sources.get(oldest)?.forget();
      sources.delete(oldest);
    }
  }
  return s;
}

/** Forget every source (tests; the editor after a token change). */
export function clearRemoteSources(): void {
  sources.clear();
  totalHeld = 0;
}

interface UrlRecord {
  size: number;
  etag: string;
}

export class RemoteSource implements ByteSource {
  private meta?: Promise<Meta>;
  private metaAt = 0;
  private segments: Array<{ start: number; bytes: Uint8Array }> = [];
  private held = 0;
  /** Where the last redirect chain ended (a CDN): later ranges skip the hop. */
  private direct: string | undefined;

  constructor(readonly url: string) {}

  size(): Promise<number> {
    return this.resolve().then((m) => m.size);
  }

  private resolve(): Promise<Meta> {
    if (!this.meta) {
      const m = this.resolveNow();
      this.meta = m;
      this.metaAt = Date.now();
      m.catch(() => {
        if (this.meta === m) this.meta = undefined;
      });
    }
    return this.meta;
  }

  /**
   * Called when a reader opens the file (like a local open): after the revision TTL, a branch is
   * looked up again and a plain URL's ETag rechecked; if the content moved, the cached bytes of
   * the old version go. Reads in between never re-resolve, so one open sees one version.
   */
  async revalidate(): Promise<void> {
    if (!this.meta || Date.now() - this.metaAt < revisionTtlMs() || /\/resolve\/[0-9a-f]{40}\//.test(this.url)) return;
    // Memory holds bytes of the version resolved then; the disk cache is keyed by version anyway.
    this.meta = undefined;
    this.dropAll();
    this.direct = undefined;
    await this.resolve().catch(() => undefined);
  }

  private async resolveNow(): Promise<Meta> {
    const ref = parseRemoteRef(this.url);
    if (!ref.ok) throw new RemoteError(ref.error.code, ref.error.message);
    const r = ref.value;
    if (r.kind === 'hub-repo') throw new RemoteError('remote-is-repository', `${this.url} is a repository, not a file: list it with \`checkpoint-lens inspect\` and pick a file.`);
    if (r.kind === 'hub-file') {
      const rev = await hubRevision(r.endpoint, r.repo, r.revision);
      const f = rev.files.get(r.file);
      const what: RequestWhat = { kind: 'file', repo: r.repo, revision: r.revision, file: r.file };
      if (!f) {
        const inFolder = [...rev.files.keys()].some((p) => p.startsWith(`${r.file}/`));
        throw new RemoteError('remote-file-not-found', inFolder ? `${r.file} is a folder of ${r.repo}@${r.revision}, not a file.` : `${r.file} does not exist in ${r.repo} at ${r.revision} (commit ${rev.sha.slice(0, 12)}).`);
      }
      const cache = new SegmentCache(`hub\0${r.endpoint}\0${r.repo}\0${rev.sha}\0${r.file}`);
      const fetchUrl = pinnedFileUrl(rev, r.file);
      if (f.size !== undefined) return { size: f.size, fetchUrl, what, etag: undefined, cache };
      const probe = await this.fetch(fetchUrl, what, 0, HEAD_BLOCK, undefined);
      if (probe.total === undefined) throw new RemoteError('remote-no-size', `${r.file}: the Hub did not say how large it is.`);
      this.keep(0, probe.body);
      return { size: probe.total, fetchUrl, what, etag: undefined, cache };
    }
    // A plain URL: the first ranged GET tells the size and the ETag (the cache key).
    const what: RequestWhat = { kind: 'url' };
    const recKey = `url\0${r.url}`;
    if (offlineMode()) {
      const rec = await readRecord<UrlRecord>('urls', recKey);
      if (rec) return { size: rec.size, fetchUrl: r.url, what, etag: rec.etag, cache: new SegmentCache(`url\0${r.url}\0${rec.etag}`) };
    }
    let probe;
    try {
      probe = await this.fetch(r.url, what, 0, HEAD_BLOCK, undefined);
    } catch (e) {
      const unreachable = e instanceof RemoteError && (e.code === 'remote-offline' || e.code === 'remote-network-error' || e.code === 'remote-timeout');
      const rec = unreachable ? await readRecord<UrlRecord>('urls', recKey) : undefined;
      if (!rec) throw e;
      remoteWarn('remote-offline-cached', `${shownUrl(r.url)} cannot be reached (${(e as RemoteError).code}); using its cached header (ETag ${rec.etag}).`, `offline:${r.url}`);
      return { size: rec.size, fetchUrl: r.url, what, etag: rec.etag, cache: new SegmentCache(`url\0${r.url}\0${rec.etag}`) };
    }
    if (probe.total === undefined) throw new RemoteError('remote-no-size', `${shownUrl(r.url)} does not say how large it is (no Content-Range or Content-Length), so it cannot be read by ranges.`);
    this.keep(0, probe.body);
    let cache: SegmentCache | undefined;
    if (probe.etag) {
      cache = new SegmentCache(`url\0${r.url}\0${probe.etag}`);
      await writeRecord('urls', recKey, { size: probe.total, etag: probe.etag } satisfies UrlRecord);
      void cache.put(0, probe.body);
    }
    return { size: probe.total, fetchUrl: r.url, what, etag: probe.etag, cache };
  }

  /** One ranged GET, straight to the last CDN location when there is one (re-resolved once if it expired). */
  private async fetch(url: string, what: RequestWhat, start: number, end: number, m: Meta | undefined) {
    const opts = { range: [start, end] as const, what, ...(m ? { expectTotal: m.size } : {}), ...(m?.etag ? { expectEtag: m.etag } : {}) };
    if (this.direct) {
      try {
        const res = await httpGet(this.direct, opts);
        return res;
      } catch (e) {
        // Signed CDN URLs expire: go back through the Hub once.
        if (!(e instanceof RemoteError) || (e.status !== 401 && e.status !== 403 && e.status !== 404 && e.status !== 410)) throw e;
        this.direct = undefined;
      }
    }
    const res = await httpGet(url, opts);
    if (res.finalUrl !== url) this.direct = res.finalUrl;
    return res;
  }

  private keep(start: number, bytes: Uint8Array): void {
    if (bytes.length > MEMORY_LIMIT) return;
    this.segments.push({ start, bytes });
    this.held += bytes.length;
    totalHeld += bytes.length;
    while (this.held > MEMORY_LIMIT && this.segments.length > 1) this.dropOldest();
    // All sources together stay under a bound too: the least recently opened give way first.
    for (const s of sources.values()) {
      if (totalHeld <= TOTAL_MEMORY_LIMIT) break;
      while (s !== this && s.segments.length > 0 && totalHeld > TOTAL_MEMORY_LIMIT) s.dropOldest();
    }
  }

  private dropOldest(): void {
    const n = this.segments.shift()!.bytes.length;
    this.held -= n;
    totalHeld -= n;
  }

  /** Releases the bytes held in memory (the source is being dropped from the registry). */
  forget(): void {
    this.dropAll();
  }

  private dropAll(): void {
    totalHeld -= this.held;
    this.segments = [];
    this.held = 0;
  }

  private fromMemory(at: number): { start: number; bytes: Uint8Array } | undefined {
    let best: { start: number; bytes: Uint8Array } | undefined;
    for (const s of this.segments) if (s.start <= at && at < s.start + s.bytes.length && (!best || s.start + s.bytes.length > best.start + best.bytes.length)) best = s;
    return best;
  }

  read(start: number, end: number): Promise<Uint8Array> {
    return this.readRange(start, end, true);
  }

  /** `cacheable`: small reads (headers, samples) are kept in memory and on disk; streamed values never. */
  private async readRange(start: number, end: number, cacheable: boolean): Promise<Uint8Array> {
    const m = await this.resolve();
    end = Math.min(end, m.size);
    if (end <= start) return new Uint8Array(0);
    const out = new Uint8Array(end - start);
    let pos = start;
    // Serve what memory and disk hold, then fetch the rest in one range.
    while (pos < end) {
      let seg = this.fromMemory(pos);
      if (!seg && m.cache) {
        seg = await m.cache.segmentAt(pos);
        if (seg) this.keep(seg.start, seg.bytes);
      }
      if (!seg) break;
      const take = Math.min(end, seg.start + seg.bytes.length) - pos;
      out.set(seg.bytes.subarray(pos - seg.start, pos - seg.start + take), pos - start);
      pos += take;
    }
    if (pos < end) {
      // A read from byte 0 (the format sniff) fetches a whole first block: the header comes with it.
      const fetchEnd = pos === 0 ? Math.min(m.size, Math.max(end, HEAD_BLOCK)) : end;
      const res = await this.fetch(m.fetchUrl, m.what, pos, fetchEnd, m);
      if (res.body.length !== fetchEnd - pos) throw new RemoteError('remote-short-response', `${shownUrl(this.url)} sent ${res.body.length} bytes where ${fetchEnd - pos} were asked for.`);
      out.set(res.body.subarray(0, end - pos), pos - start);
      if (cacheable && res.body.length <= CACHE_MAX_SEGMENT) {
        this.keep(pos, res.body);
        void m.cache?.put(pos, res.body);
      }
    }
    return out;
  }

  /** Ranged GETs of `chunkBytes`, the next one in flight while the consumer works on the current one. */
  async *stream(start: number, end: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
    const m = await this.resolve();
    if (end > m.size) throw new RemoteError('remote-range-not-satisfiable', `${shownUrl(this.url)}: bytes up to ${end} asked for, but the file has ${m.size}.`);
    const size = Math.max(1, chunkBytes);
    let pos = start;
    const next = (at: number) => this.readRange(at, Math.min(end, at + size), false).then((b) => {
      if (b.length !== Math.min(end, at + size) - at) throw new RemoteError('remote-short-response', `${shownUrl(this.url)} ended early at byte ${at + b.length}.`);
      return b;
    });
    let pending: Promise<Uint8Array> | undefined = pos < end ? next(pos) : undefined;
    try {
      while (pending) {
        const chunk = await pending;
        pos += chunk.length;
        pending = pos < end ? next(pos) : undefined;
        yield chunk;
      }
    } finally {
      await pending?.catch(() => undefined);
    }
  }
}
