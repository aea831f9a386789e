import { close, closeSync, createReadStream, fstatSync, open, openSync, read } from 'node:fs';
import { Readable } from 'node:stream';
import { inflateRawSync, createInflateRaw } from 'node:zlib';
import yauzl from 'yauzl';
import { err, ok, readError, CheckpointLensError, type Result } from '../../core/result.js';
import { readRange, streamRange } from '../../io/fileRange.js';
import { OPEN_READ_FLAGS } from '../../io/openRegular.js';
import { RangeZipReader } from '../../io/rangeZipReader.js';
import { isRemotePath } from '../../remote/ref.js';

/**
 * The entry table of a ZIP archive (PyTorch's torch.save / torch.jit.save container), read with
 * yauzl (maintained, zip64-aware, gives each entry's data offset via its local header) and then
 * validated for what matters to us: safe names, no duplicates, no overlapping data, sizes inside
 * the file and plausible compression ratios. Entry data is never read here.
 */
export interface ZipEntry {
  readonly name: string;
  /** 0 = stored (read in place), 8 = deflate. */
  readonly method: number;
  readonly compressedSize: number;
  readonly uncompressedSize: number;
  /** Absolute offset of the entry's (possibly compressed) data in the file. */
  readonly dataStart: number;
}

export interface ZipIndex {
  readonly path: string;
  readonly size: number;
  /** Bytes after the archive's end record (torch.load ignores them). */
  readonly trailingBytes?: number;
  readonly entries: ReadonlyMap<string, ZipEntry>;
}

export const ZIP_LIMITS = {
  maxEntries: 1_000_000,
  /** Deflate cannot exceed ~1032:1; anything claiming more is a bomb or corrupt. */
  maxRatio: 1100,
};

export async function readZipIndex(path: string, size: number, file: string): Promise<Result<ZipIndex>> {
  const r = await readZipIndexOnce(path, size, file);
  // Bytes after the end-of-central-directory record: yauzl refuses them ("Invalid comment
  // length"), torch.load reads the archive. Read the archive as if the file ended at the record.
  if (r.ok || !/comment length/i.test(r.error.message)) return r;
  const end = await endOfArchive(path, size);
  if (end === undefined || end >= size) return r;
  const again = await readZipIndexOnce(path, end, file);
  return again.ok ? ok({ ...again.value, size, trailingBytes: size - end }) : r;
}

/** Where the archive ends: just past the last end-of-central-directory record (and its comment) in the file's tail. */
async function endOfArchive(path: string, size: number): Promise<number | undefined> {
  const tailLen = Math.min(size, 65535 + 22 + 1024);
  const tail = await readRange(path, size - tailLen, size);
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail[i] === 0x50 && tail[i + 1] === 0x4b && tail[i + 2] === 0x05 && tail[i + 3] === 0x06) {
      const commentLen = tail[i + 20]! | (tail[i + 21]! << 8);
      const end = size - tailLen + i + 22 + commentLen;
      return end <= size ? end : undefined;
    }
  }
  return undefined;
}

