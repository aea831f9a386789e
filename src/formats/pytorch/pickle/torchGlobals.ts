import type { DType } from '../../../core/dtype.js';
import { asInt, asIntTuple, PyBytes, PyDict, PyGlobal, PyList, PyObject, PySet, PyStorage, PyTensor, PyTuple, type PyValue } from './values.js';

/**
 * The only Python globals whose meaning we reproduce, all of them data constructors we
 * re-implement here (nothing is looked up or imported). Every other global stays an opaque
 * PyObject carrying its name.
 */

/** `torch.XStorage` class name → dtype of its elements. Undefined entries are known but undecodable. */
const STORAGE_DTYPES: Record<string, DType | undefined> = {
  FloatStorage: 'F32',
  DoubleStorage: 'F64',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  ComplexFloatStorage: 'C64',
  UntypedStorage: 'U8',
  Float8_e4m3fnStorage: 'F8_E4M3',
  Float8_e5m2Storage: 'F8_E5M2',
  Float8_e8m0fnuStorage: 'F8_E8M0',
  UInt16Storage: 'U16',
  UInt32Storage: 'U32',
  UInt64Storage: 'U64',
  ComplexDoubleStorage: undefined,
  QInt8Storage: undefined,
  QUInt8Storage: undefined,
  QInt32Storage: undefined,
  QUInt4x2Storage: undefined,
  QUInt2x4Storage: undefined,
};

/** `torch.<dtype>` globals (used by `_rebuild_tensor_v3`). */
const TORCH_DTYPES: Record<string, DType> = {
  float32: 'F32', float: 'F32', float64: 'F64', double: 'F64', float16: 'F16', half: 'F16', bfloat16: 'BF16',
  int64: 'I64', long: 'I64', int32: 'I32', int: 'I32', int16: 'I16', short: 'I16', int8: 'I8', uint8: 'U8',
  bool: 'BOOL', complex64: 'C64', float8_e4m3fn: 'F8_E4M3', float8_e5m2: 'F8_E5M2', float8_e8m0fnu: 'F8_E8M0',
  uint16: 'U16', uint32: 'U32', uint64: 'U64',
};

/** Bytes per element of a storage class, also for the ones we cannot decode (so a legacy file's later storages can still be located). */
const STORAGE_WIDTHS: Record<string, number> = {
  DoubleStorage: 8, LongStorage: 8, ComplexFloatStorage: 8, ComplexDoubleStorage: 16, UInt64Storage: 8, FloatStorage: 4, IntStorage: 4,
  QInt32Storage: 4, UInt32Storage: 4, HalfStorage: 2, BFloat16Storage: 2, ShortStorage: 2, UInt16Storage: 2,
};

/** Element width in bytes of `torch.XStorage` (1 for byte-sized and unknown classes). */
export function storageElementBytes(storageType: string): number {
  return STORAGE_WIDTHS[storageType.slice(storageType.lastIndexOf('.') + 1)] ?? 1;
}

export function storageClass(g: PyValue): { name: string; dtype: DType | undefined; known: boolean } | undefined {
  if (!(g instanceof PyGlobal)) return undefined;
  const local = g.name;
  if ((g.module === 'torch' || g.module === 'torch.storage' || g.module === 'torch.cuda') && local.endsWith('Storage')) {
    const known = Object.prototype.hasOwnProperty.call(STORAGE_DTYPES, local);
    return { name: g.qualifiedName, dtype: known ? STORAGE_DTYPES[local] : undefined, known };
  }
  return undefined;
}

export { classifyGlobal, type GlobalClass } from './globalPolicy.js';

