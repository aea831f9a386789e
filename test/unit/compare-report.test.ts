import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { marked } from 'marked';
import { runDiff } from '../../src/cli/commands/diff.js';
import { compareFiles } from '../../src/compare/compare.js';
import { mdCode, renderCompareMarkdown } from '../../src/compare/render/markdown.js';
import { renderCompareText } from '../../src/compare/render/text.js';
import type { CompareReport } from '../../src/compare/types.js';
import { openClipDict, perturb, scratch, toTimm, type StateDict } from './compare-fixtures.js';

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runDiff(argv, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

/** Hostile names: backticks, pipes, HTML, a newline, a mention, a link, emphasis, an ANSI escape. */
const HOSTILE = [
  'evil`|<img src=x onerror=alert(1)>',
  'line\nbreak</details><script>alert(1)</script>',
  '@octocat [click](https://example.invalid) *em* ``` \x1b[31mred',
  'a\\|b|c`',
];

describe('compare: CLI exit codes and formats', () => {
  let s: Awaited<ReturnType<typeof scratch>>;
  const sd = openClipDict(11);
  const p: Record<string, string> = {};
  before(async () => {
    s = await scratch();
    p.a = await s.write('a.safetensors', sd);
    p.same = await s.write('same.safetensors', sd);
    p.timm = await s.write('timm.safetensors', toTimm(sd));
    p.perturbed = await s.write('perturbed.safetensors', perturb(sd, 'visual.ln_post.weight', 2, 1e-3));
    p.lfs = `${s.dir}/lfs.safetensors`;
    await writeFile(p.lfs, 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 123456\n');
    const hostileA: StateDict = new Map(HOSTILE.map((n, i) => [n, { shape: [3], values: Float32Array.of(i, 1, 2) }]));
    hostileA.set('only-in-a|`x`', { shape: [1], values: Float32Array.of(1) });
    const hostileB: StateDict = new Map(HOSTILE.map((n, i) => [n, { shape: [3], values: Float32Array.of(i + 0.5, 1, 2) }]));
    p.hostileA = await s.write('hostile-a.safetensors', hostileA);
    p.hostileB = await s.write('hostile-b.safetensors', hostileB);
  });
  after(() => s.cleanup());

  it('exit 0 for identical files, 1 for differences and drops, 0 when the drops are allowed', async () => {
    assert.equal((await cli([p.a!, p.same!])).code, 0);
    const d = await cli([p.a!, p.perturbed!]);
    assert.equal(d.code, 1);
    assert.match(d.out, /^DIFFERENT: B is A, 1 of 62 tensors differ beyond tolerance, worst visual\.ln_post\.weight \(max abs diff 0\.001\)\./);
    assert.equal((await cli([p.a!, p.timm!])).code, 1);
    const ok = await cli([p.a!, p.timm!, '--allow-missing', 'text,projection']);
    assert.equal(ok.code, 0);
    assert.match(ok.out, /^EQUIVALENT: B is A's vision tower converted to timm layout/);
    assert.match(ok.out, /visual\.proj: A visual\.proj ↔ B head\.weight \(transpose\) → equal/);
    // Tolerances are settable: the 1e-3 change passes with a loose atol.
    assert.equal((await cli([p.a!, p.perturbed!, '--atol', '0.01'])).code, 0);
  });

  it('exit 2 for unreadable input and bad usage, with one-line errors', async () => {
    const lfs = await cli([p.a!, p.lfs!]);
    assert.equal(lfs.code, 2);
    assert.match(lfs.err, /^checkpoint-lens: error: git-lfs-pointer: B \(.*lfs\.safetensors\): .+\n$/);
    const missing = await cli([`${s.dir}/nope.safetensors`, p.a!]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /A \(/);
    for (const argv of [[p.a!], [p.a!, p.a!, '--map', 'sideways'], [p.a!, p.a!, '--rtol', '-1'], [p.a!, p.a!, '--allow-missing', 'textt'], [p.a!, p.a!, '--json', '--markdown'], [p.a!, p.a!, '--frobnicate']]) {
      const r = await cli(argv);
      assert.equal(r.code, 2, argv.join(' '));
      assert.equal(r.err.split('\n').length, 2, r.err);
      assert.equal(r.out, '');
    }
  });

  it('--json is the report, stable across runs apart from timing', async () => {
    const one = await cli([p.a!, p.timm!, '--json']);
    const two = await cli([p.a!, p.timm!, '--json']);
    const strip = (s: string) => {
      const { timing: _timing, ...rest } = JSON.parse(s) as CompareReport;
      return rest;
    };
    assert.deepEqual(strip(one.out), strip(two.out));
    const j = JSON.parse(one.out) as CompareReport;
    assert.equal(j.schemaVersion, 1);
    // Plain data: survives JSON and structured clone (worker postMessage) unchanged.
    const r = await compareFiles(p.a!, p.timm!);
    assert.ok(r.ok);
    assert.deepEqual(JSON.parse(JSON.stringify(r.value)), r.value);
    assert.deepEqual(structuredClone(r.value), r.value);
    assert.equal(j.counts.matched, 32);
    assert.deepEqual(j.pairs.map((x) => x.key).slice(0, 3), ['visual.class_embedding', 'visual.positional_embedding', 'visual.proj']);
  });

  it('terminal output neutralises control characters in names', async () => {
    const r = await cli([p.hostileA!, p.hostileB!]);
    assert.equal(r.code, 1);
    assert.ok(!r.out.includes('\x1b'), 'no raw escape');
    assert.ok(r.out.includes('line\\u{a}break'));
  });

  it('--markdown renders as a GitHub comment: summary table, collapsible details, hostile names inert', async () => {
    const r = await compareFiles(p.hostileA!, p.hostileB!);
    assert.ok(r.ok);
    const md = renderCompareMarkdown(r.value);
    const html = await marked.parse(md, { gfm: true });
    // Structure.
    assert.match(html, /^<h3>Checkpoint Lens diff: ❌ not equivalent<\/h3>/);
    const tables = [...html.matchAll(/<table>([\s\S]*?)<\/table>/g)].map((m) => m[1]!);
    assert.ok(tables.length >= 4, `tables: ${tables.length}`);
    for (const t of tables) {
      const head = (t.match(/<th[ >]/g) ?? []).length;
      const rows = [...t.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].slice(1);
      for (const row of rows) assert.equal((row[1]!.match(/<td[ >]/g) ?? []).length, head, `a name split a table row: ${row[1]}`);
    }
    assert.equal((html.match(/<details>/g) ?? []).length, (html.match(/<\/details>/g) ?? []).length);
    assert.ok((html.match(/<summary>/g) ?? []).length >= 2);
    // Inert: no element a name could have created.
    for (const bad of [/<img/i, /<script/i, /<a /i, /<em>/i, /<strong>[^<]*click/i, /\x1b/]) assert.doesNotMatch(html, bad);
    // Names are shown, escaped, in code.
    assert.match(html, /<code>evil`\\u\{7c\}&lt;img src=x onerror=alert\(1\)&gt;<\/code>/);
    assert.match(html, /<code>line\\u\{a\}break&lt;\/details&gt;&lt;script&gt;/);
    assert.ok(!/(^|[^`\w])@octocat/.test(html.replace(/<code>[\s\S]*?<\/code>/g, '')), 'a mention outside code');
    // The worst table names all 4 changed tensors; the drop is listed.
    assert.equal(r.value.counts.different, 4);
    assert.match(html, /Only in A \(dropped by B\): 1 tensor</);
    // Stable order: the same report renders the same Markdown.
    assert.equal(renderCompareMarkdown(r.value), md);
  });

  it('code spans survive backticks at the edges and inside', async () => {
    for (const name of ['`a`', 'x``y', '```', 'a b']) {
      const html = await marked.parseInline(mdCode(name));
      assert.equal(html, `<code>${name.replace(/&/g, '&amp;')}</code>`, name);
    }
  });

  it('the text report lists towers, the worst tensors and the drops', async () => {
    const r = await compareFiles(p.a!, p.timm!);
    assert.ok(r.ok);
    const text = renderCompareText(r.value);
    assert.match(text, /per tower:/);
    assert.match(text, /text: B drops text-tower tensors/);
    assert.match(text, /only in A \(dropped by B\): 30/);
    assert.match(text, /projection: B drops projection/);
    assert.match(text, /head\.bias F32\[6\] \(all zeros\)/);
  });
});
