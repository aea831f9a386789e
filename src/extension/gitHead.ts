/**
 * HEAD's version of a file, written to a temp file for "Compare with HEAD". Uses the `git` CLI
 * through child_process (streamed: a checkpoint can be gigabytes, so never buffered in memory).
 * No `vscode` import. `git show` never smudges, so a Git LFS pointer in HEAD is passed through
 * `git lfs smudge` when git-lfs is installed (and the object is in the local LFS store); otherwise
 * the pointer is kept: the reader recognises it (`git-lfs-pointer`) and the panel explains it.
 */
import { execFile, spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';

export type HeadFile = { readonly ok: true; readonly path: string; readonly label: string; readonly dispose: () => Promise<void> } | { readonly ok: false; readonly code: string; readonly message: string };

function git(cwd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, maxBuffer: 1 << 20, windowsHide: true }, (e, stdout, stderr) => {
      const code = e ? (typeof (e as { code?: unknown }).code === 'number' ? ((e as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (e && (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'git not found' : '')) });
    });
  });
}

export async function headVersion(path: string): Promise<HeadFile> {
  const dir = dirname(path);
  const top = await git(dir, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0) return { ok: false, code: 'not-in-git', message: /not found/.test(top.stderr) ? 'git is not installed (or not on PATH).' : `${basename(path)} is not inside a git repository.` };
  const root = top.stdout.trim();
  const rel = relative(root, path).split(sep).join('/');
  const exists = await git(root, ['cat-file', '-e', `HEAD:${rel}`]);
  if (exists.code !== 0) return { ok: false, code: 'not-in-head', message: `${rel} is not in HEAD (new file, or no commit yet).` };
  const tmp = await mkdtemp(join(tmpdir(), 'checkpoint-lens-head-'));
  // Same name as the working file, so the reader picks the same format (sharded index, .bin…).
  const out = join(tmp, basename(path));
  const child = spawn('git', ['show', `HEAD:${rel}`], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()).length > 4096 && (stderr = stderr.slice(-4096)));
  const exit = new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
  try {
    await pipeline(child.stdout, createWriteStream(out));
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    return { ok: false, code: 'git-show-failed', message: e instanceof Error ? e.message : String(e) };
  }
  const code = await exit;
  if (code !== 0) {
    await rm(tmp, { recursive: true, force: true });
    return { ok: false, code: 'git-show-failed', message: `git show HEAD:${rel} failed: ${stderr.trim().slice(0, 500)}` };
  }
  if (await isLfsPointer(out)) await trySmudge(root, rel, out);
  return { ok: true, path: out, label: `HEAD:${rel}`, dispose: () => rm(tmp, { recursive: true, force: true }) };
}

const LFS_MAGIC = 'version https://git-lfs.github.com/spec/';

async function isLfsPointer(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size > 1024) return false; // pointers are ~130 bytes
    const buf = Buffer.alloc(LFS_MAGIC.length);
    await fh.read(buf, 0, buf.length, 0);
    return buf.toString('latin1') === LFS_MAGIC;
  } finally {
    await fh.close();
  }
}

/** Replaces the pointer file with the real object; leaves the pointer when git-lfs cannot. */
async function trySmudge(root: string, rel: string, pointer: string): Promise<void> {
  const real = `${pointer}.smudged`;
  const child = spawn('git', ['lfs', 'smudge', '--', rel], { cwd: root, stdio: ['pipe', 'pipe', 'ignore'], windowsHide: true });
  const exit = new Promise<number>((resolve) => {
    child.on('error', () => resolve(-1));
    child.on('close', (c) => resolve(c ?? -1));
  });
  try {
    await Promise.all([pipeline(createReadStream(pointer), child.stdin), pipeline(child.stdout, createWriteStream(real))]);
    if ((await exit) === 0 && !(await isLfsPointer(real))) await rename(real, pointer);
  } catch {
    /* git-lfs missing or the object is not fetched: keep the pointer, the reader explains it */
  } finally {
    await rm(real, { force: true });
  }
}
