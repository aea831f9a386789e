import type { DType } from '../core/dtype.js';
import type { Tolerance } from './types.js';

/**
 * Default allclose tolerances per dtype: |a−b| ≤ atol + rtol·|a|. rtol is a few times the
 * dtype's rounding error (half an ulp relative: F32 2^-24, F16 2^-11, BF16 2^-9, E4M3 2^-4,
 * E5M2 2^-3), so a correct round-to-nearest conversion passes and a wrong weight does not.
 * F32 uses numpy's allclose defaults. Integers must match exactly.
 */
const DEFAULTS: Record<DType, Tolerance> = {
  F64: { rtol: 1e-7, atol: 1e-12 },
  F32: { rtol: 1e-5, atol: 1e-8 },
  F16: { rtol: 1e-3, atol: 1e-5 },
  BF16: { rtol: 1e-2, atol: 1e-5 },
  F8_E4M3: { rtol: 0.125, atol: 1e-3 },
  F8_E5M2: { rtol: 0.25, atol: 1e-3 },
  // A power-of-two scale: one step is a factor of 2.
  F8_E8M0: { rtol: 0.5, atol: 0 },
  F6_E2M3: { rtol: 0.25, atol: 0.125 },
  F6_E3M2: { rtol: 0.5, atol: 0.0625 },
  F4: { rtol: 0.5, atol: 0.25 },
  // C64 is compared on magnitudes (see decodeToFloat32), with F32 precision.
  C64: { rtol: 1e-5, atol: 1e-8 },
  BOOL: { rtol: 0, atol: 0 },
  U8: { rtol: 0, atol: 0 },
  I8: { rtol: 0, atol: 0 },
  I16: { rtol: 0, atol: 0 },
  U16: { rtol: 0, atol: 0 },
  I32: { rtol: 0, atol: 0 },
  U32: { rtol: 0, atol: 0 },
  I64: { rtol: 0, atol: 0 },
  U64: { rtol: 0, atol: 0 },
};

export function dtypeTolerance(d: DType): Tolerance {
  return DEFAULTS[d];
}

/**
 * Tolerance for a pair: the looser of the two dtypes' defaults (an F32 → BF16 conversion is
 * judged at BF16 precision); a user-set rtol or atol replaces that component for every pair.
 */
export function pairTolerance(a: DType, b: DType, override: Partial<Tolerance> = {}): Tolerance {
  const ta = DEFAULTS[a];
  const tb = DEFAULTS[b];
  return { rtol: override.rtol ?? Math.max(ta.rtol, tb.rtol), atol: override.atol ?? Math.max(ta.atol, tb.atol) };
}
