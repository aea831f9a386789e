import type { TowerId } from './layoutAdapter.js';

/** A conversion that did not produce a file. `code` is stable (docs/codes/convert.md). */
export interface ConvertError {
  readonly code: string;
  readonly message: string;
  /** convert-incomplete: what the target still lacks. */
  readonly missing?: readonly { readonly name: string; readonly tower: TowerId; readonly shape: readonly number[] }[];
}
