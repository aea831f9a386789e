/**
 * Malicious-pickle and hostile-archive suite. Each payload must yield a clear refusal code or an
 * inert opaque object — never execution, a crash, a hang or unbounded memory. Payloads that would
 * run a command in Python all try to create a sentinel file; it must never appear.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { readTensorFloat32 } from '../../src/core/values.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { unpickle } from '../../src/formats/pytorch/pickle/unpickler.js';
import { PyList, PyObject } from '../../src/formats/pytorch/pickle/values.js';
import { f32, PickleWriter, torchZip, zip } from '../fixtures/pytorch/writers.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-pt-sec-');
const SENTINEL = join(dir, 'PWNED');
const CMD = `touch ${SENTINEL}`;
let n = 0;
function file(bytes: Uint8Array, ext = '.pt'): string {
  const p = join(dir, `case${n++}${ext}`);
  writeFileSync(p, bytes);
  return p;
}
after(() => assert.equal(existsSync(SENTINEL), false, 'a payload ran'));

/** A state dict {'w': tensor([1,2,3]), 'evil': <payload>} so the real tensor must still be read. */
function stateDictWith(payload: (p: PickleWriter) => PickleWriter): Uint8Array {
  const p = new PickleWriter().proto(2).op('}').mark();
  p.str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]);
  p.str('evil');
  payload(p);
  return p.op('u').stop().bytes();
}

const execPayloads: Array<[string, (p: PickleWriter) => PickleWriter, string]> = [
  ['GLOBAL os.system + REDUCE', (p) => p.global('os', 'system').mark().str(CMD).tuple().reduce(), 'os.system'],
  ['posix.system (what os.system pickles as on Linux)', (p) => p.global('posix', 'system').mark().str(CMD).tuple().reduce(), 'posix.system'],
  ['builtins.eval via STACK_GLOBAL', (p) => p.str('builtins').str('eval').raw(0x93).mark().str(`__import__('os').system('${CMD}')`).tuple().reduce(), 'builtins.eval'],
  ['__builtin__.exec (protocol 2 name)', (p) => p.global('__builtin__', 'exec').mark().str(`import os; os.system('${CMD}')`).tuple().reduce(), 'builtins.exec'],
  ['subprocess.Popen via NEWOBJ', (p) => p.global('subprocess', 'Popen').mark().mark().str('touch').str(SENTINEL).op('l').tuple().raw(0x81), 'subprocess.Popen'],
  ['subprocess.call via INST', (p) => p.mark().mark().str('touch').str(SENTINEL).op('l').op('i').text('subprocess\ncall\n'), 'subprocess.call'],
  ['subprocess.run via OBJ', (p) => p.mark().global('subprocess', 'run').mark().str('touch').str(SENTINEL).op('l').op('o'), 'subprocess.run'],
  [
    '__reduce__ trick through BUILD: {__setstate__: os.system}',
    (p) => p.global('collections', 'Counter').emptyTuple().raw(0x81).op('N').op('}').str('__setstate__').global('os', 'system').op('s').raw(0x86).op('b').str(CMD).op('b'),
    'os.system',
  ],
  ['NEWOBJ_EX of os.system', (p) => p.global('os', 'system').mark().str(CMD).tuple().op('}').raw(0x92), 'os.system'],
  ['builtins.getattr chain to os.system', (p) => p.global('builtins', 'getattr').mark().global('builtins', '__import__').mark().str('os').tuple().reduce().str('system').tuple().reduce().mark().str(CMD).tuple().reduce(), 'builtins.getattr'],
  ['torch.load of another file', (p) => p.global('torch', 'load').mark().str('/etc/passwd').tuple().reduce(), 'torch.load'],
];

