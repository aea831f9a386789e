import { err, ok, readError, type ReadError, type Result } from '../../../core/result.js';
import { classifyGlobal, type GlobalClass } from './globalPolicy.js';
import { persistentLoad, reduceCall } from './torchGlobals.js';
import { PyBytes, PyDict, PyFloat, PyGlobal, PyList, PyObject, PySet, PyTuple, type PyValue } from './values.js';

/**
 * A restricted unpickler (protocols 0–5) written for untrusted checkpoints.
 *
 * Why hand-written: the npm pickle parsers (pickleparser, jpickle) build JS objects from any
 * global and have no resource limits; we need the opposite — globals are inert names, only the
 * tensor-rebuilding ones are re-implemented (torchGlobals.ts), and memo, stack, nesting, value
 * count and string sizes are bounded so hostile input yields an error code, not a hang or OOM.
 */
export interface UnpickleLimits {
  /** Open MARKs at once (nesting of tuples/lists/dicts being built). */
  readonly maxMarkDepth: number;
  readonly maxStack: number;
  readonly maxMemo: number;
  /** Values pushed in total (bounds memory for a given pickle size). */
  readonly maxValues: number;
  readonly maxStringBytes: number;
  /** Bytes of a LONG1/LONG4 integer. */
  readonly maxIntBytes: number;
}

export const DEFAULT_LIMITS: UnpickleLimits = {
  // CPython bounds neither; these only keep memory finite (a benign pickle may open 1,001 MARKs
  // or hold a million items on its stack, and torch.load reads it).
  maxMarkDepth: 1_000_000,
  maxStack: 10_000_000,
  maxMemo: 5_000_000,
  maxValues: 10_000_000,
  maxStringBytes: 64 << 20,
  maxIntBytes: 1 << 20,
};

export interface Unpickled {
  readonly value: PyValue;
  /** Offset just past the STOP opcode (pickles can be concatenated, as in the legacy format). */
  readonly end: number;
  /** Qualified names of every global the pickle references, with counts. */
  readonly globals: ReadonlyMap<string, number>;
  /** Globals that would run code in Python (os.system, builtins.eval, subprocess.Popen...). */
  readonly dangerous: readonly string[];
  /** Every global outside the tensor-rebuilding allowlist, by class, in first-use order. */
  readonly policy: GlobalPolicyReport;
  /** Persistent ids that are not `('storage', ...)` records. */
  readonly badPersistentIds: number;
}

/** The globals a pickle names, sorted by `classifyGlobal` (globalPolicy.ts); `safe` ones are not listed. */
export interface GlobalPolicyReport {
  readonly codeExecution: readonly string[];
  readonly unsafe: readonly string[];
  readonly data: readonly string[];
}

/** A pickle that could not be parsed, with the globals it had named before it failed (Python would have imported, maybe called, them). */
export interface UnpickleError extends ReadError {
  readonly policy: GlobalPolicyReport;
}

export interface UnpickleOptions {
  readonly limits?: Partial<UnpickleLimits>;
  /** Maps a persistent id to a value (default: torch storages). */
  readonly persistentLoad?: (pid: PyValue) => PyValue;
}

class PickleError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

type Slot = PyValue;

/** Parses one pickle starting at `start`. Never executes anything; errors come back as values. */
export function unpickle(bytes: Uint8Array, start = 0, opts: UnpickleOptions = {}): Result<Unpickled, UnpickleError> {
  const m = new Machine(bytes, start, { ...DEFAULT_LIMITS, ...opts.limits }, opts.persistentLoad ?? persistentLoad);
  try {
    return ok(m.run());
  } catch (e) {
    // A pickle we reject may still be run by CPython's laxer C unpickler (frame tricks): the
    // globals whose bytes appear in it are reported too, so a hidden payload is never just "invalid".
    if (e instanceof PickleError) return err({ ...readError(e.code, e.message), policy: withSniffed(m.policyReport(), bytes, start) });
    if (e instanceof RangeError) return err({ ...readError('pickle-too-large', `The pickle exhausted a resource limit (${e.message}).`), policy: withSniffed(m.policyReport(), bytes, start) });
    throw e;
  }
}

