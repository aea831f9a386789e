import { err, ok, readError, type Result } from '../core/result.js';
import { hubEndpoint, isHubOrigin } from './config.js';

/**
 * What a user typed where a path is accepted, when it is not a local path:
 *   hf://ORG/NAME[@REV][/PATH]
 *   https://huggingface.co/ORG/NAME[/tree/REV[/DIR]]            (a repository)
 *   https://huggingface.co/ORG/NAME/blob|resolve/REV/PATH        (a file)
 *   https://… or http://… of any file                            (a plain URL)
 * Hub references are rewritten to the endpoint's `resolve` URL, which is what `path` shows and what
 * the readers pass around (its siblings are the files of the same revision).
 */
export type RemoteRef =
  | { readonly kind: 'hub-file'; readonly endpoint: string; readonly repo: string; readonly revision: string; readonly file: string; readonly url: string }
  | { readonly kind: 'hub-repo'; readonly endpoint: string; readonly repo: string; readonly revision: string; readonly dir: string; readonly url: string }
  | { readonly kind: 'url'; readonly url: string };

const SCHEME_RE = /^(hf|https?):\/\//i;

/** True for anything the remote layer handles (hf://, http://, https://). */
export function isRemotePath(p: string): boolean {
  return SCHEME_RE.test(p);
}

const REPO_PART = /^[A-Za-z0-9][A-Za-z0-9._-]{0,95}$/;

export function encodePath(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

export function hubFileUrl(endpoint: string, repo: string, revision: string, file: string): string {
  return `${endpoint}/${repo}/resolve/${encodeURIComponent(revision)}/${encodePath(file)}`;
}

function hubRef(repo: string, revision: string, rest: string | undefined, kind: 'file' | 'dir'): Result<RemoteRef> {
  const endpoint = hubEndpoint();
  const parts = repo.split('/');
  if (parts.length !== 2 || !parts.every((x) => REPO_PART.test(x)) || parts.some((x) => x.includes('..'))) {
    return err(readError('remote-bad-url', `${JSON.stringify(repo)} is not a Hub repository id (ORG/NAME).`));
  }
  if (!revision || revision.includes('..') || /[\s\0]/.test(revision)) return err(readError('remote-bad-url', `${JSON.stringify(revision)} is not a revision.`));
  const path = (rest ?? '').replace(/^\/+|\/+$/g, '');
  if (path.split('/').some((s) => s === '..' || s === '.') || path.includes('\0')) return err(readError('remote-bad-url', `${JSON.stringify(path)} is not a file path inside the repository.`));
  if (kind === 'dir' || path === '') return ok({ kind: 'hub-repo', endpoint, repo, revision, dir: path, url: `${endpoint}/${repo}/tree/${encodeURIComponent(revision)}${path ? '/' + encodePath(path) : ''}` });
  return ok({ kind: 'hub-file', endpoint, repo, revision, file: path, url: hubFileUrl(endpoint, repo, revision, path) });
}

const safeDecode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
};

export function parseRemoteRef(input: string): Result<RemoteRef> {
  const text = input.trim();
  if (/^hf:\/\//i.test(text)) {
    // hf://ORG/NAME[@REV][/PATH]; a revision with slashes is written URL-encoded (refs%2Fpr%2F1).
    const m = /^hf:\/\/([^/@]+)\/([^/@]+)(?:@([^/]+))?(\/.*)?$/i.exec(text);
    if (!m) return err(readError('remote-bad-url', `${JSON.stringify(text)} is not hf://ORG/NAME[@REVISION][/PATH].`));
    const rev = safeDecode(m[3] ?? 'main');
    const rest = safeDecode(m[4] ?? '');
    if (rev === undefined || rest === undefined) return err(readError('remote-bad-url', `${JSON.stringify(text)} has a malformed %-escape.`));
    return hubRef(`${m[1]}/${m[2]}`, rev, rest, 'file');
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return err(readError('remote-bad-url', `${JSON.stringify(text)} is not a valid URL.`));
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return err(readError('remote-bad-url', `${u.protocol} URLs are not supported (https, http, hf).`));
  if (u.username || u.password) return err(readError('remote-bad-url', 'URLs with a user name or password are refused (use HF_TOKEN for the Hub).'));
  if (isHubOrigin(u.origin)) {
    const segs = u.pathname.split('/').filter((s) => s !== '');
    // /ORG/NAME, /ORG/NAME/tree/REV[/DIR], /ORG/NAME/blob|resolve/REV/PATH
    if (segs.length === 2) return hubRef(`${segs[0]}/${segs[1]}`, 'main', '', 'dir');
    if (segs.length >= 4 && (segs[2] === 'tree' || segs[2] === 'blob' || segs[2] === 'resolve')) {
      const decoded = segs.map(safeDecode);
      if (decoded.some((s) => s === undefined)) return err(readError('remote-bad-url', `${JSON.stringify(text)} has a malformed %-escape.`));
      const d = decoded as string[];
      return hubRef(`${d[0]}/${d[1]}`, d[3]!, d.slice(4).join('/'), segs[2] === 'tree' ? 'dir' : 'file');
    }
    if (segs[0] !== 'api') return err(readError('remote-bad-url', `${JSON.stringify(text)} is a Hub page that is neither a repository, a tree nor a file (…/ORG/NAME/blob/REV/PATH).`));
  }
  u.hash = '';
  return ok({ kind: 'url', url: u.toString() });
}

/** The repository a Hub resolve URL belongs to, or undefined for other URLs. */
export function hubFileOf(url: string): Extract<RemoteRef, { kind: 'hub-file' }> | undefined {
  if (!/^https?:\/\//i.test(url)) return undefined;
  const r = parseRemoteRef(url);
  return r.ok && r.value.kind === 'hub-file' ? r.value : undefined;
}
