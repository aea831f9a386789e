/**
 * The dtypes a checkpoint can declare, with their storage width in bits.
 * Widths are in bits because safetensors has sub-byte types (F4, F6_*), whose byte
 * length is only defined when elements × bits is a multiple of 8.
 */
export const DTYPE_BITS = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  F64: 64,
  I64: 64,
  U64: 64,
  C64: 64,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
} as const;

export type DType = keyof typeof DTYPE_BITS;

export function isKnownDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_BITS, s);
}

export function dtypeBits(d: DType): number {
  return DTYPE_BITS[d];
}

/** Float-like dtypes whose values are meaningful for statistics. */
export function isFloatDType(d: DType): boolean {
  return d.startsWith('F') || d === 'BF16';
}

/**
 * Byte length of `elements` values of dtype `d`; 'misaligned' when the element count does not
 * fill whole bytes (a sub-byte tensor the reference implementation rejects), 'overflow' past 2^53.
 */
export function byteLengthFor(d: DType, elements: number): number | 'misaligned' | 'overflow' {
  const bits = DTYPE_BITS[d];
  if (bits % 8 === 0) {
    const n = elements * (bits / 8);
    return Number.isSafeInteger(n) ? n : 'overflow';
  }
  // Sub-byte: elements × bits must be a multiple of 8. Work on the remainder to avoid overflow.
  if (((elements % 8) * bits) % 8 !== 0) return 'misaligned';
  const n = Math.floor(elements / 8) * bits + ((elements % 8) * bits) / 8;
  return Number.isSafeInteger(n) ? n : 'overflow';
}
