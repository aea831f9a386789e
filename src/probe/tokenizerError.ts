/** A tokenizer file problem with a stable code (`tokenizer-invalid`, `tokenizer-unsupported`, …). */
export class TokenizerError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
