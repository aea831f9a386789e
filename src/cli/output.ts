/**
 * Terminal output helpers. Tensor names are attacker-controlled: `safeText` neutralises
 * control characters (ANSI escapes, carriage returns, bidi overrides) before printing.
 */
export function safeText(s: string): string {
  // C0/C1 controls, DEL, and Unicode bidi/zero-width format characters.
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

export function writeError(message: string): void {
  process.stderr.write(`checkpoint-lens: error: ${safeText(message)}\n`);
}

export function showProgress(): boolean {
  return process.stderr.isTTY === true;
}

export function progressLine(text: string): void {
  if (showProgress()) process.stderr.write(`\r\x1b[K${safeText(text)}`);
}

export function progressDone(): void {
  if (showProgress()) process.stderr.write('\r\x1b[K');
}

export { formatBytes, formatCount } from '../core/format.js';
