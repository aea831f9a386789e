import { dtypeBits } from '../../core/dtype.js';
import { PyBytes, PyDict, PyFloat, PyGlobal, PyList, PyObject, PySet, PyStorage, PyTensor, PyTuple, type PyValue } from './pickle/values.js';

/** Bounded text renderings of unpickled values, for metadata/extras (never the values themselves). */
const MAX_DEPTH = 64;

/** A short, bounded Python-like rendering of any value (for extras). Cycles end at the depth bound. */
export function summarise(v: PyValue, depth = 3): string {
  const s = render(v, depth);
  return s.length > 300 ? `${s.slice(0, 299)}…` : s;
}

function render(v: PyValue, depth: number): string {
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'string') return JSON.stringify(v.length > 80 ? `${v.slice(0, 80)}…` : v);
  if (v instanceof PyFloat) return Number.isInteger(v.value) ? v.value.toFixed(1) : String(v.value);
  if (v instanceof PyBytes) return `bytes[${v.bytes.length}]`;
  if (v instanceof PyTensor) return `tensor ${v.dtype ?? v.storage.storageType}[${v.shape.join(', ')}]`;
  if (v instanceof PyStorage) return `storage ${v.storageType}`;
  if (v instanceof PyGlobal) return v.qualifiedName;
  if (depth <= 0) return '…';
  const items = (xs: readonly PyValue[]) => xs.slice(0, 8).map((x) => render(x, depth - 1)).join(', ') + (xs.length > 8 ? `, … (${xs.length} items)` : '');
  if (v instanceof PyList) return `[${items(v.items)}]`;
  if (v instanceof PyTuple) return `(${items(v.items)})`;
  if (v instanceof PySet) return `{${items(v.items)}}`;
  if (v instanceof PyDict) {
    const es = [...v.entries()];
    return `{${es.slice(0, 8).map(([k, x]) => `${render(k, 1)}: ${render(x, depth - 1)}`).join(', ')}${es.length > 8 ? `, … (${es.length} entries)` : ''}}`;
  }
  // PyObject: show its state (Namespace, dataclasses...) or its arguments, never more.
  const st = v.state instanceof PyDict ? v.state : v.dictItems.size > 0 ? v.dictItems : undefined;
  if (st) return `${v.className}(${[...st.entries()].slice(0, 8).map(([k, x]) => `${typeof k === 'string' ? k : render(k, 1)}=${render(x, depth - 1)}`).join(', ')}${st.size > 8 ? ', …' : ''})`;
  return `${v.className}(${items(v.args)})`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let x = n / 1024;
  let i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(1)} ${units[i]}`;
}

/** A record for file-controlled keys (no prototype to pollute). */
export function textRecord(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/** Tensors reachable from a value (each counted once), with their elements and bytes. */
export function countTensors(v: PyValue): { count: number; elements: number; bytes: number } {
  const r = { count: 0, elements: 0, bytes: 0 };
  const seen = new Set<object>();
  const walk = (x: PyValue, depth: number): void => {
    if (depth > MAX_DEPTH || x === null || typeof x !== 'object' || seen.has(x)) return;
    seen.add(x);
    if (x instanceof PyTensor) {
      const n = x.shape.reduce((a, b) => a * b, 1);
      r.count++;
      r.elements += n;
      r.bytes += x.dtype ? (n * dtypeBits(x.dtype)) / 8 : 0;
    } else if (x instanceof PyDict) for (const [, val] of x.entries()) walk(val, depth + 1);
    else if (x instanceof PyList || x instanceof PyTuple) for (const val of x.items) walk(val, depth + 1);
    else if (x instanceof PyObject && x.state !== undefined) walk(x.state, depth + 1);
  };
  walk(v, 0);
  return r;
}
