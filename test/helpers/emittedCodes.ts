/**
 * The codes the tool can emit, found by reading src/: Problem / finding / error codes are plain
 * string literals in code positions (`code: 'x'`, `problem('x', …)`, `readError('x', …)`, a
 * `? 'x' : 'y'` choice on a line about a code …). The docs test checks this set against
 * docs/codes/*.md, so a new code without an entry fails CI.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CODE = String.raw`'([a-z][a-z0-9]*(?:-[a-z0-9]+)+)'`;
/** Functions and constructors whose first argument is a code. */
const CODE_TAKERS = ['problem', 'readError', 'RemoteError', 'PickleError', 'CheckpointLensError', 'fail', 'bad', 'failure', 'TokenizerError', 'ProbeBuildError', 'failAll', 'finding', 'codeError', 'issue'];
const PATTERNS = [
  new RegExp(String.raw`\b(?:error)?[cC]odes?\s*[:=]\s*` + CODE, 'g'),
  // a code taker's code argument, first or after a few plain arguments: fail(name, dtype, 'x', …)
  new RegExp(String.raw`\b(?:${CODE_TAKERS.join('|')})\s*\((?:\s*[A-Za-z_.]+\s*,){0,3}\s*` + CODE, 'g'),
  // an Error whose message starts with its code: new Error(`log-too-large: …`)
  new RegExp(String.raw`\bError\(\s*[\x60']([a-z][a-z0-9]*(?:-[a-z0-9]+)+):`, 'g'),
  // code === 'a' ? 'b' : c   and   code: cond ? 'a' : 'b'
  new RegExp(String.raw`\bcode\b[^\n;]*?\?\s*` + CODE + String.raw`\s*:\s*(?:` + CODE + ')?', 'g'),
];
/** Literals in those positions that are not user-facing codes (kept short and explained). */
const NOT_CODES = new Set<string>([]);

function* tsFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* tsFiles(p);
    else if (e.name.endsWith('.ts')) yield p;
  }
}

/** code → the first source file that emits it. */
export function emittedCodes(root: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const file of tsFiles(join(root, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const re of PATTERNS) {
      for (const m of text.matchAll(re)) {
        for (const c of m.slice(1)) if (c && !NOT_CODES.has(c) && !out.has(c)) out.set(c, file.slice(root.length + 1));
      }
    }
  }
  return out;
}

/** Headings `### \`code\`` in docs/codes/*.md: code → the docs file (relative to the repo). */
export function documentedCodes(root: string): Map<string, string> {
  return documentedCodeList(root).reduce((m, [c, f]) => (m.has(c) ? m : m.set(c, f)), new Map<string, string>());
}

/** Every `### \`code\`` heading in docs/codes/*.md, in order, duplicates included. */
export function documentedCodeList(root: string): [string, string][] {
  const out: [string, string][] = [];
  const dir = join(root, 'docs', 'codes');
  for (const name of readdirSync(dir).filter((n) => n.endsWith('.md')).sort()) {
    for (const m of readFileSync(join(dir, name), 'utf8').matchAll(/^###\s+`([^`]+)`/gm)) {
      if (m[1]) out.push([m[1], `docs/codes/${name}`]);
    }
  }
  return out;
}
