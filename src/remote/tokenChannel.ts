import { setTokenProvider } from './config.js';

/**
 * The editor keeps the Hub token in VS Code SecretStorage, on the extension host. Worker threads
 * (where checkpoints are read) ask the host for it over a BroadcastChannel when a Hub request
 * needs it; the token never travels in a request, a log line or a webview message.
 */
const CHANNEL = 'checkpoint-lens:hf-token';

/**
 * How many times the host's token changed (set or cleared). The host stamps it on every worker
 * request, so a worker forgets what it read with the old token before it runs the first request
 * sent after the change — the `changed` broadcast alone may arrive after that request.
 */
let epoch = 0;
export function hubTokenEpoch(): number {
  return epoch;
}

type Msg = { type: 'ask'; id: string } | { type: 'token'; id: string; token: string | null } | { type: 'changed'; epoch: number };

/**
 * Host side: answer workers' questions with the current token (or null). `changed()` tells every
 * worker to forget the token it memoised (and what it read with it): call it when the token is set
 * or cleared, so a retry after "gated: set a token" uses the new one at once.
 */
export function serveHubToken(get: () => Promise<string | undefined>): { dispose(): void; changed(): void } {
  const ch = new BroadcastChannel(CHANNEL);
  ch.onmessage = (ev: MessageEvent) => {
    const m = ev.data as Msg;
    if (m?.type !== 'ask') return;
    void get().then(
      (token) => ch.postMessage({ type: 'token', id: m.id, token: token ?? null } satisfies Msg),
      () => ch.postMessage({ type: 'token', id: m.id, token: null } satisfies Msg),
    );
  };
  (ch as unknown as { unref?: () => void }).unref?.();
  return {
    dispose: () => ch.close(),
    changed: () => {
      epoch++;
      ch.postMessage({ type: 'changed', epoch } satisfies Msg);
    },
  };
}

/**
 * Worker side: the token comes from the host (falling back to HF_TOKEN / the token file).
 * `onChanged` runs when the host says the token changed (drop what was read with the old one).
 * The returned `seeEpoch` takes the epoch stamped on a request (`hubTokenEpoch` on the host) and
 * forgets the same way when it is newer than the last one seen.
 */
export function useTokenFromHost(timeoutMs = 2000, onChanged?: () => void, onTimeout?: (ms: number) => void): { seeEpoch(e: unknown): void } {
  let n = 0;
  let memo: { at: number; token: Promise<string | undefined> } | undefined;
  let seen = 0;
  const forget = () => {
    memo = undefined;
    onChanged?.();
  };
  const news = new BroadcastChannel(CHANNEL);
  // One forget per change, whichever comes first — the stamp on a request or the broadcast. A
  // broadcast arriving after the stamp must not forget again: that would drop the sources of the
  // open already running with the new token (it then ended `cancelled`).
  const see = (e: unknown) => {
    if (typeof e !== 'number' || !Number.isFinite(e) || e <= seen) return;
    seen = e;
    forget();
  };
  news.onmessage = (ev: MessageEvent) => {
    const m = ev.data as Msg;
    if (m?.type === 'changed') see(m.epoch);
  };
  (news as unknown as { unref?: () => void }).unref?.();
  const ask = () =>
      new Promise<string | undefined>((resolve) => {
        const ch = new BroadcastChannel(CHANNEL);
        const id = `${process.pid}-${Date.now()}-${n++}`;
        const done = (t: string | undefined) => {
          clearTimeout(timer);
          ch.close();
          resolve(t);
        };
        const timer = setTimeout(() => {
          onTimeout?.(timeoutMs);
          done(undefined);
        }, timeoutMs);
        ch.onmessage = (ev: MessageEvent) => {
          const m = ev.data as Msg;
          if (m?.type === 'token' && m.id === id) done(m.token ?? undefined);
        };
        ch.postMessage({ type: 'ask', id } satisfies Msg);
      });
  // One question per minute at most (a 200-shard open makes hundreds of Hub requests).
  // "No token" is not remembered: a token set after a gated refusal is used by the next request.
  setTokenProvider(() => {
    if (!memo || Date.now() - memo.at > 60_000) {
      const entry = { at: Date.now(), token: ask() };
      memo = entry;
      void entry.token.then((t) => {
        if (!t && memo === entry) memo = undefined;
      });
    }
    return memo.token;
  });
  return { seeEpoch: see };
}
