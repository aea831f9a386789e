// `where` (src/analysis/findings.ts) groups tensor names for messages; it counts only the groups it
// shows, so it is checked here against the plain definition on random lists: the group of a name is
// what /^(.*?\.\d+)\./ captures (else the whole name); the first four groups in first-seen order with
// their sizes, then "…" when there are more.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { where } from '../../src/analysis/findings.js';

function reference(list: readonly { name: string }[]): string {
  const groups = new Map<string, number>();
  for (const { name } of list) {
    const m = /^(.*?\.\d+)\./.exec(name);
    const k = m ? m[1]! : name;
    groups.set(k, (groups.get(k) ?? 0) + 1);
  }
  const parts = [...groups].slice(0, 4).map(([k, n]) => (n > 1 ? `${k} (${n})` : k));
  return parts.join(', ') + (groups.size > 4 ? ', …' : '');
}

test('where: the same groups and counts as the plain definition, on random names (dots, digits, line breaks)', () => {
  let seed = 7;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
  const alphabet = ['a', 'b', '1', '2', '0', '.', '.', '.', '\n', 'x'];
  const word = () => Array.from({ length: 1 + rnd(9) }, () => alphabet[rnd(alphabet.length)]).join('');
  let checked = 0;
  for (let trial = 0; trial < 3000; trial++) {
    const pool = Array.from({ length: 1 + rnd(8) }, word);
    // Names from a small pool, often repeated and extended: groups recur, run, and nest (`a.1` beside `a.1.b`).
    const list = Array.from({ length: rnd(40) }, () => {
      const base = pool[rnd(pool.length)]!;
      return { name: rnd(3) ? base : `${base}.${word()}` };
    });
    assert.equal(where(list), reference(list), JSON.stringify(list.map((x) => x.name)));
    checked++;
  }
  assert.equal(checked, 3000);
  assert.equal(where([{ name: 'a.1' }, { name: 'a.1.w' }, { name: 'a.1.b' }, { name: 'a.b' }, { name: 'a.b.3.c' }]), 'a.1 (3), a.b, a.b.3');
});
