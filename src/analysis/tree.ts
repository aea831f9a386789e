import type { TensorInfo } from '../core/checkpoint.js';
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
  /** Read only: leaves share it (no copy per row on 100k-tensor files). */
  shape: readonly number[];
  parameters: number;
  bytes: number;
  missing: boolean;
  expectedShape?: number[];
}

/**
 * A tower's rows as parallel arrays: the same fields as `TreeItem`, without an object per file
 * tensor (a 100k-tensor file would otherwise allocate 100k short-lived items just to group them).
 */
export class TreeRows {
  readonly names: string[] = [];
  readonly dtypes: (string | null)[] = [];
  readonly shapes: (readonly number[])[] = [];
  readonly parameters: number[] = [];
  readonly bytes: number[] = [];
  readonly missing: boolean[] = [];
  readonly expectedShapes: (number[] | undefined)[] = [];

  get length(): number {
    return this.names.length;
  }

  add(name: string, dtype: string | null, shape: readonly number[], parameters: number, bytes: number, missing: boolean, expectedShape?: number[]): void {
    this.names.push(name);
    this.dtypes.push(dtype);
    this.shapes.push(shape);
    this.parameters.push(parameters);
    this.bytes.push(bytes);
    this.missing.push(missing);
    this.expectedShapes.push(expectedShape);
  }

  /** Rows that are not ghosts, and their parameters and bytes. */
  totals(): { present: number; parameters: number; bytes: number } {
    let present = 0;
    let parameters = 0;
    let bytes = 0;
    for (let k = 0; k < this.names.length; k++) {
      if (this.missing[k]) continue;
      present++;
      parameters += this.parameters[k]!;
      bytes += this.bytes[k]!;
    }
    return { present, parameters, bytes };
  }

  static of(items: readonly TreeItem[]): TreeRows {
    const rows = new TreeRows();
    for (const it of items) rows.add(it.name, it.dtype, it.shape, it.parameters, it.bytes, it.missing, it.expectedShape);
    return rows;
  }
}

/**
 * Each file tensor as a row of its tower (`towerIds[i]`, normalised name `names[i]`), in file
 * order, with the target's shape where `expectedByFile` has one. (A small function of its own:
 * it runs once per tensor, and is optimised sooner than the loop inside the big analysis would be.)
 */
export function addFileRows(rows: ReadonlyMap<TowerId, TreeRows>, towerIds: readonly TowerId[], names: readonly string[], tensors: readonly TensorInfo[], expectedByFile: ReadonlyMap<string, number[]>): void {
  let lastId: TowerId | undefined;
  let last: TreeRows | undefined;
  const withExpected = expectedByFile.size > 0;
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i]!;
    const id = towerIds[i]!;
    if (id !== lastId) {
      last = rows.get(id)!;
      lastId = id;
    }
    last!.add(names[i]!, t.dtype, t.shape, t.elementCount, t.byteLength, false, withExpected ? expectedByFile.get(t.name) : undefined);
  }
}

/**
 * The rows of one block (or a stage's loose rows), as row indexes. A label is the end of the row's
 * name, kept as an offset (`name.slice(labelAt[i])`) so that the 100k labels of a big file are only
 * sliced for the leaves that are shown, not for every block a collapsed run hides.
 */
interface Group {
  rows: number[];
  labelAt: number[];
  /**
   * No label or dtype holds a signature separator (`:` `|`), so field-by-field comparison equals
   * signature comparison; computed when first needed (undefined until then).
   */
  plain?: boolean;
  /** The signature string, built only for blocks that are not `plain`. */
  sig?: string;
}

interface Stage {
  label: string;
  loose: Group;
  blocks: Map<number, Group>;
}

const newGroup = (): Group => ({ rows: [], labelAt: [] });

const hasSeparator = (s: string, from: number) => s.indexOf(':', from) >= 0 || s.indexOf('|', from) >= 0;

