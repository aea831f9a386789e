import type { DType } from '../../../core/dtype.js';

/**
 * Python values as the restricted unpickler builds them. Nothing here is ever callable:
 * a pickle can only produce data, never make us run code.
 */
export type PyValue = null | boolean | number | bigint | string | PyFloat | PyBytes | PyList | PyTuple | PyDict | PySet | PyGlobal | PyObject | PyStorage | PyTensor;

/** Floats are boxed so summaries can print `1.0` (a float) differently from `1` (an int). */
export class PyFloat {
  readonly kind = 'float';
  constructor(readonly value: number) {}
}

export class PyBytes {
  readonly kind = 'bytes';
  constructor(readonly bytes: Uint8Array) {}
}

export class PyList {
  readonly kind = 'list';
  readonly items: PyValue[] = [];
}

export class PyTuple {
  readonly kind = 'tuple';
  constructor(readonly items: readonly PyValue[]) {}
}

export class PySet {
  readonly kind = 'set';
  /** A frozenset (hashable); a set built by EMPTY_SET/ADDITEMS is not. */
  frozen = false;
  constructor(readonly items: PyValue[] = []) {}
}

/** A reference to a Python global (`module.name`). Pushing one imports nothing. */
export class PyGlobal {
  readonly kind = 'global';
  constructor(
    readonly module: string,
    readonly name: string,
  ) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** A dict (also OrderedDict, defaultdict). Keys keep insertion order, like Python's dict. */
export class PyDict {
  readonly kind = 'dict';
  private readonly map = new Map<string, [PyValue, PyValue]>();
  /** Instance attributes set by BUILD (OrderedDict `_metadata` of a state dict); never interpreted. */
  state: PyValue | undefined;
  constructor(readonly className = 'dict') {}
  set(key: PyValue, value: PyValue): void {
    this.map.set(hashKey(key), [key, value]);
  }
  get(key: PyValue): PyValue | undefined {
    return this.map.get(hashKey(key))?.[1];
  }
  has(key: PyValue): boolean {
    return this.map.has(hashKey(key));
  }
  get size(): number {
    return this.map.size;
  }
  entries(): IterableIterator<[PyValue, PyValue]> {
    return this.map.values();
  }
  /** Entries whose key is a string (the usual state-dict case), in order. */
  *stringEntries(): Generator<[string, PyValue]> {
    for (const [k, v] of this.map.values()) if (typeof k === 'string') yield [k, v];
  }
}

/**
 * Anything the unpickler does not understand: an instance of an unknown class, or the result of
 * calling an unknown global. Recorded with its qualified name and arguments; never executed.
 */
export class PyObject {
  readonly kind = 'object';
  state: PyValue | undefined;
  readonly listItems: PyValue[] = [];
  readonly dictItems: PyDict = new PyDict();
  constructor(
    /** Qualified name of the class or callable (`os.system`, `argparse.Namespace`...). */
    readonly className: string,
    /** How the pickle asked for it: `call` = REDUCE, `new` = NEWOBJ/OBJ/INST, `ext` = extension registry. */
    readonly via: 'call' | 'new' | 'ext',
    readonly args: readonly PyValue[],
    /** Set when a known reconstruction function got arguments it cannot use. */
    readonly invalid?: string,
  ) {}
}

/** A storage named by a persistent id: `('storage', torch.FloatStorage, key, location, numel[, view])`. */
export class PyStorage {
  readonly kind = 'storage';
  constructor(
    readonly key: string,
    /** Qualified name of the storage class (`torch.FloatStorage`). */
    readonly storageType: string,
    /** Undefined for storage classes we cannot decode (quantized, complex128...). */
    readonly dtype: DType | undefined,
    readonly location: string,
    /** Elements, as the pickle claims (checked against the bytes that exist). */
    readonly numel: number,
    /** Legacy format only: a view into another storage (offset in elements). */
    readonly view?: { readonly rootKey: string; readonly offset: number },
  ) {}
}

export class PyTensor {
  readonly kind = 'tensor';
  constructor(
    readonly storage: PyStorage,
    readonly storageOffset: number,
    readonly shape: readonly number[],
    readonly strides: readonly number[],
    /** Explicit dtype (`_rebuild_tensor_v3`); otherwise the storage's. */
    readonly dtypeOverride: DType | undefined,
    readonly isParameter: boolean,
  ) {}
  get dtype(): DType | undefined {
    return this.dtypeOverride ?? this.storage.dtype;
  }
}

let nextIdentity = 0;
const identities = new WeakMap<object, number>();

/**
 * Python hashing semantics for the key types pickles use; other objects hash by identity.
 * Tuples are hashed structurally only while small and shallow, so a memo-built tuple DAG
 * (each level holding the previous one twice) cannot make a key exponentially long.
 */
function hashKey(k: PyValue, depth = 0): string {
  if (k === null) return 'N';
  switch (typeof k) {
    case 'boolean':
      return k ? 'i1' : 'i0'; // True == 1 in Python
    case 'number':
      return `i${k}`;
    case 'bigint':
      return `i${k}`;
    case 'string':
      return `s${k}`;
  }
  if (k instanceof PyFloat) return Number.isInteger(k.value) ? `i${k.value}` : `f${k.value}`;
  if (k instanceof PyBytes) return `b${Buffer.from(k.bytes).toString('hex')}`;
  if (k instanceof PyTuple && depth < 4 && k.items.length <= 16) return `t(${k.items.map((x) => hashKey(x, depth + 1)).join(',')})`;
  if (k instanceof PyGlobal) return `g${k.qualifiedName}`;
  let id = identities.get(k);
  if (id === undefined) identities.set(k, (id = nextIdentity++));
  return `o${id}`;
}

/** A Python int as a JS number when it is a safe integer. */
export function asInt(v: PyValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint' && v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return undefined;
}

export function asIntTuple(v: PyValue | undefined): number[] | undefined {
  if (!(v instanceof PyTuple) && !(v instanceof PyList)) return undefined;
  const out: number[] = [];
  for (const x of v.items) {
    const n = asInt(x);
    if (n === undefined) return undefined;
    out.push(n);
  }
  return out;
}
