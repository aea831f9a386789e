import { plural } from '../../shared/text.js';
import { problem, type Problem } from '../../core/problems.js';
import { PyDict, PyFloat, PyList, PyObject, PySet, PyTensor, PyTuple, type PyValue } from './pickle/values.js';
import { isOptimizerState, summariseOptimizer } from './optimizer.js';
import { formatBytes, summarise, countTensors, textRecord } from './summarise.js';

/**
 * Turns the unpickled object tree into "the weights" plus everything else:
 * - a plain state dict → its tensors;
 * - a training checkpoint ({'state_dict': ..., 'optimizer': ..., 'epoch': ...}) → the weights
 *   under the first known key (state_dict, model, ...), the rest as metadata/extras, the optimizer
 *   state recognised and summarised;
 * - a pickled nn.Module or a TorchScript module → parameters and buffers by attribute path.
 * Names are kept as saved (a DDP `module.` prefix stays; the model analysis strips it).
 */
export type TensorSlot = PyTensor | PyObject;

export interface Interpreted {
  readonly weights: ReadonlyArray<{ readonly name: string; readonly value: TensorSlot }>;
  /** Where the weights were found (`state_dict`, `model.state_dict`...), undefined for the root. */
  readonly weightsKey: string | undefined;
  readonly metadata: Record<string, string>;
  readonly extras: Record<string, string>;
  readonly problems: Problem[];
}

/** Keys that hold the model weights in training checkpoints, in priority order. */
export const WEIGHT_KEYS = ['state_dict', 'model_state_dict', 'model', 'module', 'net', 'network', 'params', 'weights', 'state_dict_ema', 'model_ema', 'ema'];
const MAX_DEPTH = 64;
/** Containers nested deeper than this are not searched for tensors (names past it would be megabytes long). */
const MAX_WALK_DEPTH = 10_000;
const MAX_ENTRIES = 1000;
/**
 * Objects visited while collecting weights. Memo references make the pickle a DAG, whose paths can
 * be exponential (a "billion laughs"); real state dicts need one visit per tensor and container.
 */
const MAX_VISITS = 1_000_000;

export function isTensorSlot(v: PyValue | undefined): v is TensorSlot {
  return v instanceof PyTensor || (v instanceof PyObject && /^torch\._(utils|tensor)\._rebuild/.test(v.className));
}

export function interpret(root: PyValue): Interpreted {
  const out: Collector = { weights: [], seen: new Set(), duplicates: [], problems: [], truncated: false, visits: 0 };
  // Keys come from the file: null-prototype records, so `__proto__` is just a key.
  const metadata = textRecord();
  const extras = textRecord();
  let weightsKey: string | undefined;

  if (isTensorSlot(root)) add(out, 'tensor', root);
  else if (isScriptModule(root) || isModuleObject(root)) flattenModule(root, '', out, 0, metadata);
  else if (root instanceof PyDict) {
    const direct = [...root.entries()].filter(([, v]) => isTensorSlot(v)).length;
    const key = direct > 0 ? undefined : WEIGHT_KEYS.find((k) => holdsTensors(root.get(k), 0));
    const container = key === undefined ? root : root.get(key)!;
    weightsKey = key;
    if (key !== undefined) {
      // A wrapper may itself wrap ({'model': {'state_dict': ...}}): follow one more level.
      const inner = container instanceof PyDict && ![...container.entries()].some(([, v]) => isTensorSlot(v)) ? WEIGHT_KEYS.find((k) => holdsTensors(container.get(k), 0)) : undefined;
      if (inner !== undefined && container instanceof PyDict) {
        weightsKey = `${key}.${inner}`;
        collectWeights(container.get(inner)!, out);
      } else collectWeights(container, out);
    } else collectWeights(root, out, true);
    for (const [k, v] of root.entries()) {
      const name = keyText(k);
      if (name === key || (key === undefined && isTensorSlot(v))) continue;
      if (key === undefined && holdsTensors(v, 0) && !isOptimizerState(v) && !(v instanceof PyList && v.items.some(isOptimizerState))) continue; // flattened into the weights
      describeEntry(name, v, metadata, extras, out.problems);
    }
  } else if (holdsTensors(root, 0)) collectWeights(root, out, true);
  else extras['(root)'] = summarise(root);

  if (out.duplicates.length > 0) {
    out.problems.push(problem('duplicate-tensor', 'error', `${plural(out.duplicates.length, 'tensor name')} ${out.duplicates.length === 1 ? 'occurs' : 'occur'} more than once in the pickle; only the first is listed.`, { tensors: out.duplicates.slice(0, 100) }));
  }
  if (out.truncated) out.problems.push(problem('pickle-nesting-too-deep', 'warning', `Objects nested deeper than the search bound (${MAX_WALK_DEPTH} containers, ${MAX_DEPTH} modules) were not searched for tensors.`));
  if (out.visits > MAX_VISITS) {
    out.problems.push(problem('pickle-too-many-paths', 'warning', `The pickle's objects reference each other along more than ${MAX_VISITS} paths (a "billion laughs" structure?); the search for tensors stopped there.`));
  }
  if (weightsKey !== undefined) {
    out.problems.push(problem('pytorch-weights-unwrapped', 'info', `The weights are read from the checkpoint's ${JSON.stringify(weightsKey)} entry; the other entries are listed as metadata and extras.`));
  }
  return { weights: out.weights, weightsKey, metadata: cap(metadata), extras: cap(extras), problems: out.problems };
}

