import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

/**
 * A Hugging Face Hub stand-in on loopback for tests: the revision API, `resolve` URLs that
 * redirect (302) to a ranged "CDN" on another port and host name, gated and private repositories,
 * ETags, and injectable faults (5xx then OK, slow or stalled responses, HTML pages, short bodies,
 * servers that ignore Range). It counts every body byte it sends and logs every request with
 * whether it carried an Authorization header. Files can be virtual (10 GB of zeros after a header),
 * so nothing large is ever allocated.
 */
export interface VirtualFile {
  readonly size: number;
  read(start: number, end: number): Uint8Array;
}

export function bytesFile(b: Uint8Array): VirtualFile {
  return { size: b.length, read: (s, e) => b.subarray(s, e) };
}

/** `head` followed by zeros up to `size` bytes. */
export function sparseFile(head: Uint8Array, size: number): VirtualFile {
  return {
    size,
    read(s, e) {
      const out = new Uint8Array(e - s);
      if (s < head.length) out.set(head.subarray(s, Math.min(e, head.length)));
      return out;
    },
  };
}

export interface Repo {
  sha: string;
  branches?: Record<string, string>;
  files: Record<string, VirtualFile>;
  gated?: boolean;
  private?: boolean;
}

export interface Faults {
  /** The next N CDN responses are 503. */
  cdn503?: number;
  /** The next N API responses are 502. */
  api502?: number;
  /** Delay before CDN headers (ms). */
  cdnDelayMs?: number;
  /** CDN sends only half the promised body, then ends the connection (next N responses). */
  cdnShort?: number;
  /** CDN ignores Range and sends 200 with the whole file. */
  cdnIgnoreRange?: boolean;
  /** The revision API answers gzip-compressed and chunked (no Content-Length). */
  apiGzip?: boolean;
  /** CDN answers HTML (a login page) instead of bytes. */
  cdnHtml?: boolean;
}

export interface LoggedRequest {
  readonly server: 'hub' | 'cdn';
  readonly method: string;
  readonly path: string;
  readonly range: string | undefined;
  readonly auth: string | undefined;
}

export interface HubStandIn {
  readonly endpoint: string;
  readonly cdnOrigin: string;
  readonly repos: Map<string, Repo>;
  readonly log: LoggedRequest[];
  faults: Faults;
  bytesSent: { hub: number; cdn: number };
  maxInFlight: number;
  /** Plain files on the CDN host (generic https-style URLs): path → file. */
  readonly plain: Map<string, VirtualFile>;
  close(): Promise<void>;
  reset(): void;
}

export const GOOD_TOKEN = 'hf_testTOKEN_abcdefghijklmnopqrstuvwxyz';

const etagOf = (repo: string, path: string, f: VirtualFile) => `"${createHash('sha1').update(`${repo}/${path}/${f.size}`).digest('hex')}"`;

