import type { DType } from '../../core/dtype.js';

/**
 * ggml tensor types as GGUF stores them (`enum ggml_type` in ggml.h): id, name, block size in
 * elements and bytes. A block is the unit a quantised row is cut into; a row's length must be a
 * whole number of blocks. `plain` names the dtype whose bytes are the values themselves (read in
 * place); the others are dequantised on read when `decodable` (see dequant.ts).
 */
export interface GgmlType {
  readonly id: number;
  readonly name: string;
  readonly blockElements: number;
  readonly blockBytes: number;
  readonly plain?: DType;
  readonly decodable: boolean;
}

/** Removed from ggml (they no longer have a layout llama.cpp accepts). */
export const REMOVED_GGML_TYPES: Readonly<Record<number, string>> = {
  4: 'Q4_2',
  5: 'Q4_3',
  31: 'Q4_0_4_4',
  32: 'Q4_0_4_8',
  33: 'Q4_0_8_8',
  36: 'IQ4_NL_4_4',
  37: 'IQ4_NL_4_8',
  38: 'IQ4_NL_8_8',
};

const T = (id: number, name: string, blockElements: number, blockBytes: number, decodable: boolean, plain?: DType): GgmlType =>
  plain ? { id, name, blockElements, blockBytes, decodable, plain } : { id, name, blockElements, blockBytes, decodable };

/** Every live ggml type (ggml.h / gguf-py GGML_QUANT_SIZES). */
export const GGML_TYPES: readonly GgmlType[] = [
  T(0, 'F32', 1, 4, true, 'F32'),
  T(1, 'F16', 1, 2, true, 'F16'),
  T(2, 'Q4_0', 32, 18, true),
  T(3, 'Q4_1', 32, 20, true),
  T(6, 'Q5_0', 32, 22, true),
  T(7, 'Q5_1', 32, 24, true),
  T(8, 'Q8_0', 32, 34, true),
  // ggml's block_q8_1 is 2+2+32 bytes; gguf-py's table still says 40.
  T(9, 'Q8_1', 32, 36, false),
  T(10, 'Q2_K', 256, 84, true),
  T(11, 'Q3_K', 256, 110, true),
  T(12, 'Q4_K', 256, 144, true),
  T(13, 'Q5_K', 256, 176, true),
  T(14, 'Q6_K', 256, 210, true),
  T(15, 'Q8_K', 256, 292, false),
  T(16, 'IQ2_XXS', 256, 66, false),
  T(17, 'IQ2_XS', 256, 74, false),
  T(18, 'IQ3_XXS', 256, 98, false),
  T(19, 'IQ1_S', 256, 50, false),
  T(20, 'IQ4_NL', 32, 18, true),
  T(21, 'IQ3_S', 256, 110, false),
  T(22, 'IQ2_S', 256, 82, false),
  T(23, 'IQ4_XS', 256, 136, true),
  T(24, 'I8', 1, 1, true, 'I8'),
  T(25, 'I16', 1, 2, true, 'I16'),
  T(26, 'I32', 1, 4, true, 'I32'),
  T(27, 'I64', 1, 8, true, 'I64'),
  T(28, 'F64', 1, 8, true, 'F64'),
  T(29, 'IQ1_M', 256, 56, false),
  T(30, 'BF16', 1, 2, true, 'BF16'),
  T(34, 'TQ1_0', 256, 54, false),
  T(35, 'TQ2_0', 256, 66, true),
  T(39, 'MXFP4', 32, 17, true),
  T(40, 'NVFP4', 64, 36, false),
  T(41, 'Q1_0', 128, 18, false),
];

const BY_ID = new Map(GGML_TYPES.map((t) => [t.id, t]));
const BY_NAME = new Map(GGML_TYPES.map((t) => [t.name, t]));

export function ggmlTypeById(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

export function ggmlTypeByName(name: string): GgmlType | undefined {
  return BY_NAME.get(name);
}

/** Bits of storage per weight (e.g. Q4_K: 144·8/256 = 4.5). */
export function bitsPerWeight(t: GgmlType): number {
  return (t.blockBytes * 8) / t.blockElements;
}

/** GGUF metadata value types (`enum gguf_type`). */
export const GGUF_VALUE_TYPES = ['u8', 'i8', 'u16', 'i16', 'u32', 'i32', 'f32', 'bool', 'string', 'array', 'u64', 'i64', 'f64'] as const;
export type GgufValueTypeName = (typeof GGUF_VALUE_TYPES)[number];

/** Fixed byte width of a scalar value type; undefined for string and array. */
export function valueTypeWidth(t: GgufValueTypeName): number | undefined {
  switch (t) {
    case 'u8':
    case 'i8':
    case 'bool':
      return 1;
    case 'u16':
    case 'i16':
      return 2;
    case 'u32':
    case 'i32':
    case 'f32':
      return 4;
    case 'u64':
    case 'i64':
    case 'f64':
      return 8;
    default:
      return undefined;
  }
}
