/**
 * Builds the hostile-file corpus into a directory, from code (no binary is committed): malicious
 * pickles in the styles of picklescan's, modelscan's and fickling's samples, each as a raw pickle,
 * injected into a real one-tensor torch.save zip, and as a legacy torch.save main pickle; payloads
 * in the legacy file's other pickles; torch archives that torch.load refuses; benign files torch
 * reads; and safetensors cases from the reference implementation's accept/reject rules.
 *
 * Every payload is neutralised: the command it runs is `touch PWNED_<case>`, the file it writes
 * is `PWNED_<case>`, both relative to the working directory. control.py proves each one live by
 * loading it with CPython / torch.load in an empty temporary directory.
 */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { f32, PickleWriter, torchZip, zip } from '../fixtures/pytorch/writers.js';
import { rawSafetensors } from '../helpers/rawSafetensors.js';

export type Kind = 'malicious' | 'benign' | 'malformed' | 'st-accept' | 'st-reject';

export interface CorpusEntry {
  readonly file: string;
  readonly kind: Kind;
  readonly note: string;
  /** How control.py loads it to prove the label: `pickle` (pickle.load) or `torch` (torch.load). */
  readonly control?: 'pickle' | 'torch';
  /** For malicious files with a control: the sentinel the payload creates. */
  readonly sentinel?: string;
  /** For benign files: whether tensors must be listed. */
  readonly tensors?: boolean;
}

type Payload = (p: PickleWriter, s: string) => void;

const touch = (s: string) => `touch ${s}`;
const pyTouch = (s: string) => `open(${JSON.stringify(s)}, 'w').close()`;

function binbytes(p: PickleWriter, b: Uint8Array): PickleWriter {
  return p.raw(0x42).u32(b.length).raw(...b);
}
function list(p: PickleWriter, items: string[]): PickleWriter {
  p.op(']').mark();
  for (const x of items) p.str(x);
  return p.op('e');
}

