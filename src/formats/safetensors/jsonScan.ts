/**
 * A recursion-free pass over a safetensors header's JSON text that finds what JSON.parse
 * accepts but the reference implementation (serde_json in huggingface/safetensors) rejects,
 * before JSON.parse or any recursive code sees the text:
 * - nesting deeper than serde_json's recursion limit (128): "recursion limit exceeded";
 * - a `\uD800`-style escape that is not a valid surrogate pair ("unexpected end of hex escape");
 * - a second `__metadata__` at the top level ("duplicate field");
 * - numbers in a tensor entry written as floats (`4.0`, `4e0`: "expected usize") or above 2^64-1.
 * It only reports; syntax errors are left to JSON.parse, which names them.
 */
export interface JsonScan {
  /** A reason the whole header is rejected, or undefined. */
  readonly fatal?: { readonly code: string; readonly message: string };
  /** Top-level keys whose value holds a float-form number or an integer above 2^64-1. */
  readonly badNumbers: ReadonlySet<string>;
}

/** serde_json's default recursion limit. */
export const MAX_JSON_DEPTH = 128;
const U64_MAX = 18446744073709551615n;
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

export function scanHeaderJson(text: string): JsonScan {
  const badNumbers = new Set<string>();
  let depth = 0;
  /** Top-level key whose value is being read (depth ≥ 2 or a scalar at depth 1). */
  let entry: string | undefined;
  let expectKey = false;
  let metadataSeen = false;
  /** Per open container: is it an object? (a string at depth 1 in an object is a top-level key when expectKey). */
  const isObject: boolean[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      // { [
      if (++depth > MAX_JSON_DEPTH) return { fatal: { code: 'header-too-deep', message: `The header's JSON nests deeper than ${MAX_JSON_DEPTH} levels (the reference implementation's recursion limit).` }, badNumbers };
      isObject.push(c === 0x7b);
      expectKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      isObject.pop();
      expectKey = false;
      if (depth === 1) entry = undefined;
    } else if (c === 0x2c) {
      // , : the next string in an object is a key
      expectKey = isObject[isObject.length - 1] === true;
      if (depth === 1) entry = undefined;
    } else if (c === 0x3a) {
      expectKey = false;
    } else if (c === 0x22) {
      // A string: find its end, checking \u escapes for lone surrogates.
      let j = i + 1;
      let s: string | undefined = depth === 1 && expectKey ? '' : undefined;
      let plainFrom = j;
      for (; j < n; j++) {
        const d = text.charCodeAt(j);
        if (d === 0x22) break;
        if (d !== 0x5c) continue;
        if (s !== undefined) s += text.slice(plainFrom, j);
        const e = text[j + 1];
        if (e === 'u') {
          const hi = parseInt(text.slice(j + 2, j + 6), 16);
          if (hi >= 0xd800 && hi <= 0xdbff) {
            const lo = text.slice(j + 6, j + 8) === '\\u' ? parseInt(text.slice(j + 8, j + 12), 16) : NaN;
            if (!(lo >= 0xdc00 && lo <= 0xdfff)) return { fatal: { code: 'header-invalid-unicode', message: 'The header contains a \\u escape of a lone UTF-16 surrogate, which the reference implementation rejects ("unexpected end of hex escape").' }, badNumbers };
            if (s !== undefined) s += String.fromCharCode(hi, lo);
            j += 11;
          } else if (hi >= 0xdc00 && hi <= 0xdfff) {
            return { fatal: { code: 'header-invalid-unicode', message: 'The header contains a \\u escape of a lone low UTF-16 surrogate, which the reference implementation rejects.' }, badNumbers };
          } else {
            if (s !== undefined) s += String.fromCharCode(hi);
            j += 5;
          }
        } else {
          // An invalid escape is left for JSON.parse to report.
          if (s !== undefined) s += ESCAPES[e ?? ''] ?? '';
          j += 1;
        }
        plainFrom = j + 1;
      }
      if (s !== undefined) {
        s += text.slice(plainFrom, j);
        if (s === '__metadata__') {
          if (metadataSeen) return { fatal: { code: 'header-duplicate-metadata', message: 'The header has two "__metadata__" entries; the reference implementation rejects the file ("duplicate field").' }, badNumbers };
          metadataSeen = true;
        }
        entry = s;
      }
      i = j;
      expectKey = false;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i;
      while (j < n && /[-+0-9.eE]/.test(text[j]!)) j++;
      const lit = text.slice(i, j);
      if (entry !== undefined && entry !== '__metadata__') {
        if (/[.eE]/.test(lit) || (/^\d+$/.test(lit) && lit.length >= 20 && BigInt(lit) > U64_MAX)) badNumbers.add(entry);
      }
      i = j - 1;
    }
  }
  return { badNumbers };
}