/**
 * Globals spelled in the raw bytes (GLOBAL/INST `c`/`i` + `module\nname\n`, or two short
 * strings before STACK_GLOBAL), whether or not a parse reaches them. Only for rejected pickles.
 */
export function sniffGlobals(bytes: Uint8Array, start = 0): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const limit = Math.min(bytes.length, start + (64 << 20));
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, limit - start).toString('latin1');
  const re = /[ci]([A-Za-z_][\w.]{0,200})\r?\n([A-Za-z_][\w.]{0,200})\r?\n/g;
  for (let m = re.exec(text); m && out.length < 1000; m = re.exec(text)) out.push([m[1]!, m[2]!]);
  const short = /\x8c([\s\S])/g;
  const strs: Array<{ end: number; s: string }> = [];
  for (let m = short.exec(text); m && strs.length < 100000; m = short.exec(text)) {
    const n = m[1]!.charCodeAt(0);
    const at = m.index + 2;
    strs.push({ end: at + n, s: text.slice(at, at + n) });
  }
  const skipMemo = (i: number) => (text.charCodeAt(i) === 0x94 ? i + 1 : i);
  for (let k = 0; k + 1 < strs.length && out.length < 1000; k++) {
    const a = strs[k]!;
    const b = strs[k + 1]!;
    if (skipMemo(a.end) === b.end - b.s.length - 2 && text.charCodeAt(skipMemo(b.end)) === 0x93) out.push([a.s, b.s]);
  }
  return out;
}

function withSniffed(p: GlobalPolicyReport, bytes: Uint8Array, start: number): GlobalPolicyReport {
  const exec = new Set(p.codeExecution);
  const unsafe = new Set(p.unsafe);
  for (const [mod, name] of sniffGlobals(bytes, start)) {
    const c = classifyGlobal(PY2_MODULES[mod] ?? mod, name);
    if (c === 'code-execution') exec.add(`${mod}.${name}`);
    else if (c === 'unsafe') unsafe.add(`${mod}.${name}`);
  }
  return { codeExecution: [...exec], unsafe: [...unsafe], data: p.data };
}

/** True when a policy report names anything outside the allowlist that is an error (code execution or unsafe). */
export function policyHasErrors(p: GlobalPolicyReport): boolean {
  return p.codeExecution.length > 0 || p.unsafe.length > 0;
}

class Machine {
  private pos: number;
  private stack: Slot[] = [];
  private readonly metastack: Slot[][] = [];
  private readonly memo = new Map<number, PyValue>();
  private values = 0;
  private readonly globals = new Map<string, number>();
  private readonly classes = new Map<string, GlobalClass>();
  private readonly view: DataView;
  private readonly latin1 = new TextDecoder('latin1');
  private readonly utf8 = new TextDecoder('utf-8');

