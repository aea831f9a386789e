import { plural } from '../../shared/text.js';
import { PyDict, PyList, type PyValue } from './pickle/values.js';
import { formatBytes, summarise, countTensors } from './summarise.js';

/** `optimizer.state_dict()`: {'state': {param_id: {...}}, 'param_groups': [{'params': [...], 'lr': ...}]}. */
export function isOptimizerState(v: PyValue | undefined): v is PyDict {
  return v instanceof PyDict && v.get('state') instanceof PyDict && v.get('param_groups') instanceof PyList;
}

/** One line about an optimizer state: its kind (from per-parameter keys), groups, hyper-parameters and size. */
export function summariseOptimizer(o: PyDict): { text: string; params: number; bytes: number } {
  const state = o.get('state') as PyDict;
  const groups = o.get('param_groups') as PyList;
  const keys = new Set<string>();
  for (const [, s] of state.entries()) if (s instanceof PyDict) for (const [k] of s.stringEntries()) keys.add(k);
  const kind = keys.has('exp_avg') && keys.has('exp_avg_sq') ? 'Adam-like' : keys.has('momentum_buffer') ? 'SGD with momentum' : keys.has('square_avg') ? 'RMSprop/Adadelta-like' : keys.size === 0 ? 'no per-parameter state' : 'unknown';
  const g0 = groups.items[0];
  const hyper: string[] = [];
  if (g0 instanceof PyDict) for (const k of ['lr', 'weight_decay', 'momentum', 'betas', 'eps']) if (g0.has(k)) hyper.push(`${k}=${summarise(g0.get(k)!, 1)}`);
  let params = 0;
  for (const g of groups.items) if (g instanceof PyDict && g.get('params') instanceof PyList) params += (g.get('params') as PyList).items.length;
  const stats = countTensors(state);
  const text =
    `optimizer state (${kind}): ${plural(state.size, 'parameter state')}${keys.size ? ` [${[...keys].sort().join(', ')}]` : ''}, ` +
    `${plural(groups.items.length, 'param group')}, ${plural(params, 'parameter')}${hyper.length ? ` (${hyper.join(', ')})` : ''}; ${plural(stats.count, 'tensor')}, ${formatBytes(stats.bytes)}`;
  return { text, params, bytes: stats.bytes };
}

