import { openRegular } from './openRegular.js';
import { readError, err, ok, type Result } from '../core/result.js';

export interface FileHead {
  readonly size: number;
  /** The first bytes (up to `bytes`), for recognising the format. */
  readonly head: Uint8Array;
}

/**
 * Stats a file and reads its first bytes, mapping the ways that can fail to reader error codes
 * (`file-not-found`, `not-a-file`, `io-error`, `file-empty`). Every format reader starts here.
 */
export async function readFileHead(path: string, name: string, bytes = 512): Promise<Result<FileHead>> {
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
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return err(readError('file-not-found', `${name} does not exist.`, name));
    if (code === 'EISDIR') return err(readError('not-a-file', `${name} is a directory.`, name));
    if (code === 'ENOTREG' || code === 'ENXIO') return err(readError('not-a-file', `${name} is not a regular file (a FIFO, device or socket); it is not opened.`, name));
    return err(readError('io-error', `${name} cannot be read (${code ?? String(e)}).`, name));
  }
}