  constructor(
    private readonly buf: Uint8Array,
    start: number,
    private readonly limits: UnpickleLimits,
    private readonly loadPersistent: (pid: PyValue) => PyValue,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  run(): Unpickled {
    for (;;) {
      const at = this.pos;
      const op = this.u8();
      switch (op) {
        case 0x80: {
          const proto = this.u8();
          if (proto > 5) throw new PickleError('pickle-unsupported-protocol', `Pickle protocol ${proto} is newer than 5.`);
          break;
        }
        case 0x95: {
          // FRAME
          const size = this.view.getBigUint64(this.take(8), true);
          if (size > BigInt(Number.MAX_SAFE_INTEGER)) throw new PickleError('pickle-frame-invalid', `A FRAME at byte ${at} claims ${size} bytes.`);
          this.frame(Number(size));
          break;
        }
        case 0x2e: {
          // STOP
          const value = this.pop();
          const policy = this.policyReport();
          return { value, end: this.pos, globals: this.globals, dangerous: policy.codeExecution, policy, badPersistentIds: this.badPersistentIds };
        }
        case 0x28: // MARK
          if (this.metastack.length >= this.limits.maxMarkDepth) throw new PickleError('pickle-too-deep', `The pickle nests more than ${this.limits.maxMarkDepth} open MARKs.`);
          this.metastack.push(this.stack);
          this.stack = [];
          break;
        case 0x30: // POP
          if (this.stack.length > 0) this.stack.pop();
          else this.popMark();
          break;
        case 0x31: // POP_MARK
          this.popMark();
          break;
        case 0x32: // DUP
          this.push(this.top());
          break;
        // ---- constants and numbers
        case 0x4e: // NONE
          this.push(null);
          break;
        case 0x88:
          this.push(true);
          break;
        case 0x89:
          this.push(false);
          break;
        case 0x4b: // BININT1
          this.push(this.u8());
          break;
        case 0x4d: // BININT2
          this.push(this.view.getUint16(this.take(2), true));
          break;
        case 0x4a: // BININT
          this.push(this.view.getInt32(this.take(4), true));
          break;
        case 0x8a: // LONG1
          this.push(this.long(this.u8()));
          break;
        case 0x8b: {
          // LONG4
          const n = this.view.getInt32(this.take(4), true);
          if (n < 0) throw new PickleError('pickle-invalid', `LONG4 with negative length at byte ${at}.`);
          this.push(this.long(n));
          break;
        }
        case 0x47: // BINFLOAT (big-endian)
          this.push(new PyFloat(this.view.getFloat64(this.take(8), false)));
          break;
        case 0x49: {
          // INT (text): "00"/"01" are False/True in protocol 0
          const line = this.line();
          if (line === '00' || line === '01') this.push(line === '01');
          else this.push(this.parseInt(line, at));
          break;
        }
        case 0x4c: // LONG (text)
          this.push(this.parseInt(this.line().replace(/L$/, ''), at));
          break;
        case 0x46: {
          // FLOAT (text)
          const f = Number(this.line());
          this.push(new PyFloat(f));
          break;
        }
        // ---- strings and bytes
        case 0x58: // BINUNICODE
          this.push(this.utf8.decode(this.sized(this.view.getUint32(this.take(4), true))));
          break;
        case 0x8c: // SHORT_BINUNICODE
          this.push(this.utf8.decode(this.sized(this.u8())));
          break;
        case 0x8d: // BINUNICODE8
          this.push(this.utf8.decode(this.sized(this.u64())));
          break;
        case 0x54: // BINSTRING (Python 2 str: decoded as latin1, like encoding='latin1')
          this.push(this.latin1.decode(this.sized(this.view.getInt32(this.take(4), true))));
          break;
        case 0x55: // SHORT_BINSTRING
          this.push(this.latin1.decode(this.sized(this.u8())));
          break;
        case 0x42: // BINBYTES
          this.push(new PyBytes(this.sized(this.view.getUint32(this.take(4), true)).slice()));
          break;
        case 0x43: // SHORT_BINBYTES
          this.push(new PyBytes(this.sized(this.u8()).slice()));
          break;
        case 0x8e: // BINBYTES8
        case 0x96: // BYTEARRAY8
          this.push(new PyBytes(this.sized(this.u64()).slice()));
          break;
        case 0x53: // STRING (text, quoted repr)
          this.push(unquote(this.line()));
          break;
        case 0x56: // UNICODE (raw-unicode-escape line)
          this.push(this.line().replace(/\\u([0-9a-fA-F]{4})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))));
          break;
        case 0x97: // NEXT_BUFFER
          throw new PickleError('pickle-out-of-band-buffer', 'The pickle expects out-of-band buffers (protocol 5), which checkpoints never use.');
        case 0x98: // READONLY_BUFFER
          break;
        // ---- containers
        case 0x29:
          this.push(new PyTuple([]));
          break;
        case 0x85:
          this.push(new PyTuple(this.popN(1)));
          break;
        case 0x86:
          this.push(new PyTuple(this.popN(2)));
          break;
        case 0x87:
          this.push(new PyTuple(this.popN(3)));
          break;
        case 0x74: // TUPLE
          this.push(new PyTuple(this.popMark()));
          break;
        case 0x5d: // EMPTY_LIST
          this.push(new PyList());
          break;
        case 0x6c: {
          // LIST
          const l = new PyList();
          pushAll(l.items, this.popMark());
          this.push(l);
          break;
        }
        case 0x7d: // EMPTY_DICT
          this.push(new PyDict());
          break;
        case 0x64: {
          // DICT
          const items = this.popMark();
          const d = new PyDict();
          for (let i = 0; i + 1 < items.length; i += 2) {
            this.hashable(items[i]!, at);
            d.set(items[i]!, items[i + 1]!);
          }
          this.push(d);
          break;
        }
        case 0x8f: // EMPTY_SET
          this.push(new PySet());
          break;
        case 0x91: {
          // FROZENSET
          const items = this.popMark();
          for (const x of items) this.hashable(x, at);
          const f = new PySet(items);
          f.frozen = true;
          this.push(f);
          break;
        }
        case 0x61: {
          // APPEND
          const v = this.pop();
          this.appendTo(this.top(), [v], at);
          break;
        }
        case 0x65: {
          // APPENDS
          const items = this.popMark();
          this.appendTo(this.top(), items, at);
          break;
        }
        case 0x90: {
          // ADDITEMS
          const items = this.popMark();
          this.appendTo(this.top(), items, at);
          break;
        }
        case 0x73: {
          // SETITEM
          const v = this.pop();
          const k = this.pop();
          this.setItems(this.top(), [k, v], at);
          break;
        }
        case 0x75: {
          // SETITEMS
          const items = this.popMark();
          this.setItems(this.top(), items, at);
          break;
        }
        // ---- memo
        case 0x71: // BINPUT
          this.put(this.u8());
          break;
        case 0x72: // LONG_BINPUT
          this.put(this.view.getUint32(this.take(4), true));
          break;
        case 0x70: // PUT
          this.put(this.parseIndex(this.line(), at));
          break;
        case 0x94: // MEMOIZE
          this.put(this.memo.size);
          break;
        case 0x68: // BINGET
          this.get(this.u8(), at);
          break;
        case 0x6a: // LONG_BINGET
          this.get(this.view.getUint32(this.take(4), true), at);
          break;
        case 0x67: // GET
          this.get(this.parseIndex(this.line(), at), at);
          break;
        // ---- globals and objects: names only, never imported or called
        case 0x63: {
          // GLOBAL
          const module = this.line();
          const name = this.line();
          this.push(this.global(module, name));
          break;
        }
        case 0x93: {
          // STACK_GLOBAL
          const name = this.pop();
          const module = this.pop();
          if (typeof module !== 'string' || typeof name !== 'string') throw new PickleError('pickle-invalid', `STACK_GLOBAL with non-string names at byte ${at}.`);
          this.push(this.global(module, name));
          break;
        }
        case 0x52: {
          // REDUCE
          const args = this.pop();
          const callable = this.pop();
          this.push(reduceCall(callable, args));
          break;
        }
        case 0x81: {
          // NEWOBJ: cls.__new__(cls, *args)
          const args = this.pop();
          const cls = this.pop();
          this.push(this.instantiate(cls, args instanceof PyTuple ? args.items : [args]));
          break;
        }
        case 0x92: {
          // NEWOBJ_EX
          const kwargs = this.pop();
          const args = this.pop();
          const cls = this.pop();
          this.push(this.instantiate(cls, [...(args instanceof PyTuple ? args.items : [args]), kwargs]));
          break;
        }
        case 0x69: {
          // INST (protocol 0): module\nname\n then MARK args
          const module = this.line();
          const name = this.line();
          const args = this.popMark();
          this.push(this.instantiate(this.global(module, name), args));
          break;
        }
        case 0x6f: {
          // OBJ: MARK cls args...
          const items = this.popMark();
          this.push(this.instantiate(items[0] ?? null, items.slice(1)));
          break;
        }
        case 0x62: {
          // BUILD: inst.__setstate__(state) in Python; here the state is only recorded.
          const state = this.pop();
          const inst = this.top();
          if (inst instanceof PyObject || inst instanceof PyDict) inst.state = state;
          break;
        }
        case 0x82:
          this.push(this.extension(this.u8()));
          break;
        case 0x83:
          this.push(this.extension(this.view.getUint16(this.take(2), true)));
          break;
        case 0x84:
          this.push(this.extension(this.view.getInt32(this.take(4), true)));
          break;
        case 0x50: // PERSID
          this.push(this.persistent(this.line()));
          break;
        case 0x51: // BINPERSID
          this.push(this.persistent(this.pop()));
          break;
        default:
          throw new PickleError('pickle-invalid-opcode', `Unknown pickle opcode 0x${op.toString(16).padStart(2, '0')} at byte ${at}.`);
      }
    }
  }

  policyReport(): GlobalPolicyReport {
    const of = (c: GlobalClass) => [...this.classes].filter(([, k]) => k === c).map(([q]) => q);
    return { codeExecution: of('code-execution'), unsafe: of('unsafe'), data: of('data') };
  }

  // ---- byte access (all bounds-checked before any allocation)
  /**
   * End of the current FRAME, or -1. Frames are checked as CPython's pure-Python unpickler
   * (the reference) checks them: a read may not cross a frame's end, and a new FRAME may not
   * start before the current one is used up.
   */
  private frameEnd = -1;
  private frameCheck(n: number): void {
    if (this.frameEnd < 0) return;
    if (this.pos === this.frameEnd && n > 0) {
      this.frameEnd = -1;
      return;
    }
    if (this.pos + n > this.frameEnd) throw new PickleError('pickle-frame-invalid', `A read at byte ${this.pos} crosses the end of its FRAME (byte ${this.frameEnd}): the pickle is exhausted before the end of the frame.`);
  }
  private frame(size: number): void {
    if (this.frameEnd >= 0 && this.pos < this.frameEnd) throw new PickleError('pickle-frame-invalid', `A new FRAME begins at byte ${this.pos} before the current frame ends (byte ${this.frameEnd}).`);
    this.frameEnd = Math.min(this.buf.length, this.pos + size);
  }
  private u8(): number {
    this.frameCheck(1);
    if (this.pos >= this.buf.length) throw this.truncated();
    return this.buf[this.pos++]!;
  }
  private take(n: number): number {
    if (n < 0) throw new PickleError('pickle-invalid', `A negative length (${n}) at byte ${this.pos}.`);
    this.frameCheck(n);
    if (this.pos + n > this.buf.length) throw this.truncated();
    const at = this.pos;
    this.pos += n;
    return at;
  }
  private u64(): number {
    const v = this.view.getBigUint64(this.take(8), true);
    return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
  }
  private sized(n: number): Uint8Array {
    if (n < 0) throw new PickleError('pickle-invalid', `A negative string length (${n}) at byte ${this.pos}.`);
    if (n > this.limits.maxStringBytes) {
      throw new PickleError('pickle-string-too-large', `The pickle declares a ${n}-byte string; strings above ${this.limits.maxStringBytes} bytes are refused.`);
    }
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  private line(): string {
    const nl = this.buf.indexOf(0x0a, this.pos);
    if (nl < 0) throw this.truncated();
    if (nl - this.pos > this.limits.maxStringBytes) throw new PickleError('pickle-string-too-large', `A text opcode argument at byte ${this.pos} is longer than ${this.limits.maxStringBytes} bytes.`);
    this.frameCheck(nl + 1 - this.pos);
    const s = this.latin1.decode(this.buf.subarray(this.pos, nl));
    this.pos = nl + 1;
    return s.endsWith('\r') ? s.slice(0, -1) : s;
  }
  private long(n: number): number | bigint {
    if (n > this.limits.maxIntBytes) throw new PickleError('pickle-int-too-large', `The pickle declares a ${n}-byte integer; above ${this.limits.maxIntBytes} bytes is refused.`);
    const b = this.buf.subarray(this.take(n), this.pos);
    if (n === 0) return 0;
    // Little-endian two's complement; through hex so a long integer costs linear time.
    let hex = '';
    for (let i = n - 1; i >= 0; i--) hex += b[i]!.toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[n - 1]! & 0x80) v -= 1n << BigInt(8 * n);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  private parseInt(s: string, at: number): number | bigint {
    if (!/^[+-]?\d{1,200}$/.test(s.trim())) throw new PickleError('pickle-invalid', `Bad integer literal at byte ${at}.`);
    const v = BigInt(s.trim());
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  }
  private parseIndex(s: string, at: number): number {
    const n = Number(s);
    if (!Number.isSafeInteger(n) || n < 0) throw new PickleError('pickle-invalid', `Bad memo index at byte ${at}.`);
    return n;
  }
  private truncated(): PickleError {
    return new PickleError('pickle-truncated', `The pickle ends early (at byte ${this.buf.length}) without a STOP opcode.`);
  }

  // ---- stack
  private push(v: Slot): void {
    if (++this.values > this.limits.maxValues) throw new PickleError('pickle-too-many-objects', `The pickle builds more than ${this.limits.maxValues} values.`);
    if (this.stack.length >= this.limits.maxStack) throw new PickleError('pickle-stack-too-large', `The pickle's stack exceeds ${this.limits.maxStack} items.`);
    this.stack.push(v);
  }
  private pop(): Slot {
    if (this.stack.length === 0) throw new PickleError('pickle-invalid', `Stack underflow at byte ${this.pos - 1}.`);
    return this.stack.pop()!;
  }
  private top(): Slot {
    if (this.stack.length === 0) throw new PickleError('pickle-invalid', `Stack underflow at byte ${this.pos - 1}.`);
    return this.stack[this.stack.length - 1]!;
  }
  private popN(n: number): Slot[] {
    if (this.stack.length < n) throw new PickleError('pickle-invalid', `Stack underflow at byte ${this.pos - 1}.`);
    return this.stack.splice(this.stack.length - n, n);
  }
  private popMark(): Slot[] {
    const items = this.stack;
    const prev = this.metastack.pop();
    if (prev === undefined) throw new PickleError('pickle-invalid', `No MARK to pop at byte ${this.pos - 1}.`);
    this.stack = prev;
    return items;
  }
  private put(i: number): void {
    if (this.stack.length === 0) throw new PickleError('pickle-invalid', `Memoizing an empty stack at byte ${this.pos - 1}.`);
    // CPython's C unpickler keeps the memo in an array indexed by slot: a slot in the billions is a MemoryError there.
    if (i > 2 * this.limits.maxMemo) throw new PickleError('pickle-memo-too-large', `The pickle writes memo slot ${i} (byte ${this.pos - 1}); torch.load's unpickler would try to allocate a memo that large.`);
    if (!this.memo.has(i) && this.memo.size >= this.limits.maxMemo) throw new PickleError('pickle-memo-too-large', `The pickle memoizes more than ${this.limits.maxMemo} values.`);
    this.memo.set(i, this.top());
  }
  private get(i: number, at: number): void {
    const v = this.memo.get(i);
    if (v === undefined && !this.memo.has(i)) throw new PickleError('pickle-memo-missing', `The pickle reads memo slot ${i}, which was never written (byte ${at}).`);
    this.push(v!);
  }

  // ---- semantics
  private global(rawModule: string, name: string): PyGlobal {
    // Protocol ≤ 2 pickles written by Python 3 use Python 2 module names (pickle's fix_imports).
    const module = PY2_MODULES[rawModule] ?? rawModule;
    const g = new PyGlobal(module, name);
    const q = g.qualifiedName;
    this.globals.set(q, (this.globals.get(q) ?? 0) + 1);
    if (!this.classes.has(q)) this.classes.set(q, classifyGlobal(module, name));
    return g;
  }
  /** Persistent ids that are not storage records (torch.load's persistent_load asserts on them). */
  badPersistentIds = 0;
  private persistent(pid: PyValue): PyValue {
    const v = this.loadPersistent(pid);
    if (v instanceof PyObject && v.className === 'persistent_id') this.badPersistentIds++;
    return v;
  }
  /** EXT1/2/4: copyreg's extension registry, empty unless code registered entries; any use is an unsafe global. */
  private extension(code: number): PyObject {
    const q = `copyreg._extension_registry[${code}]`;
    this.globals.set(q, (this.globals.get(q) ?? 0) + 1);
    this.classes.set(q, 'unsafe');
    return new PyObject(q, 'ext', []);
  }
  private instantiate(cls: PyValue, args: readonly PyValue[]): PyValue {
    if (cls instanceof PyGlobal && (cls.qualifiedName === 'collections.OrderedDict' || cls.qualifiedName === 'builtins.dict')) return new PyDict(cls.qualifiedName);
    const name = cls instanceof PyGlobal ? cls.qualifiedName : cls instanceof PyObject ? cls.className : 'unknown';
    return new PyObject(name, 'new', args, cls instanceof PyGlobal ? undefined : 'the class is not a global');
  }
  /** Python raises TypeError for a list, dict or (mutable) set used as a set member or dict key. */
  private hashable(v: PyValue, at: number): void {
    if (v instanceof PyList || v instanceof PyDict || (v instanceof PySet && !v.frozen)) throw new PickleError('pickle-unhashable', `A ${v.kind} is used as a dict key or set member at byte ${at}; Python raises TypeError (unhashable type).`);
  }
  private appendTo(target: Slot, items: readonly PyValue[], at: number): void {
    if (target instanceof PyList) pushAll(target.items, items);
    else if (target instanceof PySet) {
      for (const x of items) this.hashable(x, at);
      pushAll(target.items, items);
    }
    else if (target instanceof PyObject) pushAll(target.listItems, items);
    else throw new PickleError('pickle-invalid', `APPEND/ADDITEMS to a ${describe(target)} at byte ${at}.`);
  }
  private setItems(target: Slot, items: readonly PyValue[], at: number): void {
    const d = target instanceof PyDict ? target : target instanceof PyObject ? target.dictItems : undefined;
    if (!d) throw new PickleError('pickle-invalid', `SETITEM(S) on a ${describe(target)} at byte ${at}.`);
    for (let i = 0; i + 1 < items.length; i += 2) {
      this.hashable(items[i]!, at);
      d.set(items[i]!, items[i + 1]!);
    }
  }
}