interface Collector {
  weights: Array<{ name: string; value: TensorSlot }>;
  seen: Set<string>;
  duplicates: string[];
  problems: Problem[];
  truncated: boolean;
  visits: number;
}

/** Counts a visit; false once the budget is spent. */
function visit(out: Collector): boolean {
  return ++out.visits <= MAX_VISITS;
}

function add(out: Collector, name: string, v: TensorSlot): void {
  if (out.seen.has(name)) {
    out.duplicates.push(name);
    return;
  }
  out.seen.add(name);
  out.weights.push({ name, value: v });
}

/** Tensors of a state dict (or any container), dotted paths for nested containers. */
function collectWeights(v: PyValue, out: Collector, skipOptimizers = false): void {
  // Depth-first, in order, with an explicit stack: a tensor 5,000 dicts deep is found without recursion.
  // Containers on the path from the root to the current one: a reference back to one is a cycle, not a subtree.
  const path: object[] = [];
  const onPath = new Set<object>();
  const stack: Array<[PyValue, string, number]> = [[v, '', 0]];
  while (stack.length > 0) {
    const [x, prefix, depth] = stack.pop()!;
    while (path.length > depth) onPath.delete(path.pop()!);
    if (!visit(out)) return;
    if ((x instanceof PyDict || x instanceof PyList || x instanceof PyTuple) && !isTensorSlot(x)) {
      if (onPath.has(x)) continue;
      path.push(x);
      onPath.add(x);
    }
    if (depth > MAX_WALK_DEPTH) {
      out.truncated = true;
      continue;
    }
    if (isTensorSlot(x)) add(out, prefix === '' ? 'tensor' : prefix, x);
    else if (isScriptModule(x) || isModuleObject(x)) flattenModule(x, prefix === '' ? '' : `${prefix}.`, out, Math.min(depth, MAX_DEPTH) + 1, undefined);
    else if (x instanceof PyDict) {
      if (skipOptimizers && isOptimizerState(x)) continue;
      const es = [...x.entries()];
      for (let i = es.length - 1; i >= 0; i--) stack.push([es[i]![1], prefix === '' ? keyText(es[i]![0]) : `${prefix}.${keyText(es[i]![0])}`, depth + 1]);
    } else if (x instanceof PyList || x instanceof PyTuple) {
      if (skipOptimizers && x.items.some(isOptimizerState)) continue;
      for (let i = x.items.length - 1; i >= 0; i--) stack.push([x.items[i]!, prefix === '' ? String(i) : `${prefix}.${i}`, depth + 1]);
    }
  }
}

