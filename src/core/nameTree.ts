import { storageType, type TensorInfo } from './checkpoint.js';

/**
 * A tree of dotted tensor names in which numbered siblings with the same content collapse into
 * one node: `resblocks.{0..11}` ×12 instead of twelve copies. Generic (no model knowledge):
 * the tower tree of the analysis is built on top of CLIP layout tables instead.
 */
export interface NameNode {
  /** Segment label, e.g. `visual`, `{0..11}`, `weight`. */
  readonly label: string;
  /** Number of collapsed instances this node stands for (1 when not collapsed). */
  readonly repeat: number;
  readonly children: NameNode[];
  /** Set on leaves: the tensor (of the first instance) and how many tensors the leaf stands for. */
  readonly tensor?: { dtype: string; shape: readonly number[] };
  /** Tensors under this node, counting every collapsed instance. */
  tensorCount: number;
  parameters: number;
  bytes: number;
}

interface Mutable {
  label: string;
  children: Map<string, Mutable>;
  tensor?: TensorInfo;
}

export function buildNameTree(tensors: readonly TensorInfo[]): NameNode {
  const root: Mutable = { label: '', children: new Map() };
  for (const t of tensors) {
    let node = root;
    for (const seg of t.name.split('.')) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = { label: seg, children: new Map() }));
      node = next;
    }
    // A name that is also a prefix of others (e.g. `a` and `a.b`) keeps both: tensor on the inner node.
    node.tensor = t;
  }
  return collapse(root);
}

function signature(n: Mutable): string {
  const t = n.tensor ? `${storageType(n.tensor)}${JSON.stringify(n.tensor.shape)}` : '';
  let s = t;
  for (const [k, c] of n.children) s += `(${k}:${signature(c)})`;
  return s;
}

function collapse(n: Mutable): NameNode {
  const kids = [...n.children.values()];
  const out: NameNode[] = [];
  let i = 0;
  while (i < kids.length) {
    const k = kids[i]!;
    if (/^\d+$/.test(k.label)) {
      // Collapse a run of consecutive integers with identical signatures.
      const sig = signature(k);
      let j = i + 1;
      while (j < kids.length && /^\d+$/.test(kids[j]!.label) && Number(kids[j]!.label) === Number(kids[j - 1]!.label) + 1 && signature(kids[j]!) === sig) j++;
      const count = j - i;
      if (count > 1) {
        const first = collapse(k);
        out.push(scaled({ ...first, label: `{${k.label}..${kids[j - 1]!.label}}` }, count));
        i = j;
        continue;
      }
    }
    out.push(collapse(k));
    i++;
  }
  const node: NameNode = {
    label: n.label,
    repeat: 1,
    children: out,
    ...(n.tensor ? { tensor: { dtype: storageType(n.tensor), shape: n.tensor.shape } } : {}),
    tensorCount: n.tensor ? 1 : 0,
    parameters: n.tensor ? n.tensor.elementCount : 0,
    bytes: n.tensor ? n.tensor.byteLength : 0,
  };
  for (const c of out) {
    node.tensorCount += c.tensorCount;
    node.parameters += c.parameters;
    node.bytes += c.bytes;
  }
  return node;
}

function scaled(n: NameNode, count: number): NameNode {
  return { ...n, repeat: count, tensorCount: n.tensorCount * count, parameters: n.parameters * count, bytes: n.bytes * count };
}

/** Renders the tree as indented text lines; single-child chains are joined with dots. */
export function renderNameTree(root: NameNode, fmt: (n: NameNode) => string, maxLines = 400): string[] {
  const lines: string[] = [];
  const walk = (n: NameNode, prefix: string, depth: number) => {
    let label = n.label;
    let node = n;
    let repeat = n.repeat;
    while (!node.tensor && node.children.length === 1) {
      node = node.children[0]!;
      label += `.${node.label}`;
      repeat *= node.repeat;
    }
    if (lines.length >= maxLines) return;
    lines.push(`${'  '.repeat(depth)}${prefix}${label}${fmt(repeat === node.repeat ? node : { ...node, repeat })}`);
    for (const c of node.children) walk(c, '', depth + 1);
  };
  for (const c of root.children) walk(c, '', 0);
  if (lines.length >= maxLines) lines.push(`… (tree cut at ${maxLines} lines; use --json for everything)`);
  return lines;
}