/** Python 2 module names the unpickler maps to Python 3 ones (a subset of CPython's _compat_pickle.IMPORT_MAPPING). */
const PY2_MODULES: Record<string, string> = {
  __builtin__: 'builtins', copy_reg: 'copyreg', cPickle: 'pickle', UserDict: 'collections', exceptions: 'builtins', commands: 'subprocess',
  thread: '_thread', urllib2: 'urllib.request', httplib: 'http.client', SocketServer: 'socketserver', xmlrpclib: 'xmlrpc.client',
  cStringIO: 'io', StringIO: 'io', Queue: 'queue', ConfigParser: 'configparser', repr: 'reprlib', dummy_thread: '_dummy_thread', Tkinter: 'tkinter',
};

/** `push(...items)` without spreading (a hostile batch of a million items would overflow the call stack). */
export function pushAll<T>(dst: T[], items: readonly T[]): void {
  for (const x of items) dst.push(x);
}

function describe(v: PyValue): string {
  if (v === null) return 'None';
  return typeof v === 'object' ? v.kind : typeof v;
}

/** A protocol-0 STRING argument: a quoted Python repr; common escapes only. */
function unquote(s: string): string {
  const q = s[0];
  if ((q !== "'" && q !== '"') || s[s.length - 1] !== q || s.length < 2) throw new PickleError('pickle-invalid', 'A STRING opcode argument is not quoted.');
  return s.slice(1, -1).replace(/\\(x[0-9a-fA-F]{2}|.)/g, (_, e: string) => {
    if (e[0] === 'x') return String.fromCharCode(parseInt(e.slice(1), 16));
    return ({ n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' } as Record<string, string>)[e] ?? e;
  });
}
