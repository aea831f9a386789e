/**
 * A scanner for the plain form of a safetensors header, the one every writer we know emits:
 * `{"__metadata__":{"k":"v",...},"name":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},...}`
 * in printable ASCII, without escapes, duplicates or numeric names.
 *
 * Why hand-written: for a 100,000-tensor header, JSON.parse builds an object and two arrays per
 * entry and a 100,000-key dictionary whose key listing must be sorted, all thrown away once the
 * fields are copied into TensorInfo (JSON.parse + Object.keys + checks: ~160 ms of a ~450 ms
 * `inspect --json --header-only`; see bench/open.mjs). This reads the fields straight from the
 * bytes; no JSON library reads into a caller's model without building the generic tree first. It accepts only a strict subset of JSON and
 * returns `undefined` on anything else (an escape, a non-ASCII byte, a float, a negative number,
 * an unknown field, a duplicate name, a name starting with a digit, which JSON.parse would list
 * first ...), so the caller falls back to JSON.parse and the full checks: every file either
 * takes this path and gets exactly what JSON.parse would have given, or takes the old path.
 */

/**
 * Called per tensor entry in file order; returns false to give up (the caller then re-reads the
 * whole header through JSON.parse, so anything unusual is reported by the full checks).
 */
export type PlainTensorSink = (name: string, dtype: string, shape: number[], begin: number, end: number) => boolean;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const ZERO = 0x30;
const NINE = 0x39;

/** Returns the `__metadata__` map (empty when absent) once every entry went to `sink`; undefined to fall back. */
export function scanPlainHeader(bytes: Uint8Array, sink: PlainTensorSink): Record<string, string> | undefined {
  return new PlainScanner(bytes).header(sink);
}

class PlainScanner {
  private pos = 0;
  /**
   * The header as one string, decoded once: accepted strings are ASCII, so a byte offset is a
   * character offset, and names are slices of it rather than 100,000 separate decodes.
   */
  private readonly text: string;

  constructor(private readonly bytes: Uint8Array) {
    this.text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  }

