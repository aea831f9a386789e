import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';

/**
 * Opens a file for reading only if it is a regular file. The open itself never blocks: with
 * O_NONBLOCK a FIFO opens at once instead of waiting for a writer (and O_NONBLOCK changes nothing
 * for regular files), and the type is checked on the open handle, so a path swapped for a FIFO,
 * a device or a socket after an earlier check is refused too. Throws an error with code
 * `ENOTREG` for anything but a regular file.
 */
export const OPEN_READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export async function openRegular(path: string): Promise<FileHandle> {
  const fh = await open(path, OPEN_READ_FLAGS);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file (a FIFO, device, socket or directory)`), { code: st.isDirectory() ? 'EISDIR' : 'ENOTREG' });
    return fh;
  } catch (e) {
    await fh.close();
    throw e;
  }
}
