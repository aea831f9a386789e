import { openRegular } from './openRegular.js';
import { readError, err, ok, CheckpointLensError, type Result } from '../core/result.js';
import { isRemotePath } from '../remote/ref.js';
import { remoteSource } from '../remote/source.js';

export interface FileHead {
  readonly size: number;
  /** The first bytes (up to `bytes`), for recognising the format. */
  readonly head: Uint8Array;
}

/** A remote failure (stable `remote-*` code) as a reader error. */
function remoteFailure(e: unknown, name: string): Result<never> {
  if (e instanceof CheckpointLensError) return err(readError(e.code, `${name}: ${e.message}`, name));
  return err(readError('io-error', `${name} cannot be read (${String(e)}).`, name));
}

/**
 * Stats a file and reads its first bytes, mapping the ways that can fail to reader error codes
 * (`file-not-found`, `not-a-file`, `io-error`, `file-empty`, and the `remote-*` codes for URLs).
 * Every format reader starts here.
 */
export async function readFileHead(path: string, name: string, bytes = 512): Promise<Result<FileHead>> {
  if (isRemotePath(path)) {
    try {
      const src = remoteSource(path);
      await src.revalidate(); // an open sees the current version (after the revision TTL)
      const size = await src.size();
      if (size === 0) return err(readError('file-empty', `${name} is empty (0 bytes).`, name));
      return ok({ size, head: await src.read(0, Math.min(size, bytes)) });
    } catch (e) {
      return remoteFailure(e, name);
    }
  }
  try {
    const fh = await openRegular(path);
    try {
      const st = await fh.stat();
      if (st.size === 0) return err(readError('file-empty', `${name} is empty (0 bytes).`, name));
      const head = new Uint8Array(Math.min(st.size, bytes));
      const { bytesRead } = await fh.read(head, 0, head.length, 0);
      return ok({ size: st.size, head: head.subarray(0, bytesRead) });
    } finally {
      await fh.close();
    }
  } catch (e) {
    return localOpenFailure(e, name);
  }
}

/**
 * A whole small file (index JSON, config JSON), local or remote, refused above `maxBytes`
 * (`file-too-large`). Codes: `file-not-found` (local), `remote-file-not-found`, `io-error`, `remote-*`.
 */
export async function readSmallFile(path: string, name: string, maxBytes: number): Promise<Result<Uint8Array>> {
  if (isRemotePath(path)) {
    try {
      const src = remoteSource(path);
      const size = await src.size();
      if (size > maxBytes) return err(readError('file-too-large', `${name} is ${size} bytes, above the ${maxBytes}-byte limit.`, name));
      const bytes = await src.read(0, size);
      if (bytes.length !== size) return err(readError('remote-short-response', `${name}: got ${bytes.length} of ${size} bytes.`, name));
      return ok(bytes);
    } catch (e) {
      return remoteFailure(e, name);
    }
  }
  try {
    // Opened only if regular: an index or config that is a FIFO or device must not block.
    const fh = await openRegular(path);
    try {
      const st = await fh.stat();
      if (st.size > maxBytes) return err(readError('file-too-large', `${name} is ${st.size} bytes, above the ${maxBytes}-byte limit.`, name));
      return ok(new Uint8Array(await fh.readFile()));
    } finally {
      await fh.close();
    }
  } catch (e) {
    return localOpenFailure(e, name);
  }
}

/** A failed local open or read as a reader error: missing, not a regular file (never opened blocking), or I/O. */
function localOpenFailure(e: unknown, name: string): Result<never> {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return err(readError('file-not-found', `${name} does not exist.`, name));
  if (code === 'EISDIR') return err(readError('not-a-file', `${name} is a directory.`, name));
  if (code === 'ENOTREG' || code === 'ENXIO') return err(readError('not-a-file', `${name} is not a regular file (a FIFO, device or socket); it is not opened.`, name));
  return err(readError('io-error', `${name} cannot be read (${code ?? String(e)}).`, name));
}
