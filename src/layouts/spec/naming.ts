import type { TowerId } from './types.js';

/**
 * Naming schemes: how one family of checkpoints spells the tensors a spec generates (its
 * canonical names). A scheme is data: prefix renames (open_clip custom-text `text.`, a GGUF-style
 * `blk.` for `model.layers.`) and/or rename rows with a value transform (transformers' split q/k/v
 * for OpenAI's packed `in_proj_weight`, timm's `[1, 1, D]` class token). See ./README.md.
 */

export type Transform = 'identity' | 'transpose' | 'reshape' | 'concat0';

/** One local tensor ↔ (part of) one canonical tensor. Names may hold `{N}` (block index). */
export interface RenameRow {
  readonly local: string;
  readonly canonical: string;
  readonly transform: Transform;
  /** concat0: index of this source along dim 0 (q = 0, k = 1, v = 2) out of `parts`. */
  readonly part?: number;
  readonly parts?: number;
  /** reshape: number of leading size-1 dims the local tensor has and the canonical one lacks. */
  readonly lead?: number;
}

/** A group of rows; with `block`, rows are suffixes repeated for every block index N. */
export interface RenameSection {
  readonly block?: { readonly local: string; readonly canonical: string };
  readonly rows: readonly RenameRow[];
}

/** Local-only tensors a layout has with no canonical counterpart (shape from E / widths). */
export interface ExtraRow {
  readonly local: string;
  readonly shape: 'embed' /* [E] */;
  readonly note: string;
  /** Present only when the canonical tensor `after` is (timm `head.bias` with `visual.proj`). */
  readonly after: string;
  readonly tower: TowerId;
}

/** Prefix rename: canonical names starting with `from` (of the given towers, or exactly `from` with `exact`) get `to` instead. */
export interface PrefixRule {
  readonly from: string;
  readonly to: string;
  readonly towers?: readonly TowerId[];
  readonly exact?: boolean;
  /** The renamed tensor's values are the transpose (open_clip's Linear text projection). */
  readonly transform?: Transform;
}

export interface NamingScheme {
  readonly id: string;
  /** Prefix renames, first match wins; names no rule matches keep their canonical spelling. */
  readonly prefixes?: readonly PrefixRule[];
  /**
   * Row renames. When given, the scheme is closed: canonical tensors with no row are not held by
   * this layout (timm's image tower has no text tower) and local names with no row are unmapped.
   */
  readonly sections?: readonly RenameSection[];
  readonly extras?: readonly ExtraRow[];
}

/** A canonical tensor (as a spec generated it) to be named. */
export interface NamedInput {
  readonly name: string;
  readonly shape: readonly number[];
  readonly tower: TowerId;
}

export type Named<T extends NamedInput> = Omit<T, 'name' | 'shape'> & {
  readonly name: string;
  readonly shape: readonly number[];
  /** The canonical tensor this local tensor is (part of); null for local-only extras. */
  readonly canonical: string | null;
  readonly transform: Transform;
  /** concat0 slice index. */
  readonly part?: number;
};

export interface CompiledRow extends RenameRow {
  /** Full local / canonical templates (block prefix included). */
  readonly localT: string;
  readonly canonicalT: string;
}

export interface CompiledScheme {
  readonly byLocal: Map<string, CompiledRow>;
  readonly byCanonical: Map<string, CompiledRow[]>;
  readonly ordered: readonly { section: RenameSection; rows: CompiledRow[] }[];
}

const compiled = new WeakMap<NamingScheme, CompiledScheme>();

/** The row tables of a closed scheme, indexed (cached); undefined for prefix-only schemes. */
export function compileScheme(scheme: NamingScheme): CompiledScheme | undefined {
  if (!scheme.sections) return undefined;
  let c = compiled.get(scheme);
  if (c) return c;
  const byLocal = new Map<string, CompiledRow>();
  const byCanonical = new Map<string, CompiledRow[]>();
  const ordered: { section: RenameSection; rows: CompiledRow[] }[] = [];
  for (const s of scheme.sections) {
    const rows = s.rows.map((r) => ({ ...r, localT: (s.block?.local ?? '') + r.local, canonicalT: (s.block?.canonical ?? '') + r.canonical }));
    for (const r of rows) {
      byLocal.set(r.localT, r);
      const list = byCanonical.get(r.canonicalT) ?? [];
      list.push(r);
      byCanonical.set(r.canonicalT, list);
    }
    ordered.push({ section: s, rows });
  }
  c = { byLocal, byCanonical, ordered };
  compiled.set(scheme, c);
  return c;
}

/** `a.b.12.c` → { template: `a.b.{N}.c`, n: 12 } (first all-digit segment); no digits → n undefined. */
export function blockTemplate(name: string): { template: string; n?: number } {
  const m = /(^|\.)(\d+)(\.|$)/.exec(name);
  if (!m) return { template: name };
  const start = m.index + m[1]!.length;
  return { template: name.slice(0, start) + '{N}' + name.slice(start + m[2]!.length), n: Number(m[2]) };
}

/** The prefix rule that renames canonical `name` of `tower`, if any. */
export function prefixRuleFor(scheme: NamingScheme, name: string, tower: TowerId): PrefixRule | undefined {
  for (const r of scheme.prefixes ?? []) {
    if (r.exact ? name !== r.from : !name.startsWith(r.from)) continue;
    if (r.towers && !r.towers.includes(tower)) continue;
    return r;
  }
  return undefined;
}

/**
 * Canonical tensors → the same model's tensors in `scheme`'s spelling and order. Closed schemes
 * list their rows' order (transformers puts k before v before q) and drop canonical tensors they
 * cannot hold; `sizes.embed` sizes local-only extras.
 */
export function applyNaming<T extends NamedInput>(specs: readonly T[], scheme: NamingScheme, sizes: { embed: number }): Named<T>[] {
  const table = compileScheme(scheme);
  if (!table) {
    return specs.map((s) => {
      const r = prefixRuleFor(scheme, s.name, s.tower);
      const name = r ? r.to + s.name.slice(r.from.length) : s.name;
      return { ...s, name, canonical: s.name, transform: 'identity' as const };
    });
  }
  const byName = new Map(specs.map((s) => [s.name, s]));
  const out: Named<T>[] = [];
  const emit = (row: CompiledRow, n?: number) => {
    const canonical = n === undefined ? row.canonicalT : row.canonicalT.replace('{N}', String(n));
    const spec = byName.get(canonical);
    if (!spec) return false;
    const local = n === undefined ? row.localT : row.localT.replace('{N}', String(n));
    let shape: number[] = [...spec.shape];
    if (row.transform === 'transpose') shape = shape.reverse();
    else if (row.transform === 'reshape') shape = [...new Array<number>(row.lead ?? 0).fill(1), ...shape];
    else if (row.transform === 'concat0') shape = [(shape[0] ?? 0) / (row.parts ?? 3), ...shape.slice(1)];
    out.push({ ...spec, name: local, shape, canonical, transform: row.transform, ...(row.part !== undefined ? { part: row.part } : {}) });
    return true;
  };
  for (const { section, rows } of table.ordered) {
    if (!section.block) {
      for (const r of rows) emit(r);
      continue;
    }
    for (let n = 0; ; n++) {
      let any = false;
      for (const r of rows) any = emit(r, n) || any;
      if (!any) break;
    }
  }
  for (const x of scheme.extras ?? []) {
    if (out.some((s) => s.canonical === x.after)) out.push({ name: x.local, shape: [sizes.embed], tower: x.tower, canonical: null, transform: 'identity' } as unknown as Named<T>);
  }
  return out;
}