describe('pytorch security: code-execution payloads stay inert', () => {
  for (const [name, payload, global] of execPayloads) {
    it(name, async () => {
      const r = await openCheckpoint(file(torchZip(stateDictWith(payload), { '0': f32(1, 2, 3) })));
      assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
      const c = r.value;
      const p = c.problems.find((x) => x.code === 'pickle-code-execution-attempt');
      assert.ok(p, 'the attempt is reported');
      assert.equal(p.severity, 'error');
      assert.ok(p.message.includes(global), p.message);
      // The real weight is still read, as data.
      assert.deepEqual(c.tensors.map((t) => t.name), ['w']);
      assert.deepEqual(Array.from(await readTensorFloat32(c.tensors[0]!)), [1, 2, 3]);
      assert.equal(existsSync(SENTINEL), false);
    });
  }

  it('the payload is an opaque record with its name, never a function', () => {
    const r = unpickle(new PickleWriter().proto(2).global('os', 'system').mark().str(CMD).tuple().reduce().stop().bytes());
    assert.ok(r.ok);
    assert.ok(r.value.value instanceof PyObject);
    assert.equal(r.value.value.className, 'os.system');
    assert.deepEqual(r.value.value.args, [CMD]);
    assert.deepEqual(r.value.dangerous, ['os.system']);
  });

  it('a raw pickle without the torch magic (a plain pickle.dump) is refused, naming the code it would run', async () => {
    const r = await openCheckpoint(file(new PickleWriter().proto(2).global('os', 'system').mark().str(CMD).tuple().reduce().stop().bytes()));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-code-execution-attempt');
    assert.match(r.error.message, /os\.system/);
    const plain = await openCheckpoint(file(new PickleWriter().proto(2).op('}').stop().bytes()));
    assert.ok(!plain.ok);
    assert.equal(plain.error.code, 'pytorch-legacy-unsupported');
  });

  it('a legacy file whose data pickle calls os.system reports it and stays inert', async () => {
    const magic = new PickleWriter().proto(2).raw(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
    const proto = new PickleWriter().proto(2).int(1001).stop().bytes();
    const sys = new PickleWriter().proto(2).op('}').str('little_endian').raw(0x88).op('s').stop().bytes();
    const data = stateDictWith((p) => p.global('os', 'system').mark().str(CMD).tuple().reduce());
    const keys = new PickleWriter().proto(2).mark().str('0').op('l').stop().bytes();
    const numel = Buffer.alloc(8);
    numel.writeBigInt64LE(3n);
    const r = await openCheckpoint(file(Buffer.concat([magic, proto, sys, data, keys, numel, f32(1, 2, 3)])));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.format, 'pytorch-legacy');
    assert.ok(r.value.problems.some((p) => p.code === 'pickle-code-execution-attempt'));
    assert.deepEqual(Array.from(await readTensorFloat32(r.value.tensors[0]!)), [1, 2, 3]);
  });
});

interface Refusal {
  name: string;
  pickle: () => Uint8Array;
  code: string;
}

const deepMarks = () => {
  const p = new PickleWriter().proto(2);
  for (let i = 0; i < 1_000_001; i++) p.mark();
  return p.stop().bytes();
};