/** nn.Module pickled whole, or a TorchScript module: parameters, buffers, then submodules. */
function flattenModule(m: PyObject, prefix: string, out: Collector, depth: number, metadata: Record<string, string> | undefined): void {
  if (!visit(out)) return;
  if (depth > MAX_DEPTH) {
    out.truncated = true;
    return;
  }
  const state = m.state instanceof PyDict ? m.state : m.dictItems;
  if (isScriptModule(m)) {
    for (const [k, v] of state.stringEntries()) {
      if (isTensorSlot(v)) add(out, prefix + k, v);
      else if (isScriptModule(v)) flattenModule(v, `${prefix}${k}.`, out, depth + 1, metadata);
      else if (metadata && k !== 'training' && !k.startsWith('_') && isScalar(v)) metadata[prefix + k] = scalarText(v);
    }
    return;
  }
  const nonPersistent = state.get('_non_persistent_buffers_set');
  const skip = new Set(nonPersistent instanceof PySet ? nonPersistent.items.filter((x): x is string => typeof x === 'string') : []);
  for (const group of ['_parameters', '_buffers']) {
    const g = state.get(group);
    if (!(g instanceof PyDict)) continue;
    for (const [k, v] of g.stringEntries()) if (isTensorSlot(v) && !(group === '_buffers' && skip.has(k))) add(out, prefix + k, v);
  }
  const mods = state.get('_modules');
  if (mods instanceof PyDict) {
    for (const [k, v] of mods.stringEntries()) if (v instanceof PyObject) flattenModule(v, `${prefix}${k}.`, out, depth + 1, undefined);
  }
  if (metadata && depth === 0) metadata['pytorch.module_class'] = m.className;
}

function isScriptModule(v: PyValue | undefined): v is PyObject {
  return v instanceof PyObject && v.className.startsWith('__torch__.');
}

function isModuleObject(v: PyValue | undefined): v is PyObject {
  return v instanceof PyObject && v.state instanceof PyDict && v.state.has('_parameters') && v.state.has('_modules');
}

function holdsTensors(v: PyValue | undefined, depth: number, seen = new Set<object>()): boolean {
  if (v === undefined || depth > 4) return false;
  if (isTensorSlot(v)) return true;
  if (isScriptModule(v) || isModuleObject(v)) return true;
  if (v instanceof PyDict && !seen.has(v)) {
    seen.add(v);
    for (const [, x] of v.entries()) if (holdsTensors(x, depth + 1, seen)) return true;
  }
  return false;
}

function describeEntry(name: string, v: PyValue, metadata: Record<string, string>, extras: Record<string, string>, problems: Problem[]): void {
  if (isScalar(v)) {
    metadata[name] = scalarText(v);
    return;
  }
  const optimizers = isOptimizerState(v) ? [v] : v instanceof PyList ? v.items.filter(isOptimizerState) : [];
  if (optimizers.length > 0) {
    const summaries = optimizers.map(summariseOptimizer);
    extras[name] = summaries.map((s) => s.text).join('; ');
    const params = summaries.reduce((a, s) => a + s.params, 0);
    const bytes = summaries.reduce((a, s) => a + s.bytes, 0);
    problems.push(
      problem(
        'pytorch-training-checkpoint',
        'info',
        `This is a training checkpoint: besides the weights it holds optimizer state (${JSON.stringify(name)}) for ${plural(params, 'parameter')}, ${formatBytes(bytes)} of tensors. Inference needs only the weights.`,
      ),
    );
    return;
  }
  const stats = countTensors(v);
  if (stats.count > 0) {
    extras[name] = `${plural(stats.count, 'tensor')}, ${stats.elements} elements, ${formatBytes(stats.bytes)} (not the weights shown)`;
    return;
  }
  extras[name] = summarise(v);
}

function isScalar(v: PyValue): boolean {
  return v === null || typeof v === 'boolean' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v instanceof PyFloat;
}

function scalarText(v: PyValue): string {
  if (typeof v === 'string') return v.length > 1000 ? `${v.slice(0, 1000)}…` : v;
  return summarise(v);
}

function keyText(k: PyValue): string {
  return typeof k === 'string' ? k : summarise(k, 1);
}

function cap(r: Record<string, string>): Record<string, string> {
  const keys = Object.keys(r);
  if (keys.length <= MAX_ENTRIES) return r;
  const out = textRecord();
  for (const k of keys.slice(0, MAX_ENTRIES)) out[k] = r[k]!;
  out['…'] = `${keys.length - MAX_ENTRIES} more entries not shown`;
  return out;
}
