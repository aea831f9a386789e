import { stat, type FileHandle } from 'node:fs/promises';
import { openRegular } from './openRegular.js';
import { isRemotePath } from '../remote/ref.js';
import { remoteSource } from '../remote/source.js';
import type { ByteSource } from './byteSource.js';

/** The byte source for a path: the local file, or the remote file an http(s)/hf URL names. */
export function sourceFor(path: string): ByteSource {
  return isRemotePath(path) ? remoteSource(path) : new LocalFileSource(path);
}

export class LocalFileSource implements ByteSource {
  constructor(readonly path: string) {}
  async size(): Promise<number> {
    return (await stat(this.path)).size;
  }
  read(start: number, end: number): Promise<Uint8Array> {
    return readLocalRange(this.path, start, end);
  }
  stream(start: number, end: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
    return streamLocalRange(this.path, start, end, chunkBytes);
  }
}

/** Reads [start, end) of a file. Short reads (file shrank) return fewer bytes; callers check. */
export async function readRange(path: string, start: number, end: number): Promise<Uint8Array> {
  return isRemotePath(path) ? remoteSource(path).read(start, end) : readLocalRange(path, start, end);
}

async function readLocalRange(path: string, start: number, end: number): Promise<Uint8Array> {
  const length = Math.max(0, end - start);
  const fh = await openRegular(path);
  try {
    // A fresh, unpooled array: callers may take `.buffer` of the result.
    const buf = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const { bytesRead } = await fh.read(buf, got, length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === length ? buf : buf.subarray(0, got);
  } finally {
    await fh.close();
  }
}

export async function fileSize(path: string): Promise<number> {
  return sourceFor(path).size();
}

/**
 * Streams [start, end) of a file in chunks of at most `chunkBytes`, double-buffered: the read of
 * the next chunk is in flight while the consumer works on the current one, so disk and CPU
 * overlap on a cold cache. The yielded view is only valid until the next iteration (two buffers,
 * bounded memory by design).
 */
export function streamRange(path: string, start: number, end: number, chunkBytes = 8 << 20): AsyncGenerator<Uint8Array> {
  return isRemotePath(path) ? remoteSource(path).stream(start, end, chunkBytes) : streamLocalRange(path, start, end, chunkBytes);
}

async function* streamLocalRange(path: string, start: number, end: number, chunkBytes: number): AsyncGenerator<Uint8Array> {
  const fh = await openRegular(path);
  let pending: Promise<Uint8Array> | undefined;
  try {
    const size = Math.max(1, Math.min(chunkBytes, end - start));
    const buffers = [new Uint8Array(size), new Uint8Array(size)] as const;
    const readInto = async (buf: Uint8Array, at: number, want: number): Promise<Uint8Array> => {
      let got = 0;
      while (got < want) {
        const { bytesRead } = await fh.read(buf, got, want - got, at + got);
        if (bytesRead === 0) throw new Error(`unexpected end of file at byte ${at + got} (the file shrank while reading?)`);
        got += bytesRead;
      }
      return buf.subarray(0, want);
    };
    let pos = start;
    let which = 0;
    pending = pos < end ? readInto(buffers[0], pos, Math.min(size, end - pos)) : undefined;
    while (pending) {
      const chunk = await pending;
      pos += chunk.length;
      which ^= 1;
      pending = pos < end ? readInto(buffers[which as 0 | 1], pos, Math.min(size, end - pos)) : undefined;
      yield chunk;
    }
  } finally {
    // A consumer that stops early must not close the handle under a read still in flight.
    await pending?.catch(() => undefined);
    await fh.close();
  }
}

/**
 * Keeps one handle open per file for a burst of small reads (e.g. the value checks' ~1,500
 * samples), instead of an open/close per read. The owner closes it when the burst ends, so a
 * file replaced on disk afterwards is never read through a stale handle.
 */
export class FileReaderPool {
  private readonly handles = new Map<string, Promise<FileHandle>>();

  async read(path: string, start: number, end: number): Promise<Uint8Array> {
    // Remote sources are shared per URL (and keep their own block cache): nothing to hold open.
    if (isRemotePath(path)) return remoteSource(path).read(start, end);
    let h = this.handles.get(path);
    if (!h) {
      h = openRegular(path);
      this.handles.set(path, h);
    }
    const fh = await h;
    const out = new Uint8Array(Math.max(0, end - start));
    let got = 0;
    while (got < out.length) {
      const { bytesRead } = await fh.read(out, got, out.length - got, start + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return got === out.length ? out : out.subarray(0, got);
  }

  async close(): Promise<void> {
    const all = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(all.map(async (h) => (await h.catch(() => undefined))?.close()));
  }
}
