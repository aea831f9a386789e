import { dirname, join } from 'node:path';
import { encodePath, isRemotePath } from '../remote/ref.js';

/**
 * Path arithmetic that also works on URLs (`path.join` would fold `https://` into `https:/`).
 * A remote "directory" is the URL up to its last slash; its children are resolved as URLs.
 */
export function dirOf(path: string): string {
  if (!isRemotePath(path)) return dirname(path);
  return path.slice(0, path.lastIndexOf('/') + 1);
}

export function childOf(dir: string, name: string): string {
  if (!isRemotePath(dir)) return join(dir, name);
  return new URL(encodePath(name), dir.endsWith('/') ? dir : `${dir}/`).toString();
}

/** A file next to `path` (a shard next to its index, a config next to a checkpoint). */
export function siblingOf(path: string, name: string): string {
  return childOf(dirOf(path), name);
}

/** The last path segment, decoded for URLs. */
export function baseNameOf(path: string): string {
  if (!isRemotePath(path)) return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const seg = path.replace(/[?#].*$/, '').split('/').pop() ?? '';
  try {
    return decodeURIComponent(seg);
  } catch {
    return seg;
  }
}
