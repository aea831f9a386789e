/** Codes → their docs entry (docs/codes/*.md headings), as the build indexes them for the editor and the Problems panel. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { codeDocEntry, firstSentence, headingAnchor, parseCodeDocs } from '../../src/core/codeDocs.js';

describe('code docs index', () => {
  const files = [
    { path: 'docs/codes/a.md', text: '# Codes\n\nintro\n\n### `first-code`\nMeaning.\n\n### `second-code`\r\nMore.\n### not a code\n### `first-code`\nduplicate\n' },
    { path: 'docs\\codes\\b.md', text: '## `other-code`\n' },
  ];
  const index = parseCodeDocs(files);
  it('maps each heading `### \\`code\\`` to its file, 1-based line and anchor; the first entry wins', () => {
    assert.deepEqual(codeDocEntry(index, 'first-code'), { file: 'docs/codes/a.md', line: 5, anchor: 'first-code', summary: 'Meaning.' });
    assert.deepEqual(codeDocEntry(index, 'second-code'), { file: 'docs/codes/a.md', line: 8, anchor: 'second-code', summary: 'More.' });
    assert.deepEqual(codeDocEntry(index, 'other-code'), { file: 'docs/codes/b.md', line: 1, anchor: 'other-code' });
    assert.equal(Object.keys(index).length, 3);
  });
  it('the summary (hover help) is the entry\'s first sentence as plain text', () => {
    const text = '### `x-code`\nThe **file** is cut: see [the guide](../x.md), e.g. `shard-1` vs. the index. Then more.\nSecond line.\n\n### `y-code`\n\n### `z-code`\nNo full stop at the end\n';
    const ix = parseCodeDocs([{ path: 'docs/codes/x.md', text }]);
    assert.equal(codeDocEntry(ix, 'x-code')?.summary, 'The file is cut: see the guide, e.g. shard-1 vs. the index.');
    assert.equal(codeDocEntry(ix, 'y-code')?.summary, undefined, 'an entry without text has no summary');
    assert.equal(codeDocEntry(ix, 'z-code')?.summary, 'No full stop at the end');
    assert.equal(firstSentence(['A'.repeat(500)], 0)!.length, 240, 'cut');
    assert.equal(codeDocEntry({ q: { file: 'docs/codes/a.md', line: 1, anchor: 'q', summary: 'x'.repeat(1000) } }, 'q')?.summary, undefined, 'an oversized summary is dropped');
  });
  it('unknown, prototype and malformed entries are null, never a path outside docs/codes', () => {
    assert.equal(codeDocEntry(index, 'nope'), null);
    assert.equal(codeDocEntry(index, '__proto__'), null);
    assert.equal(codeDocEntry(index, 'constructor'), null);
    assert.equal(codeDocEntry({ x: { file: '../../etc/passwd', line: 1, anchor: 'x' } }, 'x'), null);
    assert.equal(codeDocEntry({ x: { file: 'docs/codes/a.md', line: 0, anchor: 'x' } }, 'x'), null);
    assert.equal(codeDocEntry(null, 'x'), null);
  });
  it('anchors follow GitHub slugs', () => {
    assert.equal(headingAnchor('`tower-absent`'), 'tower-absent');
    assert.equal(headingAnchor('Hello, World_x'), 'hello-world_x');
  });
  it('the built index (dist/codeDocs.json) points at real headings', { skip: !existsSync('dist/codeDocs.json') && 'run npm run build' }, () => {
    const built = JSON.parse(readFileSync('dist/codeDocs.json', 'utf8')) as Record<string, { file: string; line: number }>;
    assert.ok(Object.keys(built).length > 10);
    for (const [code, e] of Object.entries(built)) {
      const line = readFileSync(e.file, 'utf8').split(/\r?\n/)[e.line - 1];
      assert.match(line ?? '', new RegExp(`\`${code}\``), `${code} → ${e.file}:${e.line}`);
    }
    // Every documented code has hover help (its first sentence).
    const without = Object.entries(built).filter(([, e]) => !(e as { summary?: string }).summary).map(([c]) => c);
    assert.deepEqual(without, []);
  });
});