/** `a.slice(aFrom) === b.slice(bFrom)` without the slices. */
function sameTail(a: string, aFrom: number, b: string, bFrom: number): boolean {
  const n = a.length - aFrom;
  if (n !== b.length - bFrom) return false;
  for (let k = 0; k < n; k++) if (a.charCodeAt(aFrom + k) !== b.charCodeAt(bFrom + k)) return false;
  return true;
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/** Start of the first all-digit segment followed by `.` (what `/(^|\.)(\d+)\./` finds, as a scan), or -1. */
function blockIndexStart(name: string): number {
  for (let s = 0; ; ) {
    const j = digitsEnd(name, s);
    if (j > s && j < name.length && name.charCodeAt(j) === 46) return s;
    const dot = name.indexOf('.', s);
    if (dot < 0) return -1;
    s = dot + 1;
  }
}

/** `Number(name.slice(s, j))` for the digit run [s, j), without the slice when it is exact (≤ 15 digits). */
function parseIndex(name: string, s: number, j: number): number {
  if (j - s > 15) return Number(name.slice(s, j));
  let v = 0;
  for (let k = s; k < j; k++) v = v * 10 + (name.charCodeAt(k) - 48);
  return v;
}

function digitsEnd(name: string, s: number): number {
  let j = s;
  while (j < name.length && isDigit(name.charCodeAt(j))) j++;
  return j;
}

/**
 * What leaves share instead of each allocating its own (a 100k-tensor file has 100k leaves, all
 * kept until the analysis is written): the empty `children` array, and the `dtypes` record of
 * each (dtype, parameters) pair. Frozen, so a caller that tried to change one would throw.
 */
const NO_CHILDREN = Object.freeze([]) as unknown as TreeNode[];
const NO_DTYPES = Object.freeze({}) as Record<string, number>;

class DtypeRecords {
  private readonly byDtype = new Map<string, Map<number, Record<string, number>>>();
  of(dtype: string, parameters: number): Record<string, number> {
    let m = this.byDtype.get(dtype);
    if (!m) this.byDtype.set(dtype, (m = new Map()));
    let d = m.get(parameters);
    if (!d) m.set(parameters, (d = Object.freeze({ [dtype]: parameters })));
    return d;
  }
}

function leaf(r: TreeRows, i: number, label: string, records: DtypeRecords): TreeNode {
  const missing = r.missing[i]!;
  const dtype = r.dtypes[i] ?? null;
  const parameters = r.parameters[i]!;
  const tensor: TreeTensor = { name: r.names[i]!, dtype, shape: r.shapes[i]! };
  if (missing) tensor.missing = true;
  const expectedShape = r.expectedShapes[i];
  if (expectedShape) tensor.expectedShape = expectedShape;
  return {
    label,
    kind: 'tensor',
    repeat: 1,
    tensorCount: missing ? 0 : 1,
    parameters: missing ? 0 : parameters,
    bytes: missing ? 0 : r.bytes[i]!,
    dtypes: missing || !dtype ? NO_DTYPES : records.of(dtype, parameters),
    missingCount: missing ? 1 : 0,
    children: NO_CHILDREN,
    tensor,
  };
}

function leaves(r: TreeRows, g: Group, records: DtypeRecords): TreeNode[] {
  const out: TreeNode[] = new Array(g.rows.length);
  for (let k = 0; k < out.length; k++) {
    const i = g.rows[k]!;
    out[k] = leaf(r, i, r.names[i]!.slice(g.labelAt[k]), records);
  }
  return out;
}

function sum(label: string, kind: TreeNode['kind'], children: TreeNode[], repeat = 1): TreeNode {
  const n: TreeNode = { label, kind, repeat, tensorCount: 0, parameters: 0, bytes: 0, dtypes: {}, missingCount: 0, children };
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    n.tensorCount += c.tensorCount;
    n.parameters += c.parameters;
    n.bytes += c.bytes;
    n.missingCount += c.missingCount;
    for (const d in c.dtypes) n.dtypes[d] = (n.dtypes[d] ?? 0) + c.dtypes[d]!;
  }
  if (repeat > 1) {
    n.tensorCount *= repeat;
    n.parameters *= repeat;
    n.bytes *= repeat;
    n.missingCount *= repeat;
    for (const d in n.dtypes) n.dtypes[d]! *= repeat;
  }
  return n;
}

/** What makes two blocks "identical" (the collapse rule): built only for blocks whose fields hold a separator (see `sameBlock`). */
function signature(r: TreeRows, g: Group): string {
  return (g.sig ??= g.rows
    .map((i, k) => `${r.names[i]!.slice(g.labelAt[k])}:${r.dtypes[i]}:${r.shapes[i]!.join('x')}:${r.missing[i] ? 'M' : ''}:${r.expectedShapes[i]?.join('x') ?? ''}`)
    .join('|'));
}

const EMPTY: readonly number[] = [];

function stageNamed(stages: Map<string, Stage>, label: string): Stage {
  let s = stages.get(label);
  if (!s) stages.set(label, (s = { label, loose: newGroup(), blocks: new Map() }));
  return s;
}

/** Equal as `shape.join('x')` strings are (so NaN equals NaN, as in the signature). */
function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x !== y && String(x) !== String(y)) return false;
  }
  return true;
}

