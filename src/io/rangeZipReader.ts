import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { readRange, streamRange } from './fileRange.js';

/**
 * yauzl's random-access reader over any byte source (used for remote files, where there is no
 * file descriptor): the tail that holds the central directory is read once, every other read is a
 * ranged read of exactly the bytes yauzl asks for (a local header is 30 bytes).
 */
export class RangeZipReader extends yauzl.RandomAccessReader {
  private constructor(
    private readonly path: string,
    private readonly tail: Buffer,
    private readonly tailStart: number,
  ) {
    super();
  }

  static async open(path: string, size: number, tailBytes = 256 << 10): Promise<RangeZipReader> {
    const len = Math.min(size, tailBytes);
    const tail = Buffer.from(await readRange(path, size - len, size));
    if (tail.length !== len) throw new Error('unexpected end of file');
    return new RangeZipReader(path, tail, size - len);
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    if (position >= this.tailStart && position + length <= this.tailStart + this.tail.length) {
      this.tail.copy(buffer, offset, position - this.tailStart, position - this.tailStart + length);
      process.nextTick(callback, null);
      return;
    }
    readRange(this.path, position, position + length).then(
      (b) => {
        buffer.set(b, offset);
        callback(b.length < length ? new Error('unexpected end of file') : null);
      },
      (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(streamRange(this.path, start, end, 1 << 20), { objectMode: false });
  }

  override close(callback: (err: Error | null) => void): void {
    process.nextTick(callback, null);
  }
}
