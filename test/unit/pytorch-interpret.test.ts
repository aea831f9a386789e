/**
 * Which tensors are "the weights" of a PyTorch pickle, and what the rest becomes (metadata, extras,
 * findings): the unwrapping rules documented in docs/readme/pytorch.md.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpret } from '../../src/formats/pytorch/interpret.js';
import { unpickle } from '../../src/formats/pytorch/pickle/unpickler.js';
import { PickleWriter } from '../fixtures/pytorch/writers.js';

const w = () => new PickleWriter().proto(2);
const t = (p: PickleWriter) => p.tensor('FloatStorage', '0', 4, 0, [2, 2], [2, 1]);

function run(p: PickleWriter) {
  const r = unpickle(p.stop().bytes());
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return interpret(r.value.value);
}

describe('pytorch interpret: unwrapping', () => {
  it('Lightning-style: state_dict with a DDP module. prefix kept, optimizer_states list recognised', () => {
    const p = w().op('}').mark().str('epoch').int(3).str('pytorch-lightning_version').str('2.1.0');
    p.str('state_dict').op('}').str('module.w').apply(t).op('s');
    p.str('optimizer_states').op(']').op('}').str('state').op('}').op('s').str('param_groups').op(']').op('}').str('params').op(']').int(0).op('a').op('s').str('lr').raw(0x47, 0x3f, 0xb9, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9a).op('s').op('a').op('s').op('a');
    p.op('u');
    const i = run(p);
    assert.deepEqual(i.weights.map((x) => x.name), ['module.w']);
    assert.equal(i.weightsKey, 'state_dict');
    assert.equal(i.metadata.epoch, '3');
    assert.equal(i.metadata['pytorch-lightning_version'], '2.1.0');
    assert.match(i.extras.optimizer_states ?? '', /^optimizer state \(no per-parameter state\): 0 parameter states, 1 param group, 1 parameter \(lr=0\.1\)/);
    assert.deepEqual(i.problems.map((x) => x.code).sort(), ['pytorch-training-checkpoint', 'pytorch-weights-unwrapped']);
  });

  it('a doubly wrapped checkpoint ({"model": {"state_dict": ...}}) is followed one level', () => {
    const p = w().op('}').str('model').op('}').mark().str('state_dict').op('}').str('w').apply(t).op('s').str('step').int(9).op('u').op('s');
    const i = run(p);
    assert.equal(i.weightsKey, 'model.state_dict');
    assert.deepEqual(i.weights.map((x) => x.name), ['w']);
  });

  it('state_dict wins over state_dict_ema, which is summarised, not listed', () => {
    const p = w().op('}').mark().str('state_dict_ema').op('}').str('a').apply(t).op('s').str('state_dict').op('}').str('b').apply(t).op('s').op('u');
    const i = run(p);
    assert.deepEqual(i.weights.map((x) => x.name), ['b']);
    assert.match(i.extras.state_dict_ema ?? '', /^1 tensor, 4 elements, 16 B/);
  });

  it('a dict of sub-dicts with no known key is flattened with dotted names', () => {
    const p = w().op('}').mark().str('text').op('}').str('w').apply(t).op('s').str('vision').op('}').str('w').apply(t).op('s').str('note').str('hi').op('u');
    const i = run(p);
    assert.deepEqual(i.weights.map((x) => x.name), ['text.w', 'vision.w']);
    assert.equal(i.metadata.note, 'hi');
  });

  it('the same tensor under two names (tied weights through the memo) is listed under both', () => {
    const p = w().op('}').mark().str('a').apply(t).binput(200).str('b').binget(200).op('u');
    const i = run(p);
    assert.deepEqual(i.weights.map((x) => x.name), ['a', 'b']);
    assert.equal(i.weights[0]!.value, i.weights[1]!.value);
  });

  it('a bare tensor (torch.save(tensor)) is one weight named "tensor"', () => {
    const i = run(t(w()));
    assert.deepEqual(i.weights.map((x) => x.name), ['tensor']);
  });

  it('a quantized tensor is kept as an unreadable slot with its rebuild function', () => {
    const p = w().op('}').str('q').global('torch._utils', '_rebuild_qtensor').mark().int(1).tuple().reduce().op('s');
    const i = run(p);
    assert.equal(i.weights.length, 1);
    assert.equal(i.weights[0]!.name, 'q');
  });
});
