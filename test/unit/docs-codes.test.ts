/**
 * Every code the tool can emit has an entry in docs/codes/*.md (meaning, consequence, what to do),
 * and every entry names a code that still exists. The editor and the Problems panel link codes to
 * these entries, so a missing one is a dead link for a user.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { documentedCodeList, documentedCodes, emittedCodes } from '../helpers/emittedCodes.js';

const ROOT = join(__dirname, '..', '..');

function allSource(dir: string): string {
  let s = '';
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    s += e.isDirectory() ? allSource(p) : e.name.endsWith('.ts') ? readFileSync(p, 'utf8') : '';
  }
  return s;
}

describe('docs/codes', () => {
  const emitted = emittedCodes(ROOT);
  const documented = documentedCodes(ROOT);

  it('finds the codes the tool emits (the scanner still sees them)', () => {
    // A few codes from different emitters: if the scanner stops seeing these, it is broken.
    for (const c of ['header-too-large', 'text-tower-missing', 'probe-no-clip-tower', 'tensors-overlap', 'log-too-large', 'offsets-invalid']) {
      assert.ok(emitted.has(c), `scanner lost ${c}`);
    }
    assert.ok(emitted.size > 100, `only ${emitted.size} codes found`);
  });

  it('every emitted code has a docs entry', () => {
    const undocumented = [...emitted].filter(([c]) => !documented.has(c)).map(([c, f]) => `${c} (${f})`);
    assert.deepEqual(undocumented, [], `codes without a "### \`code\`" entry in docs/codes/*.md:\n${undocumented.join('\n')}`);
  });

  it('every docs entry is a code the source still uses', () => {
    const src = allSource(join(ROOT, 'src'));
    const stale = [...documented].filter(([c]) => !src.includes(`'${c}'`) && !src.includes(`"${c}"`) && !src.includes(`\`${c}:`)).map(([c, f]) => `${c} (${f})`);
    assert.deepEqual(stale, [], `docs entries for codes no source emits:\n${stale.join('\n')}`);
  });

  it('each code has one entry (links must not depend on which page wins)', () => {
    const seen = new Map<string, string>();
    const twice: string[] = [];
    for (const [c, f] of documentedCodeList(ROOT)) {
      if (seen.has(c)) twice.push(`${c}: ${seen.get(c)} and ${f}`);
      else seen.set(c, f);
    }
    assert.deepEqual(twice, []);
  });

  it('each entry says something (at least one sentence under its heading)', () => {
    for (const name of readdirSync(join(ROOT, 'docs', 'codes')).filter((n) => n.endsWith('.md'))) {
      const text = readFileSync(join(ROOT, 'docs', 'codes', name), 'utf8');
      const parts = text.split(/^###\s+/m).slice(1);
      for (const p of parts) {
        const [head, ...body] = p.split('\n');
        assert.ok(body.join(' ').trim().length >= 20, `${name}: entry ${head} has no explanation`);
      }
    }
  });
});