const REBUILD_TENSOR = new Set(['torch._utils._rebuild_tensor', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_tensor_v3']);
const REBUILD_PARAMETER = new Set(['torch._utils._rebuild_parameter', 'torch._utils._rebuild_parameter_with_state']);

/**
 * REDUCE of `callable(*args)`: our own re-implementation for the allow-listed globals,
 * an opaque record otherwise. `callable` is data, never invoked.
 */
export function reduceCall(callable: PyValue, args: PyValue): PyValue {
  const argList = args instanceof PyTuple ? args.items : [];
  if (!(callable instanceof PyGlobal)) return new PyObject(describeCallable(callable), 'call', argList, 'the callable is not a global');
  const q = callable.qualifiedName;
  if (REBUILD_TENSOR.has(q)) return rebuildTensor(q, argList);
  if (REBUILD_PARAMETER.has(q)) {
    const data = argList[0];
    if (data instanceof PyTensor) return new PyTensor(data.storage, data.storageOffset, data.shape, data.strides, data.dtypeOverride, true);
    return new PyObject(q, 'call', argList, 'its data argument is not a tensor');
  }
  if (q === 'torch._tensor._rebuild_from_type_v2' || q === 'torch._tensor._rebuild_from_type') {
    // (func, new_type, args, state): a Tensor subclass; we keep the tensor it wraps.
    const inner = argList[2];
    if (argList[0] instanceof PyGlobal && (REBUILD_TENSOR.has(argList[0].qualifiedName) || REBUILD_PARAMETER.has(argList[0].qualifiedName)) && inner instanceof PyTuple) {
      return reduceCall(argList[0], inner);
    }
    return new PyObject(q, 'call', argList, 'it wraps an unknown reconstruction function');
  }
  if (q === 'collections.OrderedDict' || q === 'builtins.dict' || q === 'collections.defaultdict') {
    const d = new PyDict(q === 'builtins.dict' ? 'dict' : q);
    const init = q === 'collections.defaultdict' ? undefined : argList[0];
    if (init instanceof PyList || init instanceof PyTuple) {
      for (const pair of init.items) if (pair instanceof PyTuple || pair instanceof PyList) d.set(pair.items[0] ?? null, pair.items[1] ?? null);
    }
    return d;
  }
  if (q === 'torch.Size' || q === 'builtins.tuple') {
    const a = argList[0];
    return new PyTuple(a instanceof PyTuple || a instanceof PyList ? [...a.items] : []);
  }
  if (q === 'builtins.list') {
    const l = new PyList();
    const a = argList[0];
    if (a instanceof PyTuple || a instanceof PyList) for (const x of a.items) l.items.push(x);
    return l;
  }
  if (q === 'builtins.set' || q === 'builtins.frozenset') {
    const a = argList[0];
    return new PySet(a instanceof PyTuple || a instanceof PyList || a instanceof PySet ? [...a.items] : []);
  }
  if (q === '_codecs.encode' && typeof argList[0] === 'string') {
    // Protocol 2 pickles Python 3 bytes as _codecs.encode(text, 'latin1').
    const enc = argList[1];
    return new PyBytes(enc === 'latin1' || enc === 'latin-1' || enc === undefined ? Buffer.from(argList[0], 'latin1') : Buffer.from(argList[0], 'utf8'));
  }
  return new PyObject(q, 'call', argList);
}

function rebuildTensor(q: string, a: readonly PyValue[]): PyValue {
  const storage = a[0];
  if (!(storage instanceof PyStorage)) return new PyObject(q, 'call', a, 'its storage argument is not a storage persistent id');
  const offset = asInt(a[1]);
  const shape = asIntTuple(a[2]);
  const strides = asIntTuple(a[3]);
  if (offset === undefined || offset < 0) return new PyObject(q, 'call', a, 'its storage offset is not a non-negative integer');
  if (shape === undefined || shape.some((d) => d < 0)) return new PyObject(q, 'call', a, 'its size is not a tuple of non-negative integers');
  if (strides === undefined || strides.length !== shape.length || strides.some((s) => s < 0)) {
    return new PyObject(q, 'call', a, 'its strides are not non-negative integers matching the size');
  }
  let dtypeOverride: DType | undefined;
  if (q === 'torch._utils._rebuild_tensor_v3') {
    const dt = a[6];
    if (!(dt instanceof PyGlobal) || dt.module !== 'torch' || !Object.prototype.hasOwnProperty.call(TORCH_DTYPES, dt.name)) {
      return new PyObject(q, 'call', a, 'its dtype argument is not a known torch dtype');
    }
    dtypeOverride = TORCH_DTYPES[dt.name];
  }
  return new PyTensor(storage, offset, shape, strides, dtypeOverride, false);
}

/**
 * Persistent ids name storages: `('storage', storage_type, key, location, numel)` in the zip
 * format, plus a sixth `view_metadata` (None or (view_key, offset, size)) in the legacy format.
 */
export function persistentLoad(pid: PyValue): PyValue {
  const items = pid instanceof PyTuple || pid instanceof PyList ? pid.items : undefined;
  // Legacy torch.save of a whole nn.Module: ('module', class, source_file, source); torch.load returns the class.
  if (items && items[0] === 'module' && items.length === 4 && items[1] instanceof PyGlobal) return items[1];
  if (!items || items[0] !== 'storage') return new PyObject('persistent_id', 'call', items ?? [pid], 'not a storage persistent id');
  const cls = storageClass(items[1] ?? null);
  const key = items[2];
  const location = items[3];
  const numel = asInt(items[4]);
  if (!cls || typeof key !== 'string' || numel === undefined || numel < 0) {
    return new PyObject('persistent_id', 'call', items, 'a storage persistent id with unexpected fields');
  }
  const loc = typeof location === 'string' ? location : '?';
  const view = items[5];
  if (view instanceof PyTuple) {
    const viewKey = view.items[0];
    const offset = asInt(view.items[1]);
    const size = asInt(view.items[2]);
    if (typeof viewKey !== 'string' || offset === undefined || size === undefined || offset < 0) {
      return new PyObject('persistent_id', 'call', items, 'a storage view with unexpected fields');
    }
    return new PyStorage(viewKey, cls.name, cls.dtype, loc, size, { rootKey: key, offset });
  }
  return new PyStorage(key, cls.name, cls.dtype, loc, numel);
}

function describeCallable(v: PyValue): string {
  if (v instanceof PyObject) return v.className;
  return v === null ? 'None' : typeof v === 'object' ? v.kind : typeof v;
}
