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
      out[code] = { file: f.path.replace(/\\/g, '/'), line: i + 1, anchor: headingAnchor(code) };
    }
  }
  return out;
}

/** The docs entry of `code`, or null. Safe against `__proto__`-like codes and malformed indexes. */
export function codeDocEntry(index: unknown, code: string): CodeDocEntry | null {
  if (typeof index !== 'object' || index === null || !Object.prototype.hasOwnProperty.call(index, code)) return null;
  const e = (index as Record<string, unknown>)[code];
  if (typeof e !== 'object' || e === null) return null;
  const { file, line, anchor } = e as Record<string, unknown>;
  if (typeof file !== 'string' || !/^docs\/codes\/[A-Za-z0-9_.-]+\.md$/.test(file) || typeof line !== 'number' || !Number.isInteger(line) || line < 1 || typeof anchor !== 'string') return null;
  return { file, line, anchor };
}
