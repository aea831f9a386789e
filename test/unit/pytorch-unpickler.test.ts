/**
 * The restricted unpickler across pickle protocols 0–5: the same data (pickled by CPython in
 * test/fixtures/pytorch/generate.py) must come out the same from every protocol's opcodes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { unpickle } from '../../src/formats/pytorch/pickle/unpickler.js';
import { PyBytes, PyDict, PyFloat, PyList, PySet, PyTuple } from '../../src/formats/pytorch/pickle/values.js';
import { openCheckpoint } from '../../src/formats/open.js';

const DIR = join(__dirname, '../fixtures/pytorch/');
const PICKLES = JSON.parse(readFileSync(join(DIR, 'protocols.json'), 'utf8')) as Record<string, string>;

describe('pytorch unpickler: protocols 0-5', () => {
  for (const [proto, hex] of Object.entries(PICKLES)) {
    it(`protocol ${proto}`, () => {
      const r = unpickle(Buffer.from(hex, 'hex'));
      assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
      const d = r.value.value;
      assert.ok(d instanceof PyDict);
      assert.deepEqual([...d.stringEntries()].map(([k]) => k), ['int', 'neg', 'big', 'float', 'str', 'bytes', 'list', 'tuple', 'set', 'bool', 'shared']);
      assert.equal(d.get('int'), 7);
      assert.equal(d.get('neg'), -300000);
      assert.equal(d.get('big'), 2n ** 70n);
      assert.ok(d.get('float') instanceof PyFloat && (d.get('float') as PyFloat).value === 2.5);
      assert.equal(d.get('str'), 'héllo');
      const bytes = d.get('bytes');
      assert.ok(bytes instanceof PyBytes);
      assert.deepEqual(Array.from(bytes.bytes), [0, 255]);
      const list = d.get('list');
      assert.ok(list instanceof PyList && list.items[0] === 1 && list.items[1] instanceof PyList);
      const tuple = d.get('tuple');
      assert.ok(tuple instanceof PyTuple);
      assert.deepEqual(tuple.items, [1, 'a', null]);
      const set = d.get('set');
      assert.ok(set instanceof PySet);
      assert.deepEqual(set.items, [4]);
      const bools = d.get('bool');
      assert.ok(bools instanceof PyList);
      assert.deepEqual(bools.items, [true, false]);
      const shared = d.get('shared');
      assert.ok(shared instanceof PyTuple && shared.items[0] instanceof PyList);
      assert.equal(shared.items[0], shared.items[1], 'the memo makes both references one object');
      assert.deepEqual(r.value.dangerous, []);
      assert.equal(r.value.end, Buffer.from(hex, 'hex').length);
    });
  }

  it('torch.save with pickle_protocol=4 (FRAME, MEMOIZE) reads the same tensors', async () => {
    const want = (JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { order: string[] }>)['protocol4.pt']!;
    const r = await openCheckpoint(join(DIR, 'protocol4.pt'));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value.tensors.map((t) => t.name), want.order);
    assert.deepEqual(r.value.problems, []);
  });
});