/** Payload families: each pushes exactly one value (the payload's result) onto the stack. */
export const FAMILIES: Record<string, Payload> = {
  os_system: (p, s) => p.global('os', 'system').mark().str(touch(s)).tuple().reduce(),
  posix_system: (p, s) => p.global('posix', 'system').mark().str(touch(s)).tuple().reduce(),
  subprocess_call: (p, s) => p.global('subprocess', 'call').mark().apply((q) => list(q, ['touch', s])).tuple().reduce(),
  subprocess_check_output: (p, s) => p.global('subprocess', 'check_output').mark().apply((q) => list(q, ['touch', s])).tuple().reduce(),
  builtins_eval: (p, s) => p.global('builtins', 'eval').mark().str(`__import__('os').system(${JSON.stringify(touch(s))})`).tuple().reduce(),
  builtins_exec: (p, s) => p.global('builtins', 'exec').mark().str(pyTouch(s)).tuple().reduce(),
  inst_opcode: (p, s) => p.mark().str(touch(s)).op('i').text('os\nsystem\n'),
  obj_opcode: (p, s) => p.mark().global('os', 'system').str(touch(s)).op('o'),
  // Dotted names, resolved attribute by attribute by the unpickler (protocol 4).
  dotted_posixpath_os_system: (p, s) => p.global('posixpath', 'os.system').mark().str(touch(s)).tuple().reduce(),
  dotted_builtins_eval_call: (p, s) => p.global('builtins', 'eval.__call__').mark().str(`__import__('os').system(${JSON.stringify(touch(s))})`).tuple().reduce(),
  dotted_tempfile_os_system: (p, s) => p.global('tempfile', '_os.system').mark().str(touch(s)).tuple().reduce(),
  dotted_torch_serialization_os_system: (p, s) => p.global('torch.serialization', 'os.system').mark().str(touch(s)).tuple().reduce(),
  pathlib_path_touch: (p, s) => p.global('pathlib', 'Path.touch').mark().global('pathlib', 'Path').mark().str(s).tuple().reduce().tuple().reduce(),
  // Code runners outside a classic denylist.
  runpy_run_code: (p, s) => p.global('runpy', '_run_code').mark().str(pyTouch(s)).op('}').tuple().reduce(),
  cprofile_run: (p, s) => p.global('cProfile', 'run').mark().str(pyTouch(s)).tuple().reduce(),
  profile_run: (p, s) => p.global('profile', 'run').mark().str(pyTouch(s)).tuple().reduce(),
  bdb_run: (p, s) => p.global('bdb', 'Bdb.run').mark().global('bdb', 'Bdb').emptyTuple().reduce().str(pyTouch(s)).tuple().reduce(),
  code_runsource: (p, s) => p.global('code', 'InteractiveInterpreter.runsource').mark().global('code', 'InteractiveInterpreter').emptyTuple().reduce().str(pyTouch(s)).tuple().reduce(),
  pydoc_pipepager: (p, s) => p.global('pydoc', 'pipepager').mark().str('x').str(touch(s)).tuple().reduce(),
  uuid_get_command_stdout: (p, s) => p.global('uuid', '_get_command_stdout').mark().str('touch').str(s).tuple().reduce(),
  numpy_runstring: (p, s) => p.global('numpy.testing._private.utils', 'runstring').mark().str(pyTouch(s)).op('}').tuple().reduce(),
  // Gadget chains: the callable is itself the result of a call.
  pkgutil_resolve_name: (p, s) => p.global('pkgutil', 'resolve_name').mark().str('os.system').tuple().reduce().mark().str(touch(s)).tuple().reduce(),
  importlib_getattr: (p, s) =>
    p.global('builtins', 'getattr').mark().global('importlib', 'import_module').mark().str('os').tuple().reduce().str('system').tuple().reduce().mark().str(touch(s)).tuple().reduce(),
  operator_methodcaller: (p, s) =>
    p.global('operator', 'methodcaller').mark().str('system').str(touch(s)).tuple().reduce().mark().global('importlib', 'import_module').mark().str('os').tuple().reduce().tuple().reduce(),
  functools_partial: (p, s) => p.global('functools', 'partial').mark().global('os', 'system').str(touch(s)).tuple().reduce().emptyTuple().reduce(),
  pickle_loads_nested: (p, s) => p.global('pickle', 'loads').mark().apply((q) => binbytes(q, new PickleWriter().proto(2).global('os', 'system').mark().str(touch(s)).tuple().reduce().stop().bytes())).tuple().reduce(),
  // File writers.
  logging_filehandler: (p, s) => p.global('logging', 'FileHandler').mark().str(s).tuple().reduce(),
  io_open: (p, s) => p.global('io', 'open').mark().str(s).str('w').tuple().reduce(),
  sqlite3_connect: (p, s) => p.global('sqlite3', 'connect').mark().str(s).tuple().reduce(),
  zipfile_zipfile: (p, s) => p.global('zipfile', 'ZipFile').mark().str(s).str('w').tuple().reduce(),
  tarfile_open: (p, s) => p.global('tarfile', 'open').mark().str(s).str('w').tuple().reduce(),
};

/** A one-tensor state dict {'w': tensor([1, 2, 3])} with the payload before it; `legacy` writes legacy persistent ids. */
function injected(payload: Payload, s: string, legacy: boolean, proto = 4): Uint8Array {
  const p = new PickleWriter().proto(proto).op('}').mark().str('evil');
  payload(p, s);
  p.str('w');
  tensor(p, legacy);
  return p.op('u').stop().bytes();
}

