/**
 * A tiny deterministic generator (xorshift32) for everything that must be reproducible across
 * runs and machines: the demo checkpoint, the probe's built-in images and random-initialised
 * towers, test fixtures. Not for anything security-related.
 */
export function xorshift32(state: number): () => number {
  let s = state >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** xorshift32 seeded from a small integer, spread over 32 bits (Knuth's multiplicative hash). */
export function seededRandom(seed: number): () => number {
  return xorshift32((seed * 2654435761) >>> 0);
}
