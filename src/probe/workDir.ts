import { link, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * The directory the generated model lives in while a session is created. ORT only accepts
 * external-data locations inside the model's directory and resolves symlinks (so a symlink to the
 * checkpoint is rejected), but a hard link is the same file: the checkpoint is referenced in place
 * and mmapped, never copied. Hard links need the same filesystem, so when the cache is elsewhere
 * we try a hidden temporary directory beside the checkpoint, and only then fall back to reading
 * the needed tensors into memory. The directory is removed when the probe ends.
 */
export interface WorkDir {
  readonly dir: string;
  /** Absolute checkpoint file → link name inside `dir`. */
  readonly linked: ReadonlyMap<string, string>;
  /** Files that could not be linked (their tensors are read into memory), with the reason. */
  readonly notLinked: readonly { readonly file: string; readonly reason: string }[];
  writeModel(bytes: Uint8Array): Promise<string>;
  /** Writes a data file beside the model (name without directories). */
  writeFile(name: string, bytes: Uint8Array): Promise<void>;
  dispose(): Promise<void>;
}

export function defaultCacheRoot(): string {
  const base =
    process.platform === 'win32'
      ? process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local')
      : process.platform === 'darwin'
        ? join(homedir(), 'Library', 'Caches')
        : process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(base || tmpdir(), 'checkpoint-lens', 'probe');
}

async function tryDir(parent: string, prefix: string): Promise<string | undefined> {
  try {
    await mkdir(parent, { recursive: true });
    return await mkdtemp(join(parent, prefix));
  } catch {
    return undefined;
  }
}

async function linkAll(dir: string, files: readonly string[]) {
  const linked = new Map<string, string>();
  const failed: { file: string; reason: string; code: string }[] = [];
  for (const [i, f] of files.entries()) {
    const name = `w${i}-${basename(f).replace(/[^A-Za-z0-9._-]/g, '_')}`;
    try {
      await link(f, join(dir, name));
      linked.set(f, name);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'ERR';
      failed.push({ file: f, reason: `${code}: ${(e as Error).message}`, code });
    }
  }
  return { linked, failed };
}

/** Work dirs left by a killed run (no chance to clean up) are removed by the next run after a day. */
const STALE_MS = 24 * 3600 * 1000;

async function removeStale(cacheRoot: string): Promise<void> {
  try {
    for (const name of await readdir(cacheRoot)) {
      if (!name.startsWith('run-')) continue;
      const p = join(cacheRoot, name);
      if (Date.now() - (await stat(p)).mtimeMs > STALE_MS) await rm(p, { recursive: true, force: true });
    }
  } catch {
    // Best effort: a missing or unreadable cache root is not an error.
  }
}

export async function prepareWorkDir(files: readonly string[], cacheRoot = defaultCacheRoot()): Promise<WorkDir> {
  await removeStale(cacheRoot);
  const dirs: string[] = [];
  let dir = (await tryDir(cacheRoot, 'run-')) ?? (await tryDir(tmpdir(), 'checkpoint-lens-probe-'));
  if (!dir) throw new Error(`cannot create a work directory under ${cacheRoot} or ${tmpdir()}`);
  dirs.push(dir);
  let { linked, failed } = await linkAll(dir, files);
  // Another filesystem: retry beside the checkpoint (same filesystem by construction).
  if (failed.length > 0 && failed.every((f) => f.code === 'EXDEV') && files.length > 0) {
    const beside = await tryDir(dirname(files[0]!), '.checkpoint-lens-probe-');
    if (beside) {
      dirs.push(beside);
      const again = await linkAll(beside, files);
      if (again.linked.size > linked.size) {
        dir = beside;
        linked = again.linked;
        failed = again.failed;
      }
    }
  }
  const modelDir = dir;
  return {
    dir: modelDir,
    linked,
    notLinked: failed.map(({ file, reason }) => ({ file, reason })),
    async writeModel(bytes) {
      const p = join(modelDir, 'clip_probe.onnx');
      await writeFile(p, bytes);
      return p;
    },
    async writeFile(name, bytes) {
      await writeFile(join(modelDir, basename(name)), bytes);
    },
    async dispose() {
      for (const d of dirs) await rm(d, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
