import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the Hub is, who we are on it, and where headers are cached. Everything comes from the
 * environment the way huggingface_hub reads it (HF_ENDPOINT, HF_TOKEN, HF_HOME, the token file),
 * plus two of our own (CHECKPOINT_LENS_CACHE_DIR, CHECKPOINT_LENS_OFFLINE). The editor replaces
 * the token provider with its SecretStorage.
 */
export const DEFAULT_ENDPOINT = 'https://huggingface.co';

export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  const e = (env.HF_ENDPOINT ?? '').trim();
  return (e || DEFAULT_ENDPOINT).replace(/\/+$/, '');
}

/** Origins treated as the Hub: the configured endpoint, and huggingface.co / hf.co as users paste them. */
export function isHubOrigin(origin: string, env: NodeJS.ProcessEnv = process.env): boolean {
  return origin === new URL(hubEndpoint(env)).origin || origin === DEFAULT_ENDPOINT || origin === 'https://hf.co';
}

type TokenProvider = () => string | undefined | Promise<string | undefined>;
let tokenProvider: TokenProvider | undefined;

/** The editor sets this to read VS Code SecretStorage first; undefined restores the default. */
export function setTokenProvider(p: TokenProvider | undefined): void {
  tokenProvider = p;
}

/** HF_TOKEN (or the older HUGGING_FACE_HUB_TOKEN), else the file huggingface_hub's `login` writes. */
export function envToken(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const direct = (env.HF_TOKEN ?? env.HUGGING_FACE_HUB_TOKEN ?? '').trim();
  if (direct) return direct;
  const files = [env.HF_TOKEN_PATH, env.HF_HOME ? join(env.HF_HOME, 'token') : undefined, join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'huggingface', 'token')];
  for (const f of files) {
    if (!f) continue;
    try {
      const t = readFileSync(f, 'utf8').trim();
      if (t) return t;
    } catch {
      // absent or unreadable: try the next place
    }
  }
  return undefined;
}

export async function hubToken(): Promise<string | undefined> {
  if (tokenProvider) {
    const t = await tokenProvider();
    if (t) return t;
  }
  return envToken();
}

/** `$CHECKPOINT_LENS_CACHE_DIR`, else `$XDG_CACHE_HOME/checkpoint-lens`, else `~/.cache/checkpoint-lens`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.CHECKPOINT_LENS_CACHE_DIR !== undefined) return env.CHECKPOINT_LENS_CACHE_DIR.trim() || undefined; // '' disables the cache
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'checkpoint-lens');
}

/** HF_HUB_OFFLINE=1 or CHECKPOINT_LENS_OFFLINE=1: no network at all, cached headers only. */
export function offlineMode(env: NodeJS.ProcessEnv = process.env): boolean {
  return [env.HF_HUB_OFFLINE, env.CHECKPOINT_LENS_OFFLINE].some((v) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim()));
}

export interface HttpTuning {
  /** No response headers, or no body bytes, for this long: the attempt fails (retried). */
  readonly timeoutMs: number;
  /** Attempts per request for 5xx/429/timeouts/network errors. */
  readonly attempts: number;
  /** Backoff before retry n is base·2^(n-1) (capped at 8 s), plus jitter. */
  readonly retryBaseMs: number;
  /** Parallel shard reads at most. */
  readonly concurrency: number;
}

const int = (v: string | undefined, dflt: number, min: number, max: number): number => {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n >= min && n <= max ? n : dflt;
};

export function httpTuning(env: NodeJS.ProcessEnv = process.env): HttpTuning {
  return {
    timeoutMs: int(env.CHECKPOINT_LENS_HTTP_TIMEOUT_MS, 30_000, 10, 600_000),
    attempts: int(env.CHECKPOINT_LENS_HTTP_ATTEMPTS, 4, 1, 10),
    retryBaseMs: int(env.CHECKPOINT_LENS_HTTP_RETRY_MS, 500, 0, 60_000),
    concurrency: int(env.CHECKPOINT_LENS_HTTP_CONCURRENCY, 8, 1, 64),
  };
}

/** Removes a token from any text before it is shown (defence in depth: we never put it there). */
export function redact(text: string, token: string | undefined): string {
  return token && token.length >= 4 ? text.split(token).join('***') : text;
}