/** `hubPort`: listen there (a runner that passes HF_ENDPOINT to a host process picks it); 0 = any free port. */
export async function startHub(o: { hubPort?: number } = {}): Promise<HubStandIn> {
  const repos = new Map<string, Repo>();
  const plain = new Map<string, VirtualFile>();
  const log: LoggedRequest[] = [];
  let inFlight = 0;
  const state: HubStandIn = {
    endpoint: '',
    cdnOrigin: '',
    repos,
    log,
    plain,
    faults: {},
    bytesSent: { hub: 0, cdn: 0 },
    maxInFlight: 0,
    close: async () => undefined,
    reset() {
      log.length = 0;
      state.faults = {};
      state.bytesSent = { hub: 0, cdn: 0 };
      state.maxInFlight = 0;
    },
  };

  const send = (server: 'hub' | 'cdn', res: ServerResponse, status: number, headers: Record<string, string | number>, body?: Uint8Array | string) => {
    const b = typeof body === 'string' ? Buffer.from(body) : body;
    res.writeHead(status, { ...(b ? { 'content-length': b.length } : {}), ...headers });
    if (b) state.bytesSent[server] += b.length;
    res.end(b);
  };

  const sha = (repo: Repo, rev: string): string | undefined => (rev === repo.sha || /^[0-9a-f]{40}$/.test(rev) && rev === repo.sha ? repo.sha : repo.branches?.[rev] ?? (rev === 'main' ? repo.sha : undefined));

  const access = (repo: Repo, req: IncomingMessage): { status: number; code: string } | undefined => {
    const auth = req.headers.authorization;
    if (!repo.gated && !repo.private) return undefined;
    if (auth === `Bearer ${GOOD_TOKEN}`) return undefined;
    if (repo.gated) return { status: auth ? 403 : 401, code: 'GatedRepo' };
    return { status: 401, code: 'RepoNotFound' };
  };

  const hub = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push({ server: 'hub', method: req.method ?? '', path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    if (segs[0] === 'api' && segs[1] === 'models' && segs[4] === 'revision') {
      if (state.faults.api502 && state.faults.api502-- > 0) return send('hub', res, 502, {}, 'bad gateway');
      const repo = repos.get(`${segs[2]}/${segs[3]}`);
      if (!repo) return send('hub', res, 401, { 'x-error-code': 'RepoNotFound' }, '{"error":"Repository not found"}');
      const denied = access(repo, req);
      if (denied) return send('hub', res, denied.status, { 'x-error-code': denied.code, 'x-error-message': denied.code === 'GatedRepo' ? 'Access to this repo is restricted (gated).' : 'not found' }, '{}');
      const s = sha(repo, segs.slice(5).join('/'));
      if (!s) return send('hub', res, 404, { 'x-error-code': 'RevisionNotFound' }, '{"error":"Invalid rev id"}');
      const siblings = Object.entries(repo.files).map(([p, f]) => ({ rfilename: p, size: f.size, ...(p.endsWith('.json') ? {} : { lfs: { sha256: createHash('sha256').update(p).digest('hex'), size: f.size } }) }));
      const json = JSON.stringify({ id: `${segs[2]}/${segs[3]}`, sha: s, gated: repo.gated ? 'manual' : false, siblings });
      if (state.faults.apiGzip) {
        const z = gzipSync(json);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
        state.bytesSent.hub += z.length;
        return void res.end(z);
      }
      return send('hub', res, 200, { 'content-type': 'application/json' }, json);
    }
    if (segs[2] === 'resolve') {
      const name = `${segs[0]}/${segs[1]}`;
      const repo = repos.get(name);
      if (!repo) return send('hub', res, 401, { 'x-error-code': 'RepoNotFound' }, 'no');
      const denied = access(repo, req);
      if (denied) return send('hub', res, denied.status, { 'x-error-code': denied.code }, 'no');
      const s = sha(repo, segs[3] ?? '');
      if (!s) return send('hub', res, 404, { 'x-error-code': 'RevisionNotFound' }, 'no');
      const path = segs.slice(4).join('/');
      const f = repo.files[path];
      if (!f) return send('hub', res, 404, { 'x-error-code': 'EntryNotFound' }, 'no');
      return send('hub', res, 302, { location: `${state.cdnOrigin}/blobs/${name}/${s}/${path.split('/').map(encodeURIComponent).join('/')}?sig=SIGNED`, 'x-repo-commit': s, 'x-linked-size': f.size, 'x-linked-etag': etagOf(name, path, f) });
    }
    send('hub', res, 404, {}, 'not found');
  });

  const cdn = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    log.push({ server: 'cdn', method: req.method ?? '', path: url.pathname, range: req.headers.range, auth: req.headers.authorization });
    inFlight++;
    state.maxInFlight = Math.max(state.maxInFlight, inFlight);
    res.on('close', () => inFlight--);
    const go = () => {
      const segs = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      let f: VirtualFile | undefined;
      let tag = '"plain"';
      if (segs[0] === 'blobs') {
        const name = `${segs[1]}/${segs[2]}`;
        const path = segs.slice(4).join('/');
        f = repos.get(name)?.files[path];
        if (f) tag = etagOf(name, path, f);
        if (url.searchParams.get('sig') !== 'SIGNED') return send('cdn', res, 403, {}, 'expired');
      } else if (segs[0] === 'files') {
        f = plain.get(segs.slice(1).join('/'));
        if (f) tag = `"plain-${f.size}"`;
      }
      if (segs[0] === 'html') return send('cdn', res, 200, { 'content-type': 'text/html' }, '<!doctype html><html><body>login</body></html>');
      if (!f) return send('cdn', res, 404, {}, 'no such blob');
      if (state.faults.cdn503 && state.faults.cdn503-- > 0) return send('cdn', res, 503, {}, 'busy');
      if (state.faults.cdnHtml) return send('cdn', res, 200, { 'content-type': 'text/html; charset=utf-8' }, '<!DOCTYPE html><html>Sign in</html>');
      const m = /^bytes=(\d+)-(\d+)?$/.exec(req.headers.range ?? '');
      if (!m || state.faults.cdnIgnoreRange) {
        // Whole body: stream it in pieces (a client may stop early).
        res.writeHead(200, { 'content-length': f.size, etag: tag, 'content-type': 'application/octet-stream' });
        let pos = 0;
        const pump = () => {
          while (pos < f!.size) {
            const piece = f!.read(pos, Math.min(f!.size, pos + (1 << 20)));
            pos += piece.length;
            state.bytesSent.cdn += piece.length;
            if (!res.write(piece)) return void res.once('drain', pump);
          }
          res.end();
        };
        res.on('close', () => (pos = f!.size));
        return pump();
      }
      const start = Number(m[1]);
      const end = Math.min(f.size, m[2] === undefined ? f.size : Number(m[2]) + 1);
      if (start >= f.size || end <= start) return send('cdn', res, 416, { 'content-range': `bytes */${f.size}` }, '');
      const body = f.read(start, end);
      if (state.faults.cdnShort && state.faults.cdnShort-- > 0) {
        res.writeHead(206, { 'content-length': body.length, 'content-range': `bytes ${start}-${end - 1}/${f.size}`, etag: tag });
        const half = body.subarray(0, body.length >> 1);
        state.bytesSent.cdn += half.length;
        res.write(half, () => res.destroy());
        return;
      }
      send('cdn', res, 206, { 'content-range': `bytes ${start}-${end - 1}/${f.size}`, etag: tag, 'content-type': 'application/octet-stream' }, body);
    };
    if (state.faults.cdnDelayMs) setTimeout(go, state.faults.cdnDelayMs);
    else go();
  });

  const listen = (s: Server, port = 0) =>
    new Promise<number>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve((s.address() as AddressInfo).port));
    });
  const [hp, cp] = await Promise.all([listen(hub, o.hubPort ?? 0), listen(cdn)]);
  (state as { endpoint: string }).endpoint = `http://127.0.0.1:${hp}`;
  (state as { cdnOrigin: string }).cdnOrigin = `http://localhost:${cp}`;
  state.close = async () => {
    hub.closeAllConnections();
    cdn.closeAllConnections();
    await Promise.all([new Promise((r) => hub.close(r)), new Promise((r) => cdn.close(r))]);
  };
  return state;
}

/** A safetensors header for these tensors (F32 unless given), and the file size it implies. */
export function safetensorsHead(specs: readonly { name: string; shape: readonly number[]; dtype?: string }[], metadata?: Record<string, string>): { head: Uint8Array; size: number } {
  const header: Record<string, unknown> = metadata ? { __metadata__: metadata } : {};
  let off = 0;
  for (const s of specs) {
    const bytes = s.shape.reduce((a, b) => a * b, 1) * (s.dtype === 'F16' || s.dtype === 'BF16' ? 2 : 4);
    header[s.name] = { dtype: s.dtype ?? 'F32', shape: s.shape, data_offsets: [off, off + bytes] };
    off += bytes;
  }
  let json = Buffer.from(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad) json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.length));
  return { head: new Uint8Array(Buffer.concat([prefix, json])), size: 8 + json.length + off };
}
