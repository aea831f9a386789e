/**
 * Plain-text helpers shared by the host and the webview (no DOM, no `vscode`).
 *
 * Tensor names, labels and messages are attacker-controlled. Text nodes make them inert, but
 * not honest: a right-to-left override (U+202E) reorders what follows, zero-width and other
 * format characters are invisible, control characters vanish. `visibleText` rewrites every such
 * character as a visible `\uXXXX` escape so two different names never look the same.
 */

/**
 * Control, format, bidi, zero-width, separator and other invisible code points. Kept as one
 * regular expression (the webview filters 100,000 names with it).
 */
// eslint-disable-next-line no-control-regex
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\ufff9-\ufffb\uffa0]|\udb40[\udc00-\uddef]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const INVISIBLE_TEST = new RegExp(INVISIBLE.source);

function escapeOne(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp > 0xffff ? `\\u{${cp.toString(16).toUpperCase()}}` : `\\u${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** True when `s` holds a character that would render invisibly or reorder the text. */
export function hasInvisible(s: string): boolean {
  return INVISIBLE_TEST.test(s);
}

/** `s` with every invisible/control/bidi character written as a visible `\uXXXX` escape. */
export function visibleText(s: string): string {
  return INVISIBLE_TEST.test(s) ? s.replace(INVISIBLE, escapeOne) : s;
}

/** As `visibleText`, but keeps line breaks and tabs (multi-line messages). */
export function visibleMultiline(s: string): string {
  return INVISIBLE_TEST.test(s) ? s.replace(INVISIBLE, (c) => (c === '\n' || c === '\t' ? c : escapeOne(c))) : s;
}

/** A tensor name as shown: escapes made visible; the empty name as `""` (else it would be an empty row). */
export function displayName(name: string): string {
  return name === '' ? '""' : visibleText(name);
}

/**
 * A Python string literal for `s` that evaluates to exactly `s` and shows every invisible
 * character as an escape (JSON string syntax is Python syntax; astral escapes use `\U`).
 */
export function pythonString(s: string): string {
  return JSON.stringify(s).replace(INVISIBLE, (ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp > 0xffff) return `\\U${cp.toString(16).padStart(8, '0')}`;
    // A lone surrogate cannot be written as \u in Python source meaningfully; keep JSON's form.
    return `\\u${cp.toString(16).padStart(4, '0')}`;
  });
}

/** `1 tensor`, `2 tensors`, `1,024 tensors`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}

/** `family variant` without repeating a family word that starts the variant ("timm ViT" + "ViT-B-16" → "timm ViT-B-16"). */
export function familyLabel(family: string | null, variant: string | null): string | null {
  if (!family) return variant;
  if (!variant) return family;
  const lastWord = family.split(/\s+/).pop() ?? '';
  if (lastWord && variant.toLowerCase().startsWith(lastWord.toLowerCase())) return `${family.slice(0, family.length - lastWord.length).trimEnd()} ${variant}`.trim();
  return `${family} ${variant}`;
}

/** Text for inline Markdown: escapes made visible, Markdown punctuation backslash-escaped. */
export function markdownText(s: string): string {
  return visibleText(s).replace(/([\\`*_[\]#|<>~])/g, '\\$1');
}

/** A name in a Markdown code span (backtick runs handled), escapes made visible. */
export function markdownCode(s: string): string {
  const v = displayName(s);
  let fence = '`';
  while (v.includes(fence)) fence += '`';
  const pad = v.startsWith('`') || v.endsWith('`') || v.startsWith(' ') || v.endsWith(' ') ? ' ' : '';
  return `${fence}${pad}${v}${pad}${fence}`;
}
