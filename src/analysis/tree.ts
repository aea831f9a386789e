import type { TowerId } from '../layouts/canonicalLayout.js';
import type { TreeNode, TreeTensor } from './types.js';

/**
 * Tower → stage → block (identical consecutive blocks collapsed ×N) → tensor. Stages are the
 * name path before the block index (`visual.transformer.resblocks`, `vision_model.encoder.layers`,
 * `visual.layer3`), or the parent path for tensors outside blocks. Ghost rows (missing tensors)
 * sit where the target would have them, so a missing block breaks the collapsed run and shows.
 */
export interface TreeItem {
  /** Display name: normalised file name, or the target name for ghosts. */
  name: string;
  dtype: string | null;
  shape: number[];
  parameters: number;
  bytes: number;
  missing: boolean;
  expectedShape?: number[];
}

interface Stage {
  label: string;
  loose: { label: string; item: TreeItem }[];
  blocks: Map<number, { label: string; item: TreeItem }[]>;
}

function splitName(name: string): { stage: string; block?: number; rest: string } {
  const m = /(^|\.)(\d+)\./.exec(name);
  if (m) {
    const start = m.index + m[1]!.length;
    return { stage: name.slice(0, Math.max(0, start - 1)) || '(top level)', block: Number(m[2]), rest: name.slice(start + m[2]!.length + 1) };
  }
  const dot = name.lastIndexOf('.');
  return dot < 0 ? { stage: '(top level)', rest: name } : { stage: name.slice(0, dot), rest: name.slice(dot + 1) };
}

function leaf(label: string, it: TreeItem): TreeNode {
  const tensor: TreeTensor = { name: it.name, dtype: it.dtype, shape: it.shape, ...(it.missing ? { missing: true as const } : {}), ...(it.expectedShape ? { expectedShape: it.expectedShape } : {}) };
  return {
    label,
    kind: 'tensor',
    repeat: 1,
    tensorCount: it.missing ? 0 : 1,
    parameters: it.missing ? 0 : it.parameters,
    bytes: it.missing ? 0 : it.bytes,
    dtypes: it.missing || !it.dtype ? {} : { [it.dtype]: it.parameters },
    missingCount: it.missing ? 1 : 0,
    children: [],
    tensor,
  };
}

function sum(label: string, kind: TreeNode['kind'], children: TreeNode[], repeat = 1): TreeNode {
  const n: TreeNode = { label, kind, repeat, tensorCount: 0, parameters: 0, bytes: 0, dtypes: {}, missingCount: 0, children };
  for (const c of children) {
    n.tensorCount += c.tensorCount;
    n.parameters += c.parameters;
    n.bytes += c.bytes;
    n.missingCount += c.missingCount;
    for (const [d, p] of Object.entries(c.dtypes)) n.dtypes[d] = (n.dtypes[d] ?? 0) + p;
  }
  if (repeat > 1) {
    n.tensorCount *= repeat;
    n.parameters *= repeat;
    n.bytes *= repeat;
    n.missingCount *= repeat;
    for (const d of Object.keys(n.dtypes)) n.dtypes[d]! *= repeat;
  }
  return n;
}

const signature = (items: { label: string; item: TreeItem }[]) =>
  items.map(({ label, item }) => `${label}:${item.dtype}:${item.shape.join('x')}:${item.missing ? 'M' : ''}:${item.expectedShape?.join('x') ?? ''}`).join('|');

export function buildTowerTree(tower: TowerId, items: readonly TreeItem[]): TreeNode {
  const stages = new Map<string, Stage>();
  for (const it of items) {
    const { stage, block, rest } = splitName(it.name);
    let s = stages.get(stage);
    if (!s) stages.set(stage, (s = { label: stage, loose: [], blocks: new Map() }));
    if (block === undefined) s.loose.push({ label: rest, item: it });
    else {
      const list = s.blocks.get(block) ?? [];
      list.push({ label: rest, item: it });
      s.blocks.set(block, list);
    }
  }
  const stageNodes: TreeNode[] = [];
  for (const s of stages.values()) {
    const children: TreeNode[] = s.loose.map(({ label, item }) => leaf(label, item));
    const ids = [...s.blocks.keys()].sort((a, b) => a - b);
    let i = 0;
    while (i < ids.length) {
      const first = s.blocks.get(ids[i]!)!;
      const sig = signature(first);
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[j - 1]! + 1 && signature(s.blocks.get(ids[j]!)!) === sig) j++;
      const count = j - i;
      const label = count > 1 ? `{${ids[i]}..${ids[j - 1]}}` : String(ids[i]);
      children.push(sum(label, 'block', first.map(({ label: l, item }) => leaf(l, item)), count));
      i = j;
    }
    stageNodes.push(sum(s.label, 'stage', children));
  }
  return sum(tower, 'tower', stageNodes);
}