const refusals: Refusal[] = [
  { name: '1M + 1 nested MARKs', pickle: deepMarks, code: 'pickle-too-deep' },
  { name: 'BINGET of a slot never written', pickle: () => new PickleWriter().proto(2).binget(7).stop().bytes(), code: 'pickle-memo-missing' },
  { name: 'LONG_BINGET 0xffffffff', pickle: () => new PickleWriter().proto(2).raw(0x6a).u32(0xffffffff).stop().bytes(), code: 'pickle-memo-missing' },
  { name: 'BINUNICODE claiming 4 GiB', pickle: () => new PickleWriter().proto(2).raw(0x58).u32(0xffffffff).stop().bytes(), code: 'pickle-string-too-large' },
  { name: 'BINUNICODE8 claiming 2^62 bytes', pickle: () => new PickleWriter().proto(4).raw(0x8d).u64(1n << 62n).stop().bytes(), code: 'pickle-string-too-large' },
  { name: 'BINBYTES8 claiming 2^64-1 bytes', pickle: () => new PickleWriter().proto(4).raw(0x8e).u64(0xffffffffffffffffn).stop().bytes(), code: 'pickle-string-too-large' },
  { name: 'BINUNICODE longer than the pickle', pickle: () => new PickleWriter().proto(2).raw(0x58).u32(1000).text('short').bytes(), code: 'pickle-truncated' },
  { name: 'LONG4 claiming 2 GiB of digits', pickle: () => new PickleWriter().proto(2).raw(0x8b).u32(0x7fffffff).stop().bytes(), code: 'pickle-int-too-large' },
  { name: 'truncated in the middle (no STOP)', pickle: () => new PickleWriter().proto(2).op('}').mark().str('a').int(1).bytes(), code: 'pickle-truncated' },
  { name: 'unknown opcode', pickle: () => new PickleWriter().proto(2).raw(0xff).stop().bytes(), code: 'pickle-invalid-opcode' },
  { name: 'stack underflow (REDUCE on empty stack)', pickle: () => new PickleWriter().proto(2).reduce().stop().bytes(), code: 'pickle-invalid' },
  { name: 'protocol 5 out-of-band buffer', pickle: () => new PickleWriter().proto(5).raw(0x97).stop().bytes(), code: 'pickle-out-of-band-buffer' },
  { name: 'protocol 6', pickle: () => new PickleWriter().proto(6).op('N').stop().bytes(), code: 'pickle-unsupported-protocol' },
  { name: 'SETITEM on a string', pickle: () => new PickleWriter().proto(2).str('x').str('k').str('v').op('s').stop().bytes(), code: 'pickle-invalid' },
];

describe('pytorch security: resource abuse is refused with a code', () => {
  for (const c of refusals) {
    it(c.name, async () => {
      const r = await openCheckpoint(file(torchZip(c.pickle())));
      assert.ok(!r.ok, 'refused');
      assert.equal(r.error.code, c.code, r.error.message);
      assert.ok(r.error.message.length > 0);
    });
  }

  it('one APPENDS of 500k items (beyond a spread call\'s argument limit) still parses', () => {
    const p = new PickleWriter().proto(2).op(']').mark();
    for (let i = 0; i < 500_000; i++) p.op('N');
    const r = unpickle(p.op('e').stop().bytes());
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal((r.value.value as PyList).items.length, 500_000);
  });

  it('memo writes at huge indices are refused like torch.load (its C unpickler cannot allocate them), not allocated', () => {
    const r = unpickle(new PickleWriter().proto(2).op(']').raw(0x72).u32(0xfffffffe).op('0').raw(0x6a).u32(0xfffffffe).stop().bytes());
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-memo-too-large');
    const small = unpickle(new PickleWriter().proto(2).op(']').raw(0x72).u32(70000).op('0').raw(0x6a).u32(70000).stop().bytes());
    assert.ok(small.ok);
    assert.ok(small.value.value instanceof PyList);
  });

  it('100k nested lists (no MARKs) open without recursion blow-up', async () => {
    const p = new PickleWriter().proto(2).op('}').str('nest');
    for (let i = 0; i < 100_000; i++) p.op(']');
    for (let i = 0; i < 99_999; i++) p.op('a');
    p.op('s').str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('s').stop();
    const r = await openCheckpoint(file(torchZip(p.bytes(), { '0': f32(1, 2, 3) })));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.deepEqual(r.value.tensors.map((t) => t.name), ['w']);
  });

  it('a self-referencing list (memo cycle) and a cyclic dict terminate', async () => {
    // l = []; l.append(l); d = {'w': tensor, 'loop': l, 'self': d}
    const p = new PickleWriter().proto(2).op('}').binput(0).str('loop').op(']').binput(1).binget(1).op('a').op('s');
    p.str('self').binget(0).op('s').str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('s').stop();
    const r = await openCheckpoint(file(torchZip(p.bytes(), { '0': f32(1, 2, 3) })));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.ok(r.value.tensors.some((t) => t.name === 'w'));
  });

  it('a "billion laughs" DAG (10 references per level, 9 levels) is walked within a budget', async () => {
    // L0 = tensor; Lk = [L(k-1)] * 10 built from memo references: 10^9 paths to one tensor.
    const p = new PickleWriter().proto(2).op('}').str('laughs').tensor('FloatStorage', '0', 3, 0, [3], [1]).binput(0).op('0');
    for (let k = 1; k <= 9; k++) {
      p.op(']').mark();
      for (let i = 0; i < 10; i++) p.binget(k - 1);
      p.op('e').binput(k).op('0');
    }
    p.binget(9).op('s').stop();
    const started = Date.now();
    const r = await openCheckpoint(file(torchZip(p.bytes(), { '0': f32(1, 2, 3) })));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.ok(r.value.problems.some((x) => x.code === 'pickle-too-many-paths'));
    assert.ok(Date.now() - started < 20_000);
  });

  it('a tuple-DAG dict key cannot blow up key hashing', () => {
    const p = new PickleWriter().proto(2).op('}').str('x').binput(0).op('0');
    for (let k = 1; k <= 40; k++) p.binget(k - 1).binget(k - 1).raw(0x86).binput(k).op('0');
    p.binget(40).int(1).op('s').stop();
    const r = unpickle(p.bytes());
    assert.ok(r.ok, r.ok ? '' : r.error.message);
  });

  it('a memo-amplified value count is bounded (pickle-too-many-objects)', () => {
    const p = new PickleWriter().proto(2).op(']').binput(0);
    for (let i = 0; i < 2000; i++) p.binget(0).op('0');
    const r = unpickle(p.stop().bytes(), 0, { limits: { maxValues: 1000 } });
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-too-many-objects');
  });
});

