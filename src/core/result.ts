/** Errors as values: readers return a Result instead of throwing on bad input. */
export interface ReadError {
  /** Stable code, documented in the README (e.g. `header-too-large`, `git-lfs-pointer`). */
  readonly code: string;
  /** One plain sentence for the user. */
  readonly message: string;
  readonly file?: string;
}

export type Result<T, E = ReadError> = { ok: true; value: T } | { ok: false; error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E = ReadError>(error: E): Result<never, E> => ({ ok: false, error });

export function readError(code: string, message: string, file?: string): ReadError {
  return file === undefined ? { code, message } : { code, message, file };
}

/** Thrown only across boundaries that cannot carry a Result (e.g. async iterators). */
export class CheckpointLensError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'CheckpointLensError';
  }
}
