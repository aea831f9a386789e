import type { TensorInfo } from '../core/checkpoint.js';
import { CheckpointLensError } from '../core/result.js';
import { tensorByteChunks, tensorValueChunks, type ValueStreamOptions } from '../core/values.js';

/** Bytes of several tensors back to back (a dim-0 concat is exactly that in row-major order). */
export async function* concatByteChunks(sources: readonly TensorInfo[], opts: ValueStreamOptions): AsyncGenerator<Uint8Array> {
  for (const t of sources) yield* tensorByteChunks(t, opts);
}

/** Decoded values of several tensors back to back. */
export async function* concatValueChunks(sources: readonly TensorInfo[], opts: ValueStreamOptions): AsyncGenerator<Float32Array> {
  for (const t of sources) yield* tensorValueChunks(t, opts);
}

type View = Uint8Array | Float32Array;

/**
 * Zips two chunk streams into pieces of equal length, whatever each side's chunk boundaries
 * (different dtypes, shard or concat boundaries). Pieces are views into the generators' reused
 * buffers: valid until the consumer asks for the next piece. When both sides need a refill,
 * both reads are issued together so the two files are read concurrently.
 */
export async function* zipAligned<T extends View>(ga: AsyncGenerator<T>, gb: AsyncGenerator<T>): AsyncGenerator<[T, T]> {
  let ca: T | undefined;
  let cb: T | undefined;
  let oa = 0;
  let ob = 0;
  let doneA = false;
  let doneB = false;
  try {
    for (;;) {
      const needA = !doneA && (!ca || oa >= ca.length);
      const needB = !doneB && (!cb || ob >= cb.length);
      if (needA || needB) {
        const [ra, rb] = await Promise.all([needA ? ga.next() : undefined, needB ? gb.next() : undefined]);
        if (ra) {
          if (ra.done) {
            doneA = true;
            ca = undefined;
          } else {
            ca = ra.value;
            oa = 0;
          }
        }
        if (rb) {
          if (rb.done) {
            doneB = true;
            cb = undefined;
          } else {
            cb = rb.value;
            ob = 0;
          }
        }
        // Empty chunks: loop to refill.
        if ((ca && oa >= ca.length) || (cb && ob >= cb.length)) continue;
      }
      if (!ca || !cb) {
        if (!ca && !cb) return;
        throw new CheckpointLensError('length-mismatch', 'the two sides ended at different lengths (a file changed while reading?)');
      }
      const n = Math.min(ca.length - oa, cb.length - ob);
      yield [ca.subarray(oa, oa + n) as T, cb.subarray(ob, ob + n) as T];
      oa += n;
      ob += n;
    }
  } finally {
    await Promise.all([ga.return(undefined), gb.return(undefined)]);
  }
}

/** Pulls exact element counts out of a value stream (for block-wise transposed comparison). */
export class ValueCursor {
  private cur: Float32Array | undefined;
  private off = 0;
  constructor(private readonly gen: AsyncGenerator<Float32Array>) {}

  /** Fills `out` completely; throws if the stream ends early. */
  async take(out: Float32Array): Promise<void> {
    let filled = 0;
    while (filled < out.length) {
      if (!this.cur || this.off >= this.cur.length) {
        const r = await this.gen.next();
        if (r.done) throw new CheckpointLensError('length-mismatch', 'a tensor ended early (a file changed while reading?)');
        this.cur = r.value;
        this.off = 0;
        continue;
      }
      const n = Math.min(out.length - filled, this.cur.length - this.off);
      out.set(this.cur.subarray(this.off, this.off + n), filled);
      filled += n;
      this.off += n;
    }
  }

  async close(): Promise<void> {
    await this.gen.return(undefined);
  }
}
