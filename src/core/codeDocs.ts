/**
 * Where each finding / error code is documented: docs/codes/*.md, one entry per code as a heading
 * `### \`the-code\``. `parseCodeDocs` builds the index (scripts/build.mjs writes it to
 * dist/codeDocs.json at build time); `codeDocEntry` looks a code up. No I/O, no `vscode`.
 */

export interface CodeDocEntry {
  /** Path of the docs page relative to the repository / extension root, `/`-separated. */
  readonly file: string;
  /** 1-based line of the entry's heading. */
  readonly line: number;
  /** GitHub-style anchor of the heading (`#the-code`). */
  readonly anchor: string;
  /** The entry's first sentence as plain text (hover help on a code chip); absent when the entry has no text. */
  readonly summary?: string;
}

export type CodeDocsIndex = Readonly<Record<string, CodeDocEntry>>;

const HEADING = /^#{2,4}\s+`([a-z][a-z0-9]*(?:-[a-z0-9]+)*)`\s*$/;
const MAX_CODE = 80;

/** GitHub's heading slug: lower case, punctuation other than `-` and `_` removed, spaces → `-`. */
export function headingAnchor(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** Index of every `### \`code\`` heading; the first entry of a code wins (files in the given order). */
export function parseCodeDocs(files: readonly { readonly path: string; readonly text: string }[]): CodeDocsIndex {
  const out: Record<string, CodeDocEntry> = Object.create(null) as Record<string, CodeDocEntry>;
  for (const f of files) {
    const lines = f.text.split(/\r?\n/);
    for (let i = 0; i < lines.length; i++) {
      const m = HEADING.exec(lines[i]!);
      if (!m) continue;
      const code = m[1]!;
      if (code.length > MAX_CODE || code in out) continue;
      const summary = firstSentence(lines, i + 1);
      out[code] = { file: f.path.replace(/\\/g, '/'), line: i + 1, anchor: headingAnchor(code), ...(summary ? { summary } : {}) };
    }
  }
  return out;
}

const MAX_SUMMARY = 240;

/**
 * The first sentence of the paragraph after a heading, as plain text: Markdown links become their
 * text, code spans and emphasis lose their marks. Cut at MAX_SUMMARY characters.
 */
export function firstSentence(lines: readonly string[], from: number): string | null {
  const para: string[] = [];
  for (let i = from; i < lines.length; i++) {
    const l = lines[i]!.trim();
    if (/^#{1,6}\s/.test(l)) break;
    if (!l) {
      if (para.length) break;
      continue;
    }
    para.push(l);
  }
  if (!para.length) return null;
  const text = para
    .join(' ')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`+([^`]*)`+/g, '$1')
    .replace(/(\*\*|__|\*)(\S(?:.*?\S)?)\1/g, '$2')
    .replace(/\s+/g, ' ')
    .trim();
  // A sentence ends at ". " / "! " / "? " (or the paragraph's end); "e.g. " and "i.e. " are not ends.
  const m = /^(.+?(?<!\be\.g|\bi\.e|\bvs)[.!?])(?=\s|$)/.exec(text);
  const first = m ? m[1]! : text;
  return first.length > MAX_SUMMARY ? `${first.slice(0, MAX_SUMMARY - 1)}…` : first;
}

/** The docs entry of `code`, or null. Safe against `__proto__`-like codes and malformed indexes. */
export function codeDocEntry(index: unknown, code: string): CodeDocEntry | null {
  if (typeof index !== 'object' || index === null || !Object.prototype.hasOwnProperty.call(index, code)) return null;
  const e = (index as Record<string, unknown>)[code];
  if (typeof e !== 'object' || e === null) return null;
  const { file, line, anchor, summary } = e as Record<string, unknown>;
  if (typeof file !== 'string' || !/^docs\/codes\/[A-Za-z0-9_.-]+\.md$/.test(file) || typeof line !== 'number' || !Number.isInteger(line) || line < 1 || typeof anchor !== 'string') return null;
  return typeof summary === 'string' && summary.length <= MAX_SUMMARY ? { file, line, anchor, summary } : { file, line, anchor };
}