describe('pytorch security: hostile tensors and storages', () => {
  it('a "__proto__" key is plain metadata, not prototype pollution', async () => {
    const pk = new PickleWriter().proto(2).op('}').mark().str('__proto__').str('polluted').str('constructor').mark().str('x').tuple();
    pk.str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('u').stop();
    const r = await openCheckpoint(file(torchZip(pk.bytes(), { '0': f32(1, 2, 3) })));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(Object.getOwnPropertyDescriptor(r.value.metadata, '__proto__')?.value, 'polluted');
    assert.equal(r.value.extras?.constructor, '("x")');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.match(JSON.stringify(r.value.metadata), /"__proto__":"polluted"/);
  });

  it('a view past the end of its storage is unreadable, not read out of bounds', async () => {
    const pk = new PickleWriter().proto(2).op('}').mark().str('big').tensor('FloatStorage', '0', 3, 2, [4], [1]).str('ok').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('u').stop().bytes();
    const r = await openCheckpoint(file(torchZip(pk, { '0': f32(1, 2, 3) })));
    assert.ok(r.ok);
    assert.deepEqual(r.value.tensors.map((t) => t.name), ['ok']);
    assert.equal(r.value.unreadable[0]?.name, 'big');
    assert.match(r.value.unreadable[0]!.reason, /storage/);
  });

  it('a missing storage entry makes that tensor unreadable', async () => {
    const pk = new PickleWriter().proto(2).op('}').str('gone').tensor('FloatStorage', '9', 3, 0, [3], [1]).op('s').stop().bytes();
    const r = await openCheckpoint(file(torchZip(pk)));
    assert.ok(r.ok);
    assert.equal(r.value.tensors.length, 0);
    assert.match(r.value.unreadable[0]!.reason, /missing/);
  });

  it('a shape of 2^40 x 2^40 elements is unreadable, not allocated', async () => {
    const pk = new PickleWriter().proto(2).op('}').str('huge');
    pk.global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').int(3).tuple().op('Q');
    pk.int(0).raw(0x8a, 6, 0, 0, 0, 0, 0, 1).raw(0x8a, 6, 0, 0, 0, 0, 0, 1).raw(0x86).int(1).int(1).raw(0x86).raw(0x89).op('N').tuple().reduce().op('s').stop();
    const r = await openCheckpoint(file(torchZip(pk.bytes(), { '0': f32(1, 2, 3) })));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.equal(r.value.tensors.length, 0);
    assert.equal(r.value.unreadable.length, 1);
  });

  it('a persistent id that is not a storage yields an opaque, unreadable entry', async () => {
    const pk = new PickleWriter().proto(2).op('}').str('x').global('torch._utils', '_rebuild_tensor_v2').mark().str('module-source').op('Q').int(0).mark().int(3).tuple().mark().int(1).tuple().raw(0x89).op('N').tuple().reduce().op('s').stop();
    const r = await openCheckpoint(file(torchZip(pk.bytes())));
    assert.ok(r.ok);
    assert.equal(r.value.unreadable[0]?.name, 'x');
  });
});

