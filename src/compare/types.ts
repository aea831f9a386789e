/**
 * The comparison report: plain JSON (no class instances, no Maps, no typed arrays), so it can
 * cross a worker-thread boundary, be printed by `diff --json`, and be rendered by the webview.
 * Field names are part of the CLI's stable output (schemaVersion 1): add fields, never rename.
 */

/** How a side's stored tensor(s) become the compared (canonical) tensor. */
export type Transform = 'identity' | 'transpose' | 'reshape' | 'concat0';

/** Which towers a tensor belongs to; used to group unmatched tensors and allow drops. */
/** The layout module's towers (projection includes logit_scale), plus never-a-weight `buffers`. */
export type Tower = 'vision' | 'text' | 'projection' | 'decoder' | 'audio' | 'other' | 'buffers';
export const TOWERS: readonly Tower[] = ['vision', 'text', 'projection', 'decoder', 'audio', 'other', 'buffers'];

export interface Tolerance {
  readonly rtol: number;
  readonly atol: number;
}

/**
 * Per-pair outcome. `identical`: raw bytes equal (same dtype, no value-changing transform).
 * `equal`: every value equal after decoding/transform (e.g. an F16→F32 upcast, a transpose).
 * `close`: within tolerance. `different`: beyond it. `shape-mismatch`: element counts or shapes
 * the mapping cannot explain, values not compared. `unreadable`: reading failed mid-way.
 */
export type PairStatus = 'identical' | 'equal' | 'close' | 'different' | 'shape-mismatch' | 'unreadable';

export interface DiffStats {
  /** Elements compared. */
  readonly count: number;
  /** max |a−b| over elements where both are finite or equal non-finite. */
  readonly maxAbs: number;
  /** Flat index (row-major, in the compared shape) of the max abs diff; -1 if none. */
  readonly maxAbsAt: number;
  /** max |a−b| / |a| over elements with a ≠ 0 (A is the reference, as in numpy's allclose). */
  readonly maxRel: number;
  /** sqrt(mean((a−b)²)). */
  readonly rms: number;
  /** rms / rms(a): a scale-free size of the difference; null when A is all zeros and B is not. */
  readonly relRms: number | null;
  /** Cosine similarity of the two flattened tensors (1 when both are all zeros). */
  readonly cosine: number;
  /** Elements violating |a−b| ≤ atol + rtol·|a| (NaN/Inf positions that differ count too). */
  readonly mismatched: number;
  /** Positions where exactly one side is NaN, or the infinities differ. */
  readonly nonFiniteMismatch: number;
}

export interface SideRef {
  /** Stored tensor names on this side (several for a concat, e.g. HF q/k/v → in_proj). */
  readonly names: readonly string[];
  readonly dtype: string;
  /** Stored shape (of the first source for a concat). */
  readonly shape: readonly number[];
  readonly transform: Transform;
}

export interface PairResult {
  /** The key both sides were paired on: the tensor name, or the canonical (OpenAI) name. */
  readonly key: string;
  readonly tower: Tower;
  readonly a: SideRef;
  readonly b: SideRef;
  /** Shape both sides were compared in. */
  readonly shape: readonly number[];
  readonly status: PairStatus;
  /** How values were compared: raw bytes (fast path), decoded values, or not at all. */
  readonly method: 'bytes' | 'values' | 'none';
  readonly tolerance: Tolerance;
  readonly stats?: DiffStats;
  /** Plain-language explanation of shape/dtype/transform changes (may be empty). */
  readonly notes: readonly string[];
  /** Error code when status is `unreadable`. */
  readonly errorCode?: string;
}

export interface UnmatchedTensor {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly tower: Tower;
  /** Set for small unmatched biases: true when every value is 0. */
  readonly allZero?: boolean;
  /** An added tensor that cannot change any output (an all-zero bias); does not fail the diff. */
  readonly harmless?: boolean;
}

/** How many matched pairs ended in each status (a tower's, or the whole comparison's). */
export interface PairStatusCounts {
  readonly matched: number;
  readonly identical: number;
  readonly equal: number;
  readonly close: number;
  readonly different: number;
  readonly shapeMismatch: number;
  readonly unreadable: number;
}

export interface TowerSummary extends PairStatusCounts {
  readonly tower: Tower;
  /** Tensors present only in A (dropped by B), only in B (added by B). */
  readonly onlyA: readonly string[];
  readonly onlyB: readonly string[];
  /** True when the drops/additions of this tower are permitted by --allow-missing. */
  readonly allowed: boolean;
  /** What the difference means for a user ("a zero-shot model would be broken"), if anything. */
  readonly meaning?: string;
}

export interface SideSummary {
  readonly path: string;
  readonly format: string;
  /** Layout family as detected by the cross-layout mapping (absent with --map none). */
  readonly layout?: string;
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
  readonly unreadable: number;
}

export interface CompareCounts extends PairStatusCounts {
  readonly onlyA: number;
  readonly onlyB: number;
  /** Matched pairs that needed a transform other than identity on either side. */
  readonly transformed: number;
}

export interface CompareReport {
  readonly schemaVersion: 1;
  readonly a: SideSummary;
  readonly b: SideSummary;
  /** `name`: paired by tensor name. `canonical`: paired through the cross-layout mapping. */
  readonly matching: 'name' | 'canonical';
  /** User overrides of the per-dtype default tolerances (empty: defaults everywhere). */
  readonly tolerance: { readonly rtol?: number; readonly atol?: number };
  readonly allowMissing: readonly Tower[];
  readonly verdict: {
    /** True when exit code 0: every pair within tolerance, no unexplained drops/additions. */
    readonly equivalent: boolean;
    /** One sentence for the top of every rendering (plain text; names are attacker-controlled). */
    readonly sentence: string;
    /** The same sentence split into prose and tensor names, for renderers that set names as code. */
    readonly parts: readonly ({ readonly text: string } | { readonly name: string })[];
  };
  readonly counts: CompareCounts;
  /** One entry per tower that has any tensor on either side, in TOWERS order. */
  readonly towers: readonly TowerSummary[];
  /** Every matched pair, in A's tensor order (stable). */
  readonly pairs: readonly PairResult[];
  /** Keys of the pairs that differ most (worst first, at most 20), excluding identical/equal. */
  readonly worst: readonly string[];
  readonly onlyA: readonly UnmatchedTensor[];
  readonly onlyB: readonly UnmatchedTensor[];
  /** Report-level notes (mapping used, unreadable tensors, ...). */
  readonly notes: readonly string[];
  /** Wall time of the value comparison and bytes read from both sides. */
  readonly timing: { readonly seconds: number; readonly bytesRead: number };
}

export interface CompareProgress {
  readonly pairsDone: number;
  readonly pairsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  /** Key of the pair being compared. */
  readonly current?: string;
}