/** `_rebuild_tensor_v2` of storage '0' (3 floats); legacy ids carry a sixth `view_metadata` field. */
function tensor(p: PickleWriter, legacy: boolean, key = '0', cls = 'FloatStorage', numel = 3, shape = [3], strides = [1], offset = 0): PickleWriter {
  p.global('torch._utils', '_rebuild_tensor_v2').mark();
  p.mark().str('storage').global('torch', cls).str(key).str('cpu').int(numel);
  if (legacy) p.op('N');
  p.tuple().op('Q');
  p.int(offset).mark();
  for (const d of shape) p.int(d);
  p.tuple().mark();
  for (const x of strides) p.int(x);
  return p.tuple().raw(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce();
}

const MAGIC = () => new PickleWriter().proto(2).raw(0x8a, 10, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).stop().bytes();
const PROTO = () => new PickleWriter().proto(2).int(1001).stop().bytes();
const SYSINFO = () => new PickleWriter().proto(2).op('}').str('little_endian').raw(0x88).op('s').stop().bytes();
const KEYS = (keys = ['0']) => new PickleWriter().proto(2).apply((q) => list(q, keys)).stop().bytes();

function legacyFile(parts: { magic?: Uint8Array; proto?: Uint8Array; sys?: Uint8Array; data: Uint8Array; keys?: Uint8Array; storages?: Array<[number, Uint8Array]> }): Uint8Array {
  const storages = parts.storages ?? [[3, f32(1, 2, 3)]];
  const body: Uint8Array[] = [];
  for (const [numel, bytes] of storages) {
    const n = Buffer.alloc(8);
    n.writeBigInt64LE(BigInt(numel));
    body.push(n, bytes);
  }
  return Buffer.concat([parts.magic ?? MAGIC(), parts.proto ?? PROTO(), parts.sys ?? SYSINFO(), parts.data, parts.keys ?? KEYS(), ...body]);
}

function stateDict(legacy: boolean, build: (p: PickleWriter) => void = (p) => tensor(p, legacy)): Uint8Array {
  const p = new PickleWriter().proto(2).op('}').str('w');
  build(p);
  return p.op('s').stop().bytes();
}

export function buildCorpus(dir: string, fixturesDir: string): CorpusEntry[] {
  mkdirSync(dir, { recursive: true });
  const out: CorpusEntry[] = [];
  const put = (file: string, bytes: Uint8Array, e: Omit<CorpusEntry, 'file'>) => {
    writeFileSync(join(dir, file), bytes);
    out.push({ file, ...e });
  };

  // ---- malicious: every family three ways.
  for (const [name, payload] of Object.entries(FAMILIES)) {
    const raw = `PWNED_${name}_raw`;
    put(`${name}.pkl`, new PickleWriter().proto(4).apply((p) => payload(p, raw)).stop().bytes(), { kind: 'malicious', note: `${name} as a raw pickle`, control: 'pickle', sentinel: raw });
    const inj = `PWNED_${name}_inject`;
    put(`${name}.inject.pt`, torchZip(injected(payload, inj, false), { '0': f32(1, 2, 3) }), { kind: 'malicious', note: `${name} before a real tensor in a torch.save zip`, control: 'torch', sentinel: inj });
    const leg = `PWNED_${name}_legacy`;
    put(`${name}.legacy.pt`, legacyFile({ data: injected(payload, leg, true) }), { kind: 'malicious', note: `${name} in a legacy torch.save main pickle`, control: 'torch', sentinel: leg });
  }
  // Python 2 module name, mapped by the unpickler's fix_imports (protocol ≤ 2).
  put('py2_builtin_eval.pkl', new PickleWriter().proto(2).global('__builtin__', 'eval').mark().str(`__import__('os').system(${JSON.stringify(touch('PWNED_py2_builtin_eval'))})`).tuple().reduce().stop().bytes(), {
    kind: 'malicious', note: '__builtin__.eval (Python 2 name)', control: 'pickle', sentinel: 'PWNED_py2_builtin_eval',
  });
  // The payload runs, then the pickle is rejected: CPython has already called os.system.
  put('rejected_after_payload.pkl', new PickleWriter().proto(4).global('os', 'system').mark().str(touch('PWNED_rejected_after')).tuple().reduce().raw(0xff).stop().bytes(), {
    kind: 'malicious', note: 'os.system, then an invalid opcode', control: 'pickle', sentinel: 'PWNED_rejected_after',
  });
  // Payloads in the legacy file's other pickles, while the main pickle is a real state dict.
  const callTouch = (s: string) => new PickleWriter().proto(2).global('os', 'system').mark().str(touch(s)).tuple().reduce().stop().bytes();
  put('legacy_payload_in_sys_info.pt', legacyFile({ sys: callTouch('PWNED_legacy_sys_info'), data: stateDict(true) }), { kind: 'malicious', note: 'os.system in the sys_info pickle', control: 'torch', sentinel: 'PWNED_legacy_sys_info' });
  put('legacy_payload_in_storage_keys.pt', legacyFile({ keys: new PickleWriter().proto(2).global('os', 'system').mark().str(touch('PWNED_legacy_keys')).tuple().reduce().stop().bytes(), data: stateDict(true) }), {
    kind: 'malicious', note: 'os.system in the storage-keys pickle', control: 'torch', sentinel: 'PWNED_legacy_keys',
  });
  // torch.load reads only data.pkl; an extra pickle in the archive is still reported (never proven live).
  put('zip_extra_pkl.pt', torchZip(stateDict(false), { '0': f32(1, 2, 3) }, [{ name: 'archive/extra.pkl', data: callTouch('PWNED_zip_extra') }]), { kind: 'malicious', note: 'os.system in a second .pkl of the zip' });
  // An unsafe global that is not a known command runner: flagged by the allowlist alone.
  put('unknown_class.pt', torchZip(stateDict(false, (p) => p.global('mypackage.evil', 'Loader').mark().str('x').tuple().reduce()), {}), { kind: 'malicious', note: 'a global outside the allowlist (not a known runner)' });

  // ---- benign: real torch.save files (committed fixtures) and hand-made ones torch reads.
  for (const f of ['basic.pt', 'compressed.pt', 'legacy.pt', 'protocol4.pt', 'training.pt', 'scripted.pt', 'zip64.pt']) {
    copyFileSync(join(fixturesDir, f), join(dir, `fixture_${f}`));
    out.push({ file: `fixture_${f}`, kind: 'benign', note: `torch.save fixture ${f}`, control: 'torch', tensors: true });
  }
  const good = torchZip(stateDict(false), { '0': f32(1, 2, 3) });
  put('zip_state_dict.pt', good, { kind: 'benign', note: 'hand-made torch zip', control: 'torch', tensors: true });
  put('zip_trailing_byte.pt', Buffer.concat([good, Buffer.from([0])]), { kind: 'benign', note: 'a torch zip with one trailing byte (torch reads it)', control: 'torch', tensors: true });
  put('legacy_state_dict.pt', legacyFile({ data: stateDict(true) }), { kind: 'benign', note: 'hand-made legacy file', control: 'torch', tensors: true });
  // A QUInt8 storage first: its element width must still be known to find the F32 storage after it.
  const quint = new PickleWriter().proto(2).op('}').str('q').apply((p) => tensor(p, true, '0', 'QUInt8Storage', 4, [4], [1])).op('s').str('w').apply((p) => tensor(p, true, '1')).op('s').stop().bytes();
  put('legacy_quint8_then_f32.pt', legacyFile({ data: quint, keys: KEYS(['0', '1']), storages: [[4, new Uint8Array(4)], [3, f32(1, 2, 3)]] }), { kind: 'benign', note: 'a QUInt8 storage before an F32 one', tensors: true });
  put('torchscript_builders.pt', torchZip(stateDict(false, (p) => p.global('torch.jit._pickle', 'build_intlist').mark().apply((q) => q.op(']').mark().int(1).int(2).op('e')).tuple().reduce()), {}, [
    { name: 'archive/constants.pkl', data: new PickleWriter().proto(2).emptyTuple().stop().bytes() },
    { name: 'archive/code/__torch__.py', data: Buffer.from('') },
  ]), { kind: 'benign', note: "TorchScript's own list builder" });

  // ---- malformed: torch.load refuses each.
  put('zip_missing_storage.pt', torchZip(stateDict(false), {}), { kind: 'malformed', note: 'the storage record is missing', control: 'torch' });
  put('zip_view_past_end.pt', torchZip(stateDict(false, (p) => tensor(p, false, '0', 'FloatStorage', 3, [3], [1], 2)), { '0': f32(1, 2, 3) }), { kind: 'malformed', note: 'a view past the end of its storage', control: 'torch' });
  put('zip_numel_2p62.pt', torchZip(new PickleWriter().proto(2).op('}').str('w').global('torch._utils', '_rebuild_tensor_v2').mark().mark().str('storage').global('torch', 'FloatStorage').str('0').str('cpu').raw(0x8a, 8, 0, 0, 0, 0, 0, 0, 0, 0x40).tuple().op('Q').int(0).mark().int(3).tuple().mark().int(1).tuple().raw(0x89).global('collections', 'OrderedDict').emptyTuple().reduce().tuple().reduce().op('s').stop().bytes(), { '0': f32(1, 2, 3) }), {
    kind: 'malformed', note: 'a storage of 2^62 elements', control: 'torch',
  });
  put('zip_negative_stride.pt', torchZip(stateDict(false, (p) => tensor(p, false, '0', 'FloatStorage', 3, [3], [-1])), { '0': f32(1, 2, 3) }), { kind: 'malformed', note: 'a negative stride', control: 'torch' });
  put('zip_storage_key_traversal.pt', torchZip(stateDict(false, (p) => tensor(p, false, '../../etc/passwd')), { '0': f32(1, 2, 3) }), { kind: 'malformed', note: 'a storage key with ../', control: 'torch' });
  put('zip_storage_short.pt', torchZip(stateDict(false), { '0': f32(1, 2) }), { kind: 'malformed', note: 'a storage shorter than it declares: torch 1.13 loads it without error, yet the tensor reads past its storage; refused on purpose' });
  put('legacy_truncated.pt', legacyFile({ data: stateDict(true) }).subarray(0, 150), { kind: 'malformed', note: 'a legacy file cut short', control: 'torch' });
  put('pickle_frame_overrun.pt', torchZip(new PickleWriter().proto(4).raw(0x95).u64(3n).op('}').str('abc').int(1).op('s').stop().bytes()), { kind: 'malformed', note: 'a read crosses the end of its FRAME (the pure-Python unpickler refuses it)' });
  put('pickle_unhashable_key.pt', torchZip(new PickleWriter().proto(2).op('}').op(']').int(1).op('s').stop().bytes()), { kind: 'malformed', note: 'a list as a dict key', control: 'torch' });
  put('truncated.safetensors', rawSafetensors({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8), { kind: 'malformed', note: 'data cut short' });

  // ---- safetensors: the reference implementation's accept/reject behaviour.
  const t = (shape: unknown, offs: unknown, dtype = 'F32') => ({ dtype, shape, data_offsets: offs });
  const st = (file: string, header: string | object, data: number, kind: 'st-accept' | 'st-reject', note: string) => put(file, rawSafetensors(header, data), { kind, note });
  st('st_valid.safetensors', { w: t([2], [0, 8]) }, 8, 'st-accept', 'a plain file');
  st('st_leading_whitespace.safetensors', ' \n{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8, 'st-accept', 'whitespace before { (serde_json skips it)');
  st('st_metadata_null.safetensors', '{"__metadata__":null,"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', 8, 'st-accept', '"__metadata__": null is no metadata');
  st('st_rank_100.safetensors', { w: t(new Array(100).fill(1), [0, 4]) }, 4, 'st-accept', '100 dimensions of 1');
  st('st_zero_dim_huge_other.safetensors', '{"w":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}', 0, 'st-accept', 'shape [0, 2^64-1] has zero elements');
  st('st_offsets_float.safetensors', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4.0]}}', 4, 'st-reject', 'offset written 4.0');
  st('st_offsets_exponent.safetensors', '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4e0]}}', 4, 'st-reject', 'offset written 4e0');
  st('st_shape_float.safetensors', '{"w":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', 4, 'st-reject', 'dimension written 1.0');
  st('st_duplicate_metadata.safetensors', '{"__metadata__":{},"__metadata__":{},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4, 'st-reject', 'two __metadata__ entries');
  st('st_lone_surrogate.safetensors', '{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', 4, 'st-reject', 'a lone surrogate escape');
  st('st_deep_shape.safetensors', `{"w":{"dtype":"F32","shape":${'['.repeat(20000)}${']'.repeat(20000)},"data_offsets":[0,4]}}`, 4, 'st-reject', 'a 20,000-deep array in shape');
  st('st_overlap.safetensors', { a: t([2], [0, 8]), b: t([2], [4, 12]) }, 12, 'st-reject', 'overlapping tensors');
  st('st_negative_offset.safetensors', { w: t([1], [-4, 0]) }, 4, 'st-reject', 'a negative offset');
  // 20,000 tensors over the same bytes: stats must refuse or read once, never run for hours.
  const same: Record<string, unknown> = {};
  const sliding: Record<string, unknown> = {};
  for (let i = 0; i < 20000; i++) {
    same[`t${i}`] = t([1024], [0, 4096]);
    sliding[`t${i}`] = t([1024], [4 * i, 4 * i + 4096]);
  }
  st('st_20k_same_bytes.safetensors', same, 4096, 'st-reject', '20,000 tensors over the same 4 KiB');
  st('st_20k_sliding_overlap.safetensors', sliding, 4 * 20000 + 4096, 'st-reject', '20,000 overlapping 4 KiB windows, one float apart');
  // A zip whose only pickle is not at the expected place: refused (not a checkpoint).
  put('not_torch.zip.pt', zip([{ name: 'readme.txt', data: Buffer.from('hi') }]), { kind: 'malformed', note: 'a zip without data.pkl' });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(out, null, 1));
  return out;
}
