/**
 * The one byte-range source every reader reads through: a local file or a remote (HTTP / Hub)
 * file. Readers keep passing a path string; `sourceFor` picks the implementation, so the same
 * validating readers serve both and there is no second copy of any format's rules.
 */
export interface ByteSource {
  /** Size in bytes. Rejects with a CheckpointLensError carrying a stable code. */
  size(): Promise<number>;
  /** Bytes [start, end); fewer only when the source ends first (callers check). */
  read(start: number, end: number): Promise<Uint8Array>;
  /** [start, end) in chunks of at most `chunkBytes`; each view is valid until the next iteration. */
  stream(start: number, end: number, chunkBytes: number): AsyncGenerator<Uint8Array>;
}