async function readZipIndexOnce(path: string, size: number, file: string): Promise<Result<ZipIndex>> {
  let zip: yauzl.ZipFile;
  let reader: yauzl.RandomAccessReader | undefined;
  try {
    // A URL has no file descriptor: the same reader over ranged reads.
    reader = isRemotePath(path) ? await RangeZipReader.open(path, size) : await TailCachedReader.open(path, size);
    zip = await yauzl.fromRandomAccessReaderPromise(reader, size, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: true, strictFileNames: false });
  } catch (e) {
    reader?.close(() => undefined);
    return err(readError('zip-invalid', `The ZIP structure cannot be read (${e instanceof Error ? e.message : String(e)}): the file is truncated or corrupt.`, file));
  }
  try {
    if (zip.entryCount > ZIP_LIMITS.maxEntries) return err(readError('zip-too-many-entries', `The archive declares ${zip.entryCount} entries; above ${ZIP_LIMITS.maxEntries} is refused.`, file));
    const entries = new Map<string, ZipEntry>();
    const raw: yauzl.Entry[] = [];
    for (;;) {
      const e = await nextEntry(zip);
      if (e === undefined) break;
      raw.push(e);
    }
    // Local headers tell where each entry's data starts; read them all at once (one small read each).
    const starts: Array<number | Error> = [];
    for (let i = 0; i < raw.length; i += 1024) {
      const batch = raw.slice(i, i + 1024).map((e) => zip.readLocalFileHeaderPromise(e, { minimal: true }).then((h) => h.fileDataStart, (x: unknown) => (x instanceof Error ? x : new Error(String(x)))));
      starts.push(...(await Promise.all(batch)));
    }
    for (const [i, e] of raw.entries()) {
      const nameBytes = e.fileName as unknown as Buffer;
      const name = (e.generalPurposeBitFlag & 0x800 ? nameBytes.toString('utf8') : nameBytes.toString('latin1'));
      const unsafe = unsafeName(name);
      if (unsafe) return err(readError('zip-unsafe-entry-name', `Entry ${JSON.stringify(name)} ${unsafe}; a PyTorch archive never has one, so the file is refused.`, file));
      if (entries.has(name)) return err(readError('zip-duplicate-entry', `Entry ${JSON.stringify(name)} appears twice; which copy a reader uses is ambiguous, so the file is refused.`, file));
      if (e.generalPurposeBitFlag & 0x1) return err(readError('zip-encrypted', `Entry ${JSON.stringify(name)} is encrypted.`, file));
      if (e.compressionMethod !== 0 && e.compressionMethod !== 8) {
        return err(readError('zip-unsupported-compression', `Entry ${JSON.stringify(name)} uses compression method ${e.compressionMethod}; only stored and deflate are supported.`, file));
      }
      if (e.compressionMethod === 0 && e.compressedSize !== e.uncompressedSize) {
        return err(readError('zip-invalid', `Stored entry ${JSON.stringify(name)} has different compressed and uncompressed sizes.`, file));
      }
      if (e.compressionMethod === 8 && e.uncompressedSize > Math.max(1, e.compressedSize) * ZIP_LIMITS.maxRatio) {
        return err(readError('zip-bomb', `Entry ${JSON.stringify(name)} claims to inflate ${e.compressedSize} bytes to ${e.uncompressedSize} (ratio above ${ZIP_LIMITS.maxRatio}:1); refused as a zip bomb.`, file));
      }
      const dataStart = starts[i]!;
      if (dataStart instanceof Error) return err(readError('zip-invalid', `The local header of ${JSON.stringify(name)} cannot be read (${dataStart.message}).`, file));
      if (dataStart + e.compressedSize > size) {
        return err(readError('zip-entry-out-of-bounds', `Entry ${JSON.stringify(name)} claims data past the end of the file (truncated download?).`, file));
      }
      entries.set(name, { name, method: e.compressionMethod, compressedSize: e.compressedSize, uncompressedSize: e.uncompressedSize, dataStart });
    }
    const byStart = [...entries.values()].filter((x) => x.compressedSize > 0).sort((a, b) => a.dataStart - b.dataStart);
    for (let i = 1; i < byStart.length; i++) {
      const prev = byStart[i - 1]!;
      const cur = byStart[i]!;
      if (prev.dataStart + prev.compressedSize > cur.dataStart) {
        return err(readError('zip-overlapping-entries', `Entries ${JSON.stringify(prev.name)} and ${JSON.stringify(cur.name)} share bytes (an overlapping-entry zip bomb or a corrupt file).`, file));
      }
    }
    return ok({ path, size, entries });
  } catch (e) {
    return err(readError('zip-invalid', `The ZIP central directory is invalid (${e instanceof Error ? e.message : String(e)}).`, file));
  } finally {
    zip.close();
  }
}

/**
 * yauzl reads the central directory with two small reads per entry; serving those from one read of
 * the file's tail (where the directory is) makes opening a 1,000-tensor archive a few ms.
 */
class TailCachedReader extends yauzl.RandomAccessReader {
  private constructor(
    private readonly fd: number,
    private readonly tail: Buffer,
    private readonly tailStart: number,
  ) {
    super();
  }

  static async open(path: string, size: number): Promise<TailCachedReader> {
    const fd = await new Promise<number>((res, rej) => open(path, OPEN_READ_FLAGS, (e, f) => (e ? rej(e) : res(f))));
    const len = Math.min(size, 4 << 20);
    const tail = Buffer.alloc(len);
    await new Promise<void>((res, rej) => read(fd, tail, 0, len, size - len, (e) => (e ? rej(e) : res())));
    return new TailCachedReader(fd, tail, size - len);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    if (position >= this.tailStart && position + length <= this.tailStart + this.tail.length) {
      this.tail.copy(buffer, offset, position - this.tailStart, position - this.tailStart + length);
      process.nextTick(callback, null);
      return;
    }
    read(this.fd, buffer, offset, length, position, (e, n) => callback(e ?? (n < length ? new Error('unexpected end of file') : null)));
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return createReadStream('', { fd: this.fd, start, end: end - 1, autoClose: false });
  }

  override close(callback: (err: Error | null) => void): void {
    close(this.fd, (e) => callback(e ?? null));
  }
}

function nextEntry(zip: yauzl.ZipFile): Promise<yauzl.Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (e: yauzl.Entry) => (cleanup(), resolve(e));
    const onEnd = () => (cleanup(), resolve(undefined));
    const onError = (e: Error) => (cleanup(), reject(e));
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Why an entry name is unsafe (path traversal, absolute, NUL, backslash), or undefined. */
export function unsafeName(name: string): string | undefined {
  if (name.includes('\0')) return 'contains a NUL byte';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) return 'is an absolute path';
  if (name.split('/').includes('..')) return 'escapes the archive with ".."';
  return undefined;
}