describe('pytorch security: hostile archives', () => {
  const goodPickle = () => new PickleWriter().proto(2).op('}').str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('s').stop().bytes();

  it('path traversal in an entry name is refused', async () => {
    const r = await openCheckpoint(file(torchZip(goodPickle(), { '0': f32(1, 2, 3) }, [{ name: '../../evil.sh', data: Buffer.from('x') }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-unsafe-entry-name');
  });

  it('an absolute entry name is refused', async () => {
    const r = await openCheckpoint(file(torchZip(goodPickle(), { '0': f32(1, 2, 3) }, [{ name: '/etc/cron.d/x', data: Buffer.from('x') }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-unsafe-entry-name');
  });

  it('duplicate entry names are refused', async () => {
    const r = await openCheckpoint(file(torchZip(goodPickle(), { '0': f32(1, 2, 3) }, [{ name: 'archive/data/0', data: f32(6, 6, 6) }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-duplicate-entry');
  });

  it('an entry claiming an impossible compression ratio is refused as a zip bomb', async () => {
    const r = await openCheckpoint(file(torchZip(goodPickle(), {}, [{ name: 'archive/data/0', data: f32(1, 2, 3), deflate: true, claimedSize: 2_000_000_000 }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-bomb');
  });

  it('a data.pkl that inflates past its claimed size is refused without inflating it all', async () => {
    const bomb = new Uint8Array(50 << 20); // 50 MiB of zeros deflates to ~50 KiB
    const r = await openCheckpoint(file(zip([{ name: 'archive/data.pkl', data: bomb, deflate: true, claimedSize: 100_000 }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-bomb');
  });

  it('a storage that inflates past its claimed size fails the value read with zip-bomb, memory bounded', async () => {
    const bomb = new Uint8Array(64 << 20);
    const pk = new PickleWriter().proto(2).op('}').str('w').tensor('FloatStorage', '0', 3, 0, [3], [1]).op('s').stop().bytes();
    const r = await openCheckpoint(file(zip([{ name: 'archive/data.pkl', data: pk }, { name: 'archive/data/0', data: bomb, deflate: true, claimedSize: 12 }])));
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    await assert.rejects(readTensorFloat32(r.value.tensors[0]!), (e: Error & { code?: string }) => e.code === 'zip-bomb');
  });

  it('a ZIP without data.pkl (e.g. an .npz) is refused with a clear code', async () => {
    const r = await openCheckpoint(file(zip([{ name: 'arr_0.npy', data: Buffer.from('x') }])));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pytorch-no-data-pkl');
  });

  it('a truncated archive is refused', async () => {
    const whole = torchZip(goodPickle(), { '0': f32(1, 2, 3) });
    const r = await openCheckpoint(file(whole.subarray(0, whole.length - 30)));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'zip-invalid');
  });

  it('a tar (pre-0.4 torch format) is refused with pytorch-legacy-unsupported', async () => {
    const tar = new Uint8Array(1024);
    tar.set(Buffer.from('storages'), 0);
    tar.set(Buffer.from('ustar'), 257);
    const r = await openCheckpoint(file(tar, '.pth'));
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pytorch-legacy-unsupported');
  });
});