  header(sink: PlainTensorSink): Record<string, string> | undefined {
    const names = new NameSet(this.bytes);
    let metadata: Record<string, string> = {};
    // Not even a space before it: the reference implementation requires '{' as the first byte.
    if (this.bytes[0] !== OPEN_BRACE) return undefined;
    this.pos = 1;
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return this.atEnd() ? metadata : undefined;
    }
    for (;;) {
      const name = this.name();
      if (name === undefined || !names.add(this.nameStart, name.length, this.nameHash)) return undefined;
      // JSON.parse lists array-index-like names ("0", "17") before all others.
      const first = name.charCodeAt(0);
      if (first >= ZERO && first <= NINE) return undefined;
      if (!this.take(COLON)) return undefined;
      if (name === '__metadata__') {
        const m = this.metadata();
        if (m === undefined) return undefined;
        metadata = m;
      } else if (!this.entry(name, sink)) {
        return undefined;
      }
      const c = this.next();
      if (c === CLOSE_BRACE) return this.atEnd() ? metadata : undefined;
      if (c !== COMMA) return undefined;
    }
  }

  /** `{"dtype":"F32","shape":[...],"data_offsets":[b,e]}`, fields in any order, each once. */
  private entry(name: string, sink: PlainTensorSink): boolean {
    if (!this.take(OPEN_BRACE)) return false;
    let dtype: string | undefined;
    let shape: number[] | undefined;
    let begin = -1;
    let end = -1;
    for (let field = 0; field < 3; field++) {
      if (field > 0 && !this.take(COMMA)) return false;
      const key = this.string();
      if (!this.take(COLON)) return false;
      if (key === 'dtype' && dtype === undefined) {
        dtype = this.dtype();
        if (dtype === undefined) return false;
      } else if (key === 'shape' && shape === undefined) {
        shape = this.numbers();
        if (shape === undefined) return false;
      } else if (key === 'data_offsets' && begin < 0) {
        // `[begin, end]`, read without an array.
        if (!this.take(OPEN_BRACKET)) return false;
        this.skipSpace();
        begin = this.integer();
        if (begin < 0 || !this.take(COMMA)) return false;
        this.skipSpace();
        end = this.integer();
        if (end < 0 || !this.take(CLOSE_BRACKET)) return false;
      } else {
        return false;
      }
    }
    if (!this.take(CLOSE_BRACE) || dtype === undefined || shape === undefined) return false;
    return sink(name, dtype, shape, begin, end);
  }

  /** `{"k":"v",...}` with plain strings; undefined for anything else (the full checks report it). */
  private metadata(): Record<string, string> | undefined {
    if (!this.take(OPEN_BRACE)) return undefined;
    const out: Record<string, string> = {};
    if (this.peek() === CLOSE_BRACE) {
      this.pos++;
      return out;
    }
    for (;;) {
      const k = this.string();
      // Numeric keys would be reordered, `__proto__` assigns a prototype, a repeat overwrites.
      if (k === undefined || k === '__proto__' || Object.hasOwn(out, k)) return undefined;
      const first = k.charCodeAt(0);
      if (first >= ZERO && first <= NINE) return undefined;
      if (!this.take(COLON)) return undefined;
      const v = this.string();
      if (v === undefined) return undefined;
      out[k] = v;
      const c = this.next();
      if (c === CLOSE_BRACE) return out;
      if (c !== COMMA) return undefined;
    }
  }

  /** The previous dtype, reused while the bytes repeat (a file has a handful of dtypes). */
  private lastDtype = '';
  private lastDtypeAt = 0;

  private dtype(): string | undefined {
    this.skipSpace();
    const bytes = this.bytes;
    const at = this.pos;
    const n = this.lastDtype.length;
    if (n > 0 && bytes[at] === QUOTE && bytes[at + n + 1] === QUOTE) {
      let same = true;
      for (let i = 1; i <= n && same; i++) same = bytes[at + i] === bytes[this.lastDtypeAt + i];
      if (same) {
        this.pos = at + n + 2;
        return this.lastDtype;
      }
    }
    const s = this.string();
    if (s !== undefined && s.length > 0) {
      this.lastDtype = s;
      this.lastDtypeAt = at;
    }
    return s;
  }

  private nameStart = 0;
  private nameHash = 0;

  /** `string()` for a tensor name, also hashing its bytes (FNV-1a) for the duplicate check. */
  private name(): string | undefined {
    if (!this.take(QUOTE)) return undefined;
    const bytes = this.bytes;
    const start = this.pos;
    let h = 0x811c9dc5 | 0;
    let i = start;
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === QUOTE) break;
      if (b < 0x20 || b > 0x7e || b === BACKSLASH) return undefined;
      h = Math.imul(h ^ b, 0x01000193);
    }
    if (i >= bytes.length) return undefined;
    this.pos = i + 1;
    this.nameStart = start;
    this.nameHash = h;
    return this.text.slice(start, i);
  }

  /** A string of printable ASCII without escapes. */
  private string(): string | undefined {
    if (!this.take(QUOTE)) return undefined;
    const bytes = this.bytes;
    const start = this.pos;
    let i = start;
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b === QUOTE) break;
      if (b < 0x20 || b > 0x7e || b === BACKSLASH) return undefined;
    }
    if (i >= bytes.length) return undefined;
    this.pos = i + 1;
    return this.text.slice(start, i);
  }

  /** Dimensions of the shape being read (at most 64). */
  private readonly dims: number[] = new Array<number>(64).fill(0);
  /**
   * Recently read shapes, handed out again for equal ones: a model repeats a few shapes
   * thousands of times, and TensorInfo shapes are read-only (the JSON path's arrays are shared
   * the same way further on).
   */
  private readonly shapes: number[][] = [];
  private nextShape = 0;

  /** A shape: `[n, ...]` of at most 64 integers (more is an error the full checks report). */
  private numbers(): number[] | undefined {
    if (!this.take(OPEN_BRACKET)) return undefined;
    const dims = this.dims;
    let n = 0;
    if (this.peek() === CLOSE_BRACKET) {
      this.pos++;
    } else {
      for (;;) {
        if (n === 64) return undefined;
        this.skipSpace();
        const v = this.integer();
        if (v < 0) return undefined;
        dims[n++] = v;
        const c = this.next();
        if (c === CLOSE_BRACKET) break;
        if (c !== COMMA) return undefined;
      }
    }
    const shapes = this.shapes;
    for (let k = 0; k < shapes.length; k++) {
      const s = shapes[k]!;
      if (s.length !== n) continue;
      let same = true;
      for (let i = 0; i < n && same; i++) same = s[i] === dims[i];
      if (same) return s;
    }
    const shape: number[] = [];
    for (let i = 0; i < n; i++) shape.push(dims[i]!);
    if (shapes.length < 16) shapes.push(shape);
    else shapes[this.nextShape++ & 15] = shape;
    return shape;
  }

  /**
   * A non-negative integer below 2^53 written plainly (no sign, fraction, exponent or leading
   * zero), as JSON.parse reads it; -1 otherwise.
   */
  private integer(): number {
    const bytes = this.bytes;
    const start = this.pos;
    let i = start;
    let v = 0;
    for (; i < bytes.length; i++) {
      const b = bytes[i]!;
      if (b < ZERO || b > NINE) break;
      v = v * 10 + (b - ZERO);
    }
    const digits = i - start;
    if (digits === 0 || digits > 16 || (digits > 1 && bytes[start] === ZERO) || v > Number.MAX_SAFE_INTEGER) return -1;
    this.pos = i;
    // Small values as int32, so they are stored as V8 small integers like JSON.parse's are:
    // doubles would give the shape arrays and TensorInfo fields another representation, and
    // V8 would migrate every object built before the first one (tens of ms at 100,000 tensors).
    return v < 0x40000000 ? v | 0 : v;
  }

  /** The next non-space byte, consumed; -1 at the end. */
  private next(): number {
    this.skipSpace();
    return this.pos < this.bytes.length ? this.bytes[this.pos++]! : -1;
  }

  private peek(): number {
    this.skipSpace();
    return this.pos < this.bytes.length ? this.bytes[this.pos]! : -1;
  }

  private take(b: number): boolean {
    if (this.peek() !== b) return false;
    this.pos++;
    return true;
  }

  private skipSpace(): void {
    const bytes = this.bytes;
    let i = this.pos;
    while (i < bytes.length) {
      const b = bytes[i]!;
      if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) break;
      i++;
    }
    this.pos = i;
  }

  /** Only JSON whitespace may follow the closing brace (writers pad the header with spaces). */
  private atEnd(): boolean {
    this.skipSpace();
    return this.pos === this.bytes.length;
  }
}