function isPlain(r: TreeRows, g: Group): boolean {
  if (g.plain === undefined) {
    g.plain = true;
    for (let k = 0; k < g.rows.length && g.plain; k++) {
      const i = g.rows[k]!;
      const dtype = r.dtypes[i] ?? null;
      if (hasSeparator(r.names[i]!, g.labelAt[k]!) || (dtype !== null && hasSeparator(dtype, 0))) g.plain = false;
    }
  }
  return g.plain;
}

/** Equal row count and equal fields (the same label, dtype, ghost flag, shape and expected shape, row by row). */
function sameFields(r: TreeRows, a: Group, b: Group): boolean {
  if (a.rows.length !== b.rows.length) return false;
  for (let k = 0; k < a.rows.length; k++) {
    const x = a.rows[k]!;
    const y = b.rows[k]!;
    if (!sameTail(r.names[x]!, a.labelAt[k]!, r.names[y]!, b.labelAt[k]!) || String(r.dtypes[x]) !== String(r.dtypes[y]) || r.missing[x] !== r.missing[y]) return false;
    if (!sameDims(r.shapes[x]!, r.shapes[y]!) || !sameDims(r.expectedShapes[x] ?? EMPTY, r.expectedShapes[y] ?? EMPTY)) return false;
  }
  return true;
}

/**
 * Equal signatures (the collapse rule). Equal fields always give equal signatures; different
 * fields give different signatures unless a separator inside a field makes two spell the same,
 * so the signature strings are built only for blocks that hold a separator.
 */
function sameBlock(r: TreeRows, a: Group, b: Group): boolean {
  if (sameFields(r, a, b)) return true;
  if (isPlain(r, a) && isPlain(r, b)) return false;
  return signature(r, a) === signature(r, b);
}

export function buildTowerTree(tower: TowerId, items: readonly TreeItem[] | TreeRows): TreeNode {
  const r = items instanceof TreeRows ? items : TreeRows.of(items);
  const stages = new Map<string, Stage>();
  // Consecutive names usually share their stage and block (file order), so the last ones are kept
  // to skip slicing and hashing the same prefix 100k times. (One loop with no closures: it runs
  // 100k times on big files, mostly before the optimiser has compiled it.)
  let lastPrefix = '';
  let lastStage: Stage | undefined;
  let lastBlockStage: Stage | undefined;
  let lastBlock = -1;
  let lastGroup: Group | undefined;
  const names = r.names;
  // Stage = the path before the block index (or the parent path outside blocks), as documented above.
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const s = blockIndexStart(name);
    // The stage's label ends at `end` (exclusive); -1: '(top level)'.
    let end: number;
    let labelAt: number;
    if (s >= 0) {
      end = s > 1 ? s - 1 : -1;
      labelAt = digitsEnd(name, s) + 1;
    } else {
      const dot = name.lastIndexOf('.');
      // No dot: top level; a leading dot: the stage is '' (not '(top level)'), as it always was.
      end = dot < 0 ? -1 : dot;
      labelAt = dot + 1;
    }
    let stage: Stage;
    if (end > 0 && lastStage && lastPrefix.length === end && name.startsWith(lastPrefix)) stage = lastStage;
    else {
      const label = end < 0 ? '(top level)' : name.slice(0, end);
      stage = stageNamed(stages, label);
      // Only real name prefixes are remembered (as before: '(top level)' and '' are looked up each time).
      if (end > 0) {
        lastPrefix = label;
        lastStage = stage;
      }
    }
    let g: Group;
    if (s >= 0) {
      const block = parseIndex(name, s, labelAt - 1);
      if (stage !== lastBlockStage || block !== lastBlock || !lastGroup) {
        lastGroup = stage.blocks.get(block);
        if (!lastGroup) stage.blocks.set(block, (lastGroup = newGroup()));
        lastBlockStage = stage;
        lastBlock = block;
      }
      g = lastGroup;
    } else g = stage.loose;
    g.rows.push(i);
    g.labelAt.push(labelAt);
  }
  const stageNodes: TreeNode[] = [];
  const records = new DtypeRecords();
  for (const s of stages.values()) {
    const children: TreeNode[] = leaves(r, s.loose, records);
    const ids = [...s.blocks.keys()].sort((a, b) => a - b);
    let i = 0;
    while (i < ids.length) {
      const first = s.blocks.get(ids[i]!)!;
      let j = i + 1;
      while (j < ids.length && ids[j] === ids[j - 1]! + 1 && sameBlock(r, first, s.blocks.get(ids[j]!)!)) j++;
      const count = j - i;
      const label = count > 1 ? `{${ids[i]}..${ids[j - 1]}}` : String(ids[i]);
      children.push(sum(label, 'block', leaves(r, first, records), count));
      i = j;
    }
    stageNodes.push(sum(s.label, 'stage', children));
  }
  return sum(tower, 'tower', stageNodes);
}
