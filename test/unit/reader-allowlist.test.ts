/**
 * The pieces behind the hostile-file guarantees, one by one: the global allowlist, the raw-bytes
 * global sniff of rejected pickles, frame rules, the safetensors JSON scan and the value-read plan.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TensorInfo } from '../../src/core/checkpoint.js';
import { classifyGlobal } from '../../src/formats/pytorch/pickle/globalPolicy.js';
import { sniffGlobals, unpickle } from '../../src/formats/pytorch/pickle/unpickler.js';
import { scanHeaderJson } from '../../src/formats/safetensors/jsonScan.js';
import { planReads } from '../../src/stats/readPlan.js';
import { PickleWriter } from '../fixtures/pytorch/writers.js';

describe('global allowlist', () => {
  const cases: Array<[string, string, string]> = [
    ['torch._utils', '_rebuild_tensor_v2', 'safe'],
    ['torch', '_utils._rebuild_tensor_v2', 'safe'],
    ['torch', 'FloatStorage', 'safe'],
    ['torch', 'bfloat16', 'safe'],
    ['collections', 'OrderedDict', 'safe'],
    ['torch.jit._pickle', 'build_intlist', 'safe'],
    ['torch.jit._pickle', 'restore_type_tag', 'safe'],
    ['__torch__.torch.nn.modules.linear', 'Linear', 'safe'],
    ['argparse', 'Namespace', 'data'],
    ['numpy.core.multiarray', '_reconstruct', 'data'],
    ['pathlib', 'PurePosixPath', 'data'],
    ['torch.nn.modules.linear', 'Linear', 'data'],
    ['os', 'system', 'code-execution'],
    ['posixpath', 'os.system', 'code-execution'],
    ['tempfile', '_os.system', 'code-execution'],
    ['builtins', 'eval.__call__', 'code-execution'],
    ['builtins', 'getattr', 'code-execution'],
    ['torch.serialization', 'load', 'code-execution'],
    ['torch', 'load.__call__', 'code-execution'],
    ['numpy.testing._private.utils', 'runstring', 'code-execution'],
    ['bdb', 'Bdb.run', 'code-execution'],
    ['pydoc', 'pipepager', 'code-execution'],
    ['uuid', '_get_command_stdout', 'code-execution'],
    ['pathlib', 'Path.write_text', 'code-execution'],
    ['torch.utils.collect_env', 'run', 'code-execution'],
    ['torch._dynamo.guards', 'GuardBuilder.get', 'code-execution'],
    ['__main__', 'Net', 'unsafe'],
    ['torch', 'Size.__call__', 'unsafe'],
    ['builtins', 'print', 'unsafe'],
    ['builtins', 'len', 'unsafe'],
    ['collections', 'UserDict', 'unsafe'],
    ['os\r', 'system\r', 'code-execution'],
    ['macos', 'system', 'code-execution'],
    ['__torch__', 'os.system', 'code-execution'],
  ];
  for (const [m, n, want] of cases) {
    it(`${JSON.stringify(m)} + ${JSON.stringify(n)} → ${want}`, () => {
      const got = classifyGlobal(m, n);
      // Anything that is not allowed must be an error class; the exact error class matters only for the message.
      if (want === 'unsafe' || want === 'code-execution') assert.ok(got === 'unsafe' || got === 'code-execution', got);
      else assert.equal(got, want);
      if (want === 'code-execution' && !/\r|macos/.test(m)) assert.equal(got, 'code-execution');
    });
  }

  it('Python 2 module names are mapped before the check (fix_imports)', () => {
    const r = unpickle(new PickleWriter().proto(2).global('__builtin__', 'eval').mark().str('1').tuple().reduce().stop().bytes());
    assert.ok(r.ok);
    assert.deepEqual(r.value.policy.codeExecution, ['builtins.eval']);
  });

  it('a rejected pickle still reports the global it reached first', () => {
    const r = unpickle(new PickleWriter().proto(2).global('os', 'system').mark().str('x').tuple().reduce().raw(0xff).stop().bytes());
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-invalid-opcode');
    assert.deepEqual(r.error.policy.codeExecution, ['os.system']);
  });

  it('the raw-bytes sniff finds GLOBAL text and STACK_GLOBAL string pairs', () => {
    const stackGlobal = new PickleWriter().proto(4).raw(0x8c, 2).text('os').raw(0x94, 0x8c, 6).text('system').raw(0x94, 0x93).stop().bytes();
    assert.deepEqual(sniffGlobals(stackGlobal), [['os', 'system']]);
    assert.deepEqual(sniffGlobals(Buffer.from('junk cposix\nsystem\n junk')), [['posix', 'system']]);
  });

  it('frames follow the pure-Python unpickler: a read may not cross a frame end', () => {
    const inside = new PickleWriter().proto(4).raw(0x95).u64(2n).op('N').op('.').bytes();
    assert.ok(unpickle(inside).ok);
    const crossing = new PickleWriter().proto(4).raw(0x95).u64(2n).raw(0x4a, 1, 0, 0, 0).stop().bytes();
    const r = unpickle(crossing);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-frame-invalid');
    const early = new PickleWriter().proto(4).raw(0x95).u64(4n).op('N').raw(0x95).u64(1n).op('.').bytes();
    assert.equal(unpickle(early).ok ? 'ok' : (unpickle(early) as { ok: false; error: { code: string } }).error.code, 'pickle-frame-invalid');
  });

  it('a mutable set or list as a dict key is refused like Python (unhashable)', () => {
    const r = unpickle(new PickleWriter().proto(2).op('}').op(']').int(1).op('s').stop().bytes());
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'pickle-unhashable');
  });
});

describe('safetensors JSON scan (the reference rules JSON.parse does not enforce)', () => {
  it('depth above 128 is fatal, without recursion', () => {
    assert.equal(scanHeaderJson(`{"a":${'['.repeat(129)}${']'.repeat(129)}}`).fatal?.code, 'header-too-deep');
    assert.equal(scanHeaderJson(`{"a":${'['.repeat(127)}${']'.repeat(127)}}`).fatal, undefined);
    assert.equal(scanHeaderJson(`{"a":${'['.repeat(1_000_000)}`).fatal?.code, 'header-too-deep');
  });
  it('lone surrogates are fatal; pairs are fine', () => {
    assert.equal(scanHeaderJson('{"\\ud800":1}').fatal?.code, 'header-invalid-unicode');
    assert.equal(scanHeaderJson('{"\\udc00":1}').fatal?.code, 'header-invalid-unicode');
    assert.equal(scanHeaderJson('{"\\ud83d\\ude00":1}').fatal, undefined);
  });
  it('a second __metadata__ is fatal, also when escaped', () => {
    assert.equal(scanHeaderJson('{"__metadata__":{},"__metadata__":{}}').fatal?.code, 'header-duplicate-metadata');
    assert.equal(scanHeaderJson('{"__metadata__":{},"__metadata\\u005f_":{}}').fatal?.code, 'header-duplicate-metadata');
    assert.equal(scanHeaderJson('{"__metadata__":{"__metadata__":"x"}}').fatal, undefined);
  });
  it('float-form and above-u64 numbers are attributed to their tensor entry', () => {
    const s = scanHeaderJson('{"a":{"shape":[1],"data_offsets":[0,4.0]},"b":{"shape":[1e0],"data_offsets":[0,4]},"c":{"shape":[18446744073709551616],"data_offsets":[0,4]},"d":{"shape":[18446744073709551615],"data_offsets":[0,0]},"__metadata__":{"x":"1.5"}}');
    assert.deepEqual([...s.badNumbers].sort(), ['a', 'b', 'c']);
  });
});

describe('value-read plan', () => {
  const t = (name: string, offset: number, length: number): TensorInfo => ({ name, dtype: 'U8', shape: [length], elementCount: length, byteLength: length, data: { kind: 'contiguous', file: '/f', offset, length } });
  it('the same bytes are read once; the rest must fit twice the file plus slack', () => {
    const same = planReads({ files: [{ path: '/f', size: 1000 }] }, Array.from({ length: 20000 }, (_, i) => t(`t${i}`, 0, 1000)));
    assert.ok(same.ok);
    assert.equal(same.value.distinct.length, 1);
    assert.equal(same.value.sameAs.get('t19999'), 't0');
    const sliding = planReads({ files: [{ path: '/f', size: 1 << 20 }] }, Array.from({ length: 20000 }, (_, i) => t(`t${i}`, i, 1 << 19)));
    assert.ok(!sliding.ok);
    assert.equal(sliding.error.code, 'reads-exceed-file-size');
  });
});