/**
 * The names seen so far, as byte ranges of the header in an open-addressing table of typed
 * arrays: a duplicate name must send the file to JSON.parse (which keeps the last value at the
 * first position), and a `Set<string>` of 100,000 names cost ~40 ms where this costs a few.
 */
class NameSet {
  /** Slots of [hash, start, length]; hash 0 marks an empty slot. One array, so a probe touches one cache line. */
  private slots: Int32Array;
  private capacity = 1024;
  private count = 0;

  constructor(private readonly bytes: Uint8Array) {
    // An entry takes at least ~50 bytes (`"":{"dtype":"U8","shape":[],"data_offsets":[0,0]},`):
    // sized for that many at half load, the table rarely grows (capped; it grows past the cap).
    const most = bytes.length / 50;
    while (this.capacity < 2 * most && this.capacity < 1 << 20) this.capacity *= 2;
    this.slots = new Int32Array(3 * this.capacity);
  }

  /** Adds the name at bytes [start, start+length) whose hash is `hash`; false if it was already there. */
  add(start: number, length: number, hash: number): boolean {
    const h = hash === 0 ? 1 : hash;
    if ((this.count + 1) * 2 > this.capacity) this.grow();
    const slots = this.slots;
    const mask = this.capacity - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 3;
      const sh = slots[at]!;
      if (sh === 0) {
        slots[at] = h;
        slots[at + 1] = start;
        slots[at + 2] = length;
        this.count++;
        return true;
      }
      if (sh === h && slots[at + 2] === length && this.same(slots[at + 1]!, start, length)) return false;
    }
  }

  private same(a: number, b: number, length: number): boolean {
    const bytes = this.bytes;
    for (let i = 0; i < length; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  }

  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    const slots = new Int32Array(3 * this.capacity);
    const mask = this.capacity - 1;
    for (let at = 0; at < old.length; at += 3) {
      const h = old[at]!;
      if (h === 0) continue;
      let slot = h & mask;
      while (slots[slot * 3] !== 0) slot = (slot + 1) & mask;
      slots[slot * 3] = h;
      slots[slot * 3 + 1] = old[at + 1]!;
      slots[slot * 3 + 2] = old[at + 2]!;
    }
    this.slots = slots;
  }
}
