import { AsyncLocalStorage } from 'node:async_hooks';
import { CheckpointLensError } from '../core/result.js';
import { hubEndpoint, hubToken, httpTuning, offlineMode, redact, type HttpTuning } from './config.js';

/**
 * The one place that talks HTTP. Ranged GETs with redirects followed by hand (so the Hub token
 * goes to the Hub endpoint's origin only, never to the CDN host a `resolve` URL redirects to),
 * retries with backoff on 5xx / 429 / timeouts / dropped connections, an idle timeout so nothing
 * hangs, cancellation through an AbortSignal, and a byte counter. Failures are `RemoteError`s with
 * stable codes; their messages never hold the token nor a signed URL's query string.
 */
export class RemoteError extends CheckpointLensError {
  constructor(
    code: string,
    message: string,
    readonly status?: number,
    readonly retryable = false,
  ) {
    super(code, message);
    this.name = 'RemoteError';
  }
}

/** What a request is for, so a 404 or 401 can say which thing is missing or locked. */
export type RequestWhat = { kind: 'revision' | 'file' | 'url'; repo?: string; revision?: string; file?: string };

export interface GetOptions {
  /** [start, end) wanted; omitted = the whole body (bounded by maxBytes). */
  readonly range?: readonly [number, number];
  readonly what: RequestWhat;
  readonly signal?: AbortSignal;
  /** Refuse bodies longer than this (whole-body requests). */
  readonly maxBytes?: number;
  /** Expected total size (Content-Range) — a change means the file was replaced while we read it. */
  readonly expectTotal?: number;
  readonly expectEtag?: string;
}

export interface GetResult {
  readonly status: number;
  readonly body: Uint8Array;
  /** Total size from Content-Range (206) or Content-Length (200 whole body). */
  readonly total: number | undefined;
  readonly etag: string | undefined;
  readonly contentType: string;
  /** The URL that answered, after redirects (reused for later ranges: skips the redirect hop). */
  readonly finalUrl: string;
  /** Hub headers seen on the way (X-Repo-Commit, X-Linked-Size, X-Linked-Etag), lower-case keys. */
  readonly hub: Readonly<Record<string, string>>;
}

export const remoteStats = { requests: 0, bytesReceived: 0, retries: 0, authSentTo: new Set<string>() };
export function resetRemoteStats(): void {
  remoteStats.requests = 0;
  remoteStats.bytesReceived = 0;
  remoteStats.retries = 0;
  remoteStats.authSentTo.clear();
}

/** Cancellation for everything remote started inside `fn` (readers take no signal themselves). */
const context = new AsyncLocalStorage<{ signal?: AbortSignal; onProgress?: ProgressListener }>();
export type ProgressListener = (p: { url: string; received: number; total: number }) => void;
export function withRemoteContext<T>(opts: { signal?: AbortSignal; onProgress?: ProgressListener }, fn: () => Promise<T>): Promise<T> {
  return context.run(opts, fn);
}
export function currentSignal(): AbortSignal | undefined {
  return context.getStore()?.signal;
}

let warnListener: ((code: string, message: string) => void) | undefined;
const warned = new Set<string>();
/** Where warnings (plain http, served from cache while offline) go; the CLI prints them to stderr. */
export function setRemoteWarningListener(f: ((code: string, message: string) => void) | undefined): void {
  warnListener = f;
}
export function remoteWarn(code: string, message: string, once = message): void {
  if (warned.has(once)) return;
  warned.add(once);
  warnListener?.(code, message);
}