/** Whole bytes of a small entry (a pickle, `version`), inflating if needed, within `maxBytes`. */
export async function readEntryBytes(index: ZipIndex, e: ZipEntry, maxBytes: number): Promise<Result<Uint8Array>> {
  const file = e.name;
  if (e.uncompressedSize > maxBytes) return err(readError('zip-entry-too-large', `${e.name} is ${e.uncompressedSize} bytes; above ${maxBytes} is refused.`, file));
  try {
    const raw = await readRange(index.path, e.dataStart, e.dataStart + e.compressedSize);
    if (raw.length !== e.compressedSize) return err(readError('zip-entry-out-of-bounds', `${e.name} is cut short (the file shrank?).`, file));
    if (e.method === 0) return ok(raw);
    const out = inflateRawSync(raw, { maxOutputLength: Math.max(1, e.uncompressedSize) });
    if (out.length !== e.uncompressedSize) return err(readError('zip-entry-size-mismatch', `${e.name} inflates to ${out.length} bytes, not the ${e.uncompressedSize} its header claims.`, file));
    return ok(out);
  } catch (x) {
    const msg = x instanceof Error ? x.message : String(x);
    if (x instanceof RangeError || /maxOutputLength|buffer/i.test(msg)) {
      return err(readError('zip-bomb', `${e.name} inflates to more than the ${e.uncompressedSize} bytes its header claims; refused.`, file));
    }
    return err(readError('zip-entry-corrupt', `${e.name} cannot be decompressed (${msg}).`, file));
  }
}

/**
 * Random access to the uncompressed bytes of a deflated entry, by streaming through inflate.
 * Sequential reads (how values are streamed) cost one pass; a backwards seek restarts the pass.
 * At most one inflate chunk is held, and the stream is closed after a short idle time.
 */
export class InflatedEntryReader {
  private iter: AsyncIterator<Buffer> | undefined;
  private stream: NodeJS.ReadableStream | undefined;
  private pos = 0; // uncompressed offset of `pending`'s first byte
  private pending: Buffer = Buffer.alloc(0);
  private idle: NodeJS.Timeout | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly path: string,
    private readonly entry: ZipEntry,
  ) {}

  /** Reads [start, end) of the uncompressed entry. Calls are serialised. */
  read(start: number, end: number): Promise<Uint8Array> {
    const p = this.queue.then(() => this.readNow(start, end));
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async readNow(start: number, end: number): Promise<Uint8Array> {
    if (this.idle) clearTimeout(this.idle);
    if (start < 0 || end > this.entry.uncompressedSize || start > end) throw new CheckpointLensError('range-invalid', `range ${start}..${end} is outside ${this.entry.name}`);
    if (start === end) return new Uint8Array(0);
    if (!this.iter || start < this.pos) this.restart();
    const out = Buffer.allocUnsafe(end - start);
    let filled = 0;
    try {
      while (filled < out.length) {
        // Drop what lies before `start + filled`.
        const want = start + filled;
        if (want >= this.pos + this.pending.length) {
          this.pos += this.pending.length;
          this.pending = Buffer.alloc(0);
          const n = await this.iter!.next();
          if (n.done) throw new CheckpointLensError('zip-entry-size-mismatch', `${this.entry.name} inflates to fewer bytes than its header claims.`);
          this.pending = n.value;
          if (this.pos + this.pending.length > this.entry.uncompressedSize) throw new CheckpointLensError('zip-bomb', `${this.entry.name} inflates to more bytes than its header claims.`);
          continue;
        }
        const from = want - this.pos;
        const take = Math.min(this.pending.length - from, out.length - filled);
        this.pending.copy(out, filled, from, from + take);
        filled += take;
      }
    } catch (e) {
      this.close();
      if (e instanceof CheckpointLensError) throw e;
      throw new CheckpointLensError('zip-entry-corrupt', `${this.entry.name} cannot be decompressed (${e instanceof Error ? e.message : String(e)}).`);
    }
    this.idle = setTimeout(() => this.close(), 2000);
    this.idle.unref();
    return out;
  }

  private restart(): void {
    this.close();
    const src = isRemotePath(this.path)
      ? Readable.from(streamRange(this.path, this.entry.dataStart, this.entry.dataStart + this.entry.compressedSize, 1 << 20), { objectMode: false })
      : createReadStream('', { fd: openRegularSync(this.path), start: this.entry.dataStart, end: this.entry.dataStart + this.entry.compressedSize - 1, highWaterMark: 1 << 20 });
    const inflate = createInflateRaw({ chunkSize: 1 << 20 });
    src.on('error', (e: Error) => inflate.destroy(e));
    const s = src.pipe(inflate);
    this.stream = s;
    this.iter = s[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    this.pos = 0;
    this.pending = Buffer.alloc(0);
  }

  close(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
    const s = this.stream as (NodeJS.ReadableStream & { destroy?: () => void }) | undefined;
    s?.destroy?.();
    this.stream = undefined;
    this.iter = undefined;
  }
}

/** A descriptor for a regular file, opened without blocking (see io/openRegular.ts); throws otherwise. */
function openRegularSync(path: string): number {
  const fd = openSync(path, OPEN_READ_FLAGS);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new CheckpointLensError('not-a-file', `${path} is no longer a regular file`);
  }
  return fd;
}
