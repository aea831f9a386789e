/**
 * Architecture specs: what a model's state dict holds, as data generated from its config.
 * See ./README.md for how to add an architecture.
 */

/**
 * Where a tensor belongs for the user. The CLIP family's towers (`audio`: CLAP's audio encoder, in
 * place of the image tower); other architectures use `other` or their own parts' towers.
 */
export type TowerId = 'vision' | 'text' | 'projection' | 'decoder' | 'audio' | 'other';
export const TOWER_IDS: readonly TowerId[] = ['vision', 'text', 'projection', 'decoder', 'audio', 'other'];

/**
 * What a missing / unexpected tensor means (design.md "Knowledge"):
 * - `weight`: trained weight — missing = randomly initialised (error for a backbone / tower / projector);
 * - `task-head`: created by `from_pretrained(ArchForTask)`; new when fine-tuning (info);
 * - `tied`: the same storage as `tiedTo`; never missing;
 * - `buffer`: constant or recomputed (position ids, rotary inv_freq, BatchNorm counters that a load tolerates); never missing;
 * - `optional`: present in some releases, absent in others (never missing, never unexpected);
 * - `quant-aux`: quantization side tensors (scales, zeros, g_idx): never unexpected.
 */
export type Role = 'weight' | 'task-head' | 'tied' | 'buffer' | 'optional' | 'quant-aux';

/** What kind of piece a part is (drives the words in findings: "a block", "the projector", …). */
export type PartKind = 'embeddings' | 'blocks' | 'tower' | 'projector' | 'head' | 'norm' | 'scalar' | 'decoder';

/** A dimension: a literal, an expression over config fields (src/layouts/spec/expr.ts), or `'?'` = not known from the config (expands to -1: any size matches). */
export type Dim = number | string;

export interface TensorTemplate {
  /** Suffix after the part's prefix (`ln_1.weight`); may use `{N}` / `{S}` like the prefix. */
  readonly name: string;
  readonly shape: readonly Dim[];
  /** Default `weight`. */
  readonly role?: Role;
  /** Condition (expression); the tensor exists only when it is true. */
  readonly when?: string;
  /** For `tied`: the expected name (full, after naming) this tensor shares storage with. */
  readonly tiedTo?: string;
  /** Only non-float tensors say so. */
  readonly dtype?: 'I64';
  /** Overrides the part's tower (e.g. a projection matrix listed with its tower's tensors). */
  readonly tower?: TowerId;
}

export interface PartSpec {
  /** Stable id, unique in the spec: `vision.blocks`, `text.embeddings`, `lm_head`. */
  readonly id: string;
  readonly kind: PartKind;
  readonly tower: TowerId;
  /**
   * Name prefix of every tensor of the part, e.g. `visual.transformer.resblocks.{N}.`;
   * `{N}` = block index (with `repeat`), `{S}` = outer index (with `each`).
   */
  readonly prefix: string;
  /** Number of blocks (expression); the part's tensors repeat for N = 0 … repeat-1. */
  readonly repeat?: Dim;
  /** An outer loop (stages): S = 0 … count-1, bound as `S` for every expression of the part. */
  readonly each?: Dim;
  /** The part exists only when this is true. */
  readonly when?: string;
  /** Local names for expressions, evaluated in order (`D: 'vision.width'`, `M: 'D * 4'`); may use N and S. */
  readonly vars?: Readonly<Record<string, Dim>>;
  /** Tensors, or the name of a shared template in `ArchitectureSpec.templates`. */
  readonly tensors: readonly TensorTemplate[] | string;
  /**
   * The part's contents are not modelled (a trunk with no template yet): any tensor under `prefix`
   * belongs to it and is not checked; the part is missing only when no tensor has the prefix.
   * Expands to one ExpectedTensor with `opaque: true` and `name` = the prefix.
   */
  readonly opaque?: boolean;
  /** Opaque parts: how many state-dict entries lie under the prefix (expression), when known. */
  readonly count?: Dim;
  /** Opaque parts: a config field holding `[suffix, shape]` pairs that must be there exactly (a fingerprint of the unmodelled part). */
  readonly anchors?: string;
}

export interface ArchitectureSpec {
  readonly id: string;
  readonly description?: string;
  /** Config fields with their default values (configs are often written as a diff against defaults). */
  readonly defaults?: Readonly<Record<string, number | boolean | string | readonly number[] | null>>;
  /** Spec-wide derived values (evaluated in order after defaults), e.g. `grid: 'image // patch'`. */
  readonly vars?: Readonly<Record<string, Dim>>;
  /** Reusable tensor lists (a residual block). */
  readonly templates?: Readonly<Record<string, readonly TensorTemplate[]>>;
  readonly parts: readonly PartSpec[];
}

/** One tensor a model built from the config has. */
export interface ExpectedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** The part id. */
  readonly part: string;
  readonly partKind: PartKind;
  readonly tower: TowerId;
  readonly role: Role;
  /** Block index within a repeated part. */
  readonly block?: number;
  readonly tiedTo?: string;
  readonly dtype?: 'I64';
  /** An opaque part: `name` is a prefix; contents not checked. */
  readonly opaque?: true;
  /** Opaque parts: the number of entries under the prefix (anchors included), when known. */
  readonly opaqueCount?: number;
}

/** A config as the expander sees it: flat fields (`vision.width`) with numbers, booleans, strings or lists. */
export type AnchorPair = readonly [string, readonly number[]];
export type SpecConfig = Readonly<Record<string, number | boolean | string | readonly number[] | readonly AnchorPair[] | null | undefined>>;