/** A URL as it may be shown: no query (signed CDN URLs carry credentials there), no user info. */
export function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK.test(url.hostname);
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((res, rej) => {
    if (signal?.aborted) return rej(cancelled());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      res();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      rej(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

const cancelled = () => new RemoteError('remote-cancelled', 'The download was cancelled.');

function describe(what: RequestWhat): string {
  if (what.kind === 'revision') return `revision ${JSON.stringify(what.revision)} of ${what.repo}`;
  if (what.kind === 'file') return `${what.file} in ${what.repo}@${what.revision}`;
  return 'the URL';
}

/** Maps an HTTP failure to a stable code and a sentence that says what to do. */
function statusError(status: number, headers: Headers, url: string, what: RequestWhat, hadToken: boolean): RemoteError {
  const hfCode = headers.get('x-error-code') ?? '';
  const shown = shownUrl(url);
  const isHub = what.kind !== 'url';
  if (hfCode === 'GatedRepo' || ((status === 401 || status === 403) && /gated/i.test(headers.get('x-error-message') ?? ''))) {
    return new RemoteError(
      'remote-gated',
      hadToken
        ? `${what.repo} is a gated repository and this token has no access yet (HTTP ${status}): accept its conditions on its Hub page with the account the token belongs to, then retry.`
        : `${what.repo} is a gated repository (HTTP ${status}): accept its conditions on its Hub page, then set HF_TOKEN (or run \`huggingface-cli login\`) and retry.`,
      status,
    );
  }
  // The Hub answers 401 RepoNotFound for a repository that is missing *or* private without a token.
  if (hfCode === 'RepoNotFound' && isHub) {
    return new RemoteError('remote-repo-not-found', `Repository ${what.repo} does not exist on ${hubEndpoint()}${hadToken ? ' (or this token cannot see it)' : ' (or it is private: set HF_TOKEN or run `huggingface-cli login`)'} (HTTP ${status}).`, status);
  }
  if (status === 401 || status === 403) {
    return new RemoteError(
      'remote-unauthorized',
      isHub
        ? `The Hub refused access to ${describe(what)} (HTTP ${status}): it is private or does not exist${hadToken ? ', or the token lacks read access to it' : '; if it is private, set HF_TOKEN (or run `huggingface-cli login`)'}.`
        : `${shown} refused access (HTTP ${status}).`,
      status,
    );
  }
  if (status === 404) {
    if (hfCode === 'RevisionNotFound') return new RemoteError('remote-revision-not-found', `Revision ${JSON.stringify(what.revision)} does not exist in ${what.repo} (a branch, tag or commit id).`, status);
    if (what.kind === 'revision') return new RemoteError('remote-repo-not-found', `${describe(what)} was not found (HTTP 404): check the repository id and the revision.`, status);
    if (what.kind === 'file') return new RemoteError('remote-file-not-found', `${what.file} does not exist in ${what.repo} at ${what.revision} (HTTP 404).`, status);
    return new RemoteError('remote-file-not-found', `${shown} does not exist (HTTP 404).`, status);
  }
  if (status === 416) return new RemoteError('remote-range-not-satisfiable', `${shown} answered 416 Range Not Satisfiable: the file is shorter than its header says (truncated upload?) or changed while being read.`, status);
  if (status >= 500 || status === 429 || status === 408) return new RemoteError('remote-server-error', `${shown} answered HTTP ${status} (server busy or failing); retried without success.`, status, true);
  return new RemoteError('remote-http-error', `${shown} answered HTTP ${status}.`, status);
}

function parseContentRange(v: string | null): { start: number; end: number; total: number | undefined } | undefined {
  const m = v ? /^bytes (\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim()) : null;
  if (!m) return undefined;
  return { start: Number(m[1]), end: Number(m[2]) + 1, total: m[3] === '*' ? undefined : Number(m[3]) };
}

const HUB_HEADERS = ['x-repo-commit', 'x-linked-size', 'x-linked-etag', 'etag'];

/**
 * One GET, retried. Redirects are followed by hand, at most 5; the Authorization header goes only
 * to the Hub endpoint's origin. The body is read with an idle timeout and checked for length.
 */
export async function httpGet(url: string, opts: GetOptions, tuning: HttpTuning = httpTuning()): Promise<GetResult> {
  if (offlineMode()) throw new RemoteError('remote-offline', `Offline mode (HF_HUB_OFFLINE / CHECKPOINT_LENS_OFFLINE) and ${shownUrl(url)} is not in the header cache.`);
  const signal = opts.signal ?? currentSignal();
  let last: RemoteError | undefined;
  for (let attempt = 1; attempt <= tuning.attempts; attempt++) {
    if (signal?.aborted) throw cancelled();
    if (attempt > 1) {
      remoteStats.retries++;
      const base = Math.min(8000, tuning.retryBaseMs * 2 ** (attempt - 2));
      await sleep(base + Math.random() * base * 0.25, signal);
    }
    try {
      return await attemptGet(url, opts, tuning, signal);
    } catch (e) {
      const re = e instanceof RemoteError ? e : new RemoteError('remote-network-error', `Network error: ${e instanceof Error ? e.message : String(e)}`, undefined, true);
      if (!re.retryable) throw re;
      last = re;
    }
  }
  throw last!;
}

/**
 * At most `concurrency` requests in flight per origin, whoever asks (shards, value samples, ZIP
 * local headers): a server sees a bounded load and a many-entry file cannot open 1,000 sockets.
 */
const slots = new Map<string, { busy: number; queue: Array<() => void> }>();
async function withSlot<T>(origin: string, limit: number, fn: () => Promise<T>): Promise<T> {
  let s = slots.get(origin);
  if (!s) slots.set(origin, (s = { busy: 0, queue: [] }));
  const st = s;
  if (st.busy >= limit) await new Promise<void>((r) => st.queue.push(r));
  else st.busy++;
  try {
    return await fn();
  } finally {
    const next = st.queue.shift();
    if (next) next(); // the slot passes straight to the next waiter
    else st.busy--;
  }
}

function attemptGet(url: string, opts: GetOptions, tuning: HttpTuning, signal: AbortSignal | undefined): Promise<GetResult> {
  return withSlot(new URL(url).origin, tuning.concurrency, () => attemptGetNow(url, opts, tuning, signal));
}

async function attemptGetNow(url: string, opts: GetOptions, tuning: HttpTuning, signal: AbortSignal | undefined): Promise<GetResult> {
  if (signal?.aborted) throw cancelled(); // cancelled while waiting for a slot
  const endpointOrigin = new URL(hubEndpoint()).origin;
  let token: string | undefined;
  let tokenAsked = false;
  const hub: Record<string, string> = {};
  let current = new URL(url);
  let hadToken = false;
  const ctl = new AbortController();
  const onAbort = () => ctl.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const arm = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timedOut = true;
      ctl.abort();
    }, tuning.timeoutMs);
  };
  try {
    for (let hop = 0; ; hop++) {
      if (hop > 5) throw new RemoteError('remote-too-many-redirects', `${shownUrl(url)} redirected more than 5 times.`);
      if (current.protocol !== 'https:' && current.protocol !== 'http:') throw new RemoteError('remote-bad-redirect', `${shownUrl(url)} redirected to a ${current.protocol} URL.`);
      if (current.protocol === 'http:' && !isLoopbackUrl(current)) remoteWarn('remote-insecure-http', `${current.host} is reached over plain http: anyone on the network can read or alter what it sends.`, `http:${current.host}`);
      const headers: Record<string, string> = { 'user-agent': 'checkpoint-lens', 'accept-encoding': 'identity' };
      if (opts.range) headers.range = `bytes=${opts.range[0]}-${opts.range[1] - 1}`;
      // The token is for the Hub endpoint only: never for a CDN, a mirror of the file, or any other host.
      if (current.origin === endpointOrigin && !tokenAsked) {
        token = await hubToken();
        tokenAsked = true;
      }
      const sendToken = token !== undefined && current.origin === endpointOrigin;
      if (sendToken) {
        headers.authorization = `Bearer ${token}`;
        hadToken = true;
        remoteStats.authSentTo.add(current.host);
      }
      arm();
      remoteStats.requests++;
      let res: Response;
      try {
        res = await fetch(current, { headers, redirect: 'manual', signal: ctl.signal });
      } catch (e) {
        if (signal?.aborted) throw cancelled();
        if (timedOut) throw new RemoteError('remote-timeout', `${shownUrl(current.href)} sent no response within ${tuning.timeoutMs} ms.`, undefined, true);
        const cause = (e as { cause?: { code?: string } }).cause?.code;
        const offline = cause === 'ENOTFOUND' || cause === 'EAI_AGAIN' || cause === 'ECONNREFUSED' || cause === 'ENETUNREACH' || cause === 'EHOSTUNREACH';
        throw new RemoteError(offline ? 'remote-offline' : 'remote-network-error', `${current.host} cannot be reached (${redact(cause ?? (e instanceof Error ? e.message : String(e)), token)}).`, undefined, true);
      }
      for (const h of HUB_HEADERS) {
        const v = res.headers.get(h);
        if (v !== null && hub[h] === undefined) hub[h] = v;
      }
      if (res.status >= 300 && res.status < 400 && res.status !== 304) {
        const loc = res.headers.get('location');
        await res.body?.cancel().catch(() => undefined);
        if (!loc) throw new RemoteError('remote-http-error', `${shownUrl(current.href)} answered ${res.status} without a Location.`, res.status);
        current = new URL(loc, current);
        continue;
      }
      if (res.status !== 200 && res.status !== 206) {
        await res.body?.cancel().catch(() => undefined);
        throw statusError(res.status, res.headers, current.href, opts.what, hadToken);
      }
      return await readBody(res, current.href, opts, hub, arm, signal, () => timedOut, tuning);
    }
  } finally {
    if (timer) clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

async function readBody(
  res: Response,
  finalUrl: string,
  opts: GetOptions,
  hub: Record<string, string>,
  arm: () => void,
  signal: AbortSignal | undefined,
  timedOut: () => boolean,
  tuning: HttpTuning,
): Promise<GetResult> {
  const contentType = res.headers.get('content-type') ?? '';
  const etag = res.headers.get('etag') ?? undefined;
  const shown = shownUrl(finalUrl);
  let total: number | undefined;
  let want: number;
  if (opts.range) {
    const [start, end] = opts.range;
    if (res.status === 206) {
      const cr = parseContentRange(res.headers.get('content-range'));
      if (!cr || cr.start !== start || cr.end > end) {
        await res.body?.cancel().catch(() => undefined);
        throw new RemoteError('remote-bad-range', `${shown} answered a range other than the one asked for (${res.headers.get('content-range') ?? 'no Content-Range'}).`);
      }
      total = cr.total;
      want = cr.end - cr.start; // shorter than asked only at the end of the file
    } else {
      // The server ignored Range and sends the whole file: fine from byte 0 (we stop reading early).
      const len = res.headers.get('content-length');
      total = len !== null && /^\d+$/.test(len) ? Number(len) : undefined;
      if (start !== 0) {
        await res.body?.cancel().catch(() => undefined);
        throw new RemoteError('remote-range-unsupported', `${shown} does not support range requests (it answered 200 to a ranged GET); it cannot be read in place.`);
      }
      want = Math.min(end, total ?? end);
    }
  } else {
    const len = res.headers.get('content-length');
    // A compressed body (fetch decompresses it) says nothing about the decoded length.
    const encoded = !/^(identity)?$/i.test((res.headers.get('content-encoding') ?? '').trim());
    total = len !== null && /^\d+$/.test(len) && !encoded ? Number(len) : undefined;
    if (total !== undefined && opts.maxBytes !== undefined && total > opts.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new RemoteError('remote-too-large', `${shown} is ${total} bytes, above the ${opts.maxBytes}-byte limit for this kind of file.`);
    }
    want = total ?? opts.maxBytes ?? 100 << 20;
  }
  if (/^text\/html/i.test(contentType)) {
    await res.body?.cancel().catch(() => undefined);
    throw new RemoteError('remote-html', `${shown} answered an HTML page, not a file: a login, error or viewer page? For the Hub, use the …/resolve/REV/PATH (or hf://) form.`);
  }
  if (opts.expectTotal !== undefined && total !== undefined && total !== opts.expectTotal) {
    await res.body?.cancel().catch(() => undefined);
    throw new RemoteError('remote-changed', `${shown} is now ${total} bytes, not ${opts.expectTotal}: the file changed while it was being read. Open it again.`);
  }
  if (opts.expectEtag !== undefined && etag !== undefined && weak(etag) !== weak(opts.expectEtag)) {
    await res.body?.cancel().catch(() => undefined);
    throw new RemoteError('remote-changed', `${shown} changed (ETag) while it was being read. Open it again.`);
  }
  // A body of unknown length grows as it comes (up to the limit); a known one is allocated once.
  let out = new Uint8Array(total !== undefined || opts.range ? want : Math.min(want, 1 << 20));
  let got = 0;
  const progress = context.getStore()?.onProgress;
  const reader = res.body?.getReader();
  try {
    while (reader && got < want) {
      arm();
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) throw cancelled();
        if (timedOut()) throw new RemoteError('remote-timeout', `${shown} stalled: no data for ${tuning.timeoutMs} ms after ${got} of ${want} bytes.`, undefined, true);
        throw new RemoteError('remote-short-response', `${shown}: the connection broke after ${got} of ${want} bytes (${e instanceof Error ? e.message : String(e)}).`, undefined, true);
      }
      if (chunk.done) break;
      const v = chunk.value;
      remoteStats.bytesReceived += v.length;
      const n = Math.min(v.length, want - got);
      if (got + n > out.length) {
        const bigger = new Uint8Array(Math.min(want, Math.max(out.length * 2, got + n)));
        bigger.set(out.subarray(0, got));
        out = bigger;
      }
      out.set(v.subarray(0, n), got);
      got += n;
      if (want > 4 << 20) progress?.({ url: shown, received: got, total: want });
    }
  } finally {
    await reader?.cancel().catch(() => undefined);
  }
  const whole = !opts.range && total === undefined;
  if (got < want && !whole) throw new RemoteError('remote-short-response', `${shown} sent ${got} bytes where ${want} were promised.`, undefined, true);
  if (whole && got >= want) throw new RemoteError('remote-too-large', `${shown} is larger than the ${want}-byte limit for this kind of file.`);
  return { status: res.status, body: got === out.length ? out : out.subarray(0, got), total: whole ? got : total, etag, contentType, finalUrl, hub };
}

const weak = (e: string) => e.replace(/^W\//, '');
