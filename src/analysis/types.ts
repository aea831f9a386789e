/**
 * The Analysis document: what `inspect --json` adds and what the editor renders. Plain JSON
 * (no TensorInfo objects): names, shapes and dtypes only. Tensor names are attacker-controlled:
 * escape them wherever they are rendered. Add fields; never rename or remove one.
 */
import type { Severity } from '../core/problems.js';
import type { TowerId } from '../layouts/canonicalLayout.js';
import type { FamilyId } from '../layouts/families.js';
import type { PeftCheck } from './peft.js';
import type { TransformersCheck } from './transformersCheck.js';

export type { FamilyId, TowerId };

/** Hyper-parameters read from shapes (undefined = not derivable from this file). */
export interface InferredArchitecture {
  vision?:
    | { kind: 'vit'; width: number; layers: number; patch: number; image: number; mlp?: number; heads?: number }
    | { kind: 'resnet'; width: number; layers: number[]; image?: number; heads?: number };
  text?: { width: number; layers: number; context?: number; vocab?: number; mlp?: number; heads?: number };
  embedDim?: number;
  /** CoCa multimodal decoder layers. */
  decoderLayers?: number;
}

export type Activation = 'quick_gelu' | 'gelu' | 'unknown';

export interface ArchitectureInfo {
  family: FamilyId;
  /** Named configuration (`ViT-B-16`, `RN50`, `coca_ViT-B-32`, …) or null when none matches. */
  variant: string | null;
  /** Where the variant came from; `shapes-approximate` = closest configuration by widths, patch and image size (layer count or embed dim differ). */
  variantSource: 'shapes' | 'shapes-approximate' | 'config' | null;
  /** Named configurations compatible with the shapes when more than one is (e.g. a text-only file). */
  candidates: string[];
  /** From shapes. */
  inferred: InferredArchitecture;
  /** The config file read beside the checkpoint, if any. */
  config: { file: string; kind: 'open_clip' | 'transformers' | 'timm'; name: string | null } | null;
  /** QuickGELU vs GELU: not visible in weights; from the config when there is one. */
  activation: Activation;
  activationNote: string;
  /** Config values that disagree with the shapes. */
  disagreements: { field: string; config: string; shapes: string }[];
  /** The container/wrapper prefix removed from every name (`module.`, `state_dict.`…), if any. */
  strippedPrefix: string | null;
}

export type TowerStatus = 'complete' | 'incomplete' | 'absent' | 'not-expected' | 'unchecked';

export interface TreeTensor {
  /** Full tensor name (file name; target name for ghost rows). */
  name: string;
  dtype: string | null;
  /** Read only: may be the file tensor's own shape array (not copied per row on 100k-tensor files). */
  shape: readonly number[];
  /** A ghost row: the target expects this tensor and the file lacks it. */
  missing?: true;
  /** The target expects another shape. */
  expectedShape?: number[];
}

export interface TreeNode {
  /** Display label: a stage path (`visual.transformer.resblocks`), a block (`{0..11}`), or a tensor suffix. */
  label: string;
  kind: 'tower' | 'stage' | 'block' | 'tensor';
  /** Blocks: how many identical blocks this node stands for. */
  repeat: number;
  tensorCount: number;
  parameters: number;
  bytes: number;
  /** Parameters per dtype. */
  dtypes: Record<string, number>;
  /** Ghost tensors (missing from the file) under this node, counting collapsed repeats. */
  missingCount: number;
  children: TreeNode[];
  /** Tensor leaves only. */
  tensor?: TreeTensor;
}

export interface TowerSummary {
  id: TowerId;
  status: TowerStatus;
  /** Tensors the file has in this tower. */
  tensors: number;
  parameters: number;
  bytes: number;
  /** Target's expected tensors in this tower (0 without a target). */
  expected: number;
  missing: number;
  mismatched: number;
  tree: TreeNode;
}

export interface TargetInfo {
  /** As given or defaulted, e.g. `openclip:ViT-B-16`, `hf:CLIPModel@ViT-B-16`. */
  id: string;
  family: FamilyId;
  variant: string;
  /** Model class / description, e.g. `CLIPModel`, `open_clip CLIP`. */
  model: string;
  defaulted: boolean;
  expectedTensors: number;
}

export interface MissingTensor {
  /** Target name. */
  name: string;
  shape: number[];
  tower: TowerId;
  /** Why, when known beyond "not in the file" (e.g. its shard is missing). */
  reason?: string;
  /** Generated layouts: the spec part (`vision.blocks`, `lm_head`, …) and the tensor's role (src/layouts/spec/types.ts). */
  part?: string;
  role?: string;
}

export interface UnexpectedTensor {
  /** File name. */
  name: string;
  dtype: string;
  /** Read only: the file tensor's own shape array (not copied for each of up to 100k entries). */
  shape: readonly number[];
  tower: TowerId;
}

export interface MismatchedTensor {
  /** Target name. */
  name: string;
  /** File tensors that provide it. */
  files: string[];
  expected: number[];
  found: number[];
  tower: TowerId;
  /** E.g. "stored transposed". */
  hint?: string;
}

export interface Finding {
  /** Stable code (README lists them). */
  code: string;
  severity: Severity;
  /** One plain sentence that names the consequence. */
  message: string;
  tower?: TowerId;
  /** Tensor names involved (capped at 100; `tensorCount` has the full number). */
  tensors?: string[];
  tensorCount?: number;
  /** Measured facts behind the finding, e.g. "24/24 LayerNorm weights are exactly 1". */
  evidence?: string[];
  file?: string;
}

export interface ValueScan {
  /** False when value checks were disabled (budget 0) or nothing was readable. */
  performed: boolean;
  budgetBytesPerFile: number;
  bytesRead: number;
  tensorsRead: number;
  /** Tensors only partly read (samples of large tensors). */
  tensorsSampled: number;
}

export interface Analysis {
  schemaVersion: 1;
  architecture: ArchitectureInfo;
  towers: TowerSummary[];
  target: TargetInfo | null;
  missing: MissingTensor[];
  unexpected: UnexpectedTensor[];
  mismatched: MismatchedTensor[];
  /** Analysis findings, followed by the reader's integrity problems; errors first. */
  findings: Finding[];
  values: ValueScan;
  /** transformers architecture check (config.json with a model_type that has a spec), or null. */
  transformers?: TransformersCheck | null;
  /** PEFT adapter check (adapter_config.json beside the file), or null. */
  peft?: PeftCheck | null;
  /** Set when no shard named by the index is on disk: the check is by names only. */
  indexOnly?: { shards: number; tensors: number } | null;
}
