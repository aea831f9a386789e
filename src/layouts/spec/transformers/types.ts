import type { NamingScheme } from '../naming.js';
import type { Dim, PartSpec, TensorTemplate, TowerId } from '../types.js';

/**
 * A transformers architecture as data for the one spec mechanism (../expand.ts): the base model
 * (`XModel`) as parts in its own naming, and per model class the parts the class adds (task heads,
 * the LM head) and where it puts the base model (`base_model_prefix`). `spec.ts` turns one entry +
 * one class into an `ArchitectureSpec`. Ground truth: test/fixtures/architectures/ground-truth-*.json
 * (each architecture built from a tiny config by the real library).
 */
export type HfCategory = 'decoder' | 'encoder' | 'vision' | 'seq2seq' | 'audio' | 'vlm' | 'vision-tower';

export interface HfHead {
  /** Where the base model's tensors sit in this class; default `basePrefix + '.'`; '' = the class is the base model. */
  readonly backbone?: string;
  /** Backbone part ids this class does not build (BertForMaskedLM has no pooler). */
  readonly without?: readonly string[];
  /** Parts the class adds, with full names (no backbone prefix). */
  readonly parts: readonly PartSpec[];
  /** A task class: its head parts are new when fine-tuning from a base checkpoint. */
  readonly task?: boolean;
  /** The same class in other transformers releases (Qwen2ForQuestionAnswering kept the base model under `transformer.` in 4.51, `model.` in 4.46). */
  readonly alt?: readonly Omit<HfHead, 'alt'>[];
}

/** A model embedded in another (a VLM's language model or vision tower), expanded from its own sub-config. */
export interface HfSubModel {
  /** Config key of the sub-config (`text_config`, `vision_config`). */
  readonly configKey: string;
  /** model_type when the sub-config does not say. */
  readonly defaultType: string;
  /** Name prefix of the sub-model's tensors. */
  readonly prefix: string;
  /** Which class of the sub-entry is embedded (`ForCausalLM`, `Model`). */
  readonly as: string;
  readonly tower: TowerId;
  /** For messages: "the language model", "the vision tower". */
  readonly label: string;
}

export interface HfArchitecture {
  /** Stable id (the main model_type). */
  readonly id: string;
  readonly modelTypes: readonly string[];
  /** Class names are `classPrefix + suffix` (`Llama` + `ForCausalLM`). */
  readonly classPrefix: string;
  readonly category: HfCategory;
  /** transformers' `base_model_prefix`. */
  readonly basePrefix: string;
  /** Config class defaults of the fields the parts read (config.json files omit many). */
  readonly defaults: Readonly<Record<string, number | boolean | string | readonly number[] | null>>;
  readonly vars?: Readonly<Record<string, Dim>>;
  readonly templates?: Readonly<Record<string, readonly TensorTemplate[]>>;
  /** The base model's parts, names relative to it. */
  readonly backbone: readonly PartSpec[];
  /** Keyed by class suffix (`ForCausalLM`, `Model`, `ForSequenceClassification`). */
  readonly heads: Readonly<Record<string, HfHead>>;
  /** Class suffix assumed when config.json has no `architectures`. */
  readonly defaultHead: string;
  readonly subModels?: readonly HfSubModel[];
  /**
   * Other releases' names for the same tensors, as prefix renames from the spec's naming
   * (transformers ≥ 4.52 saves VLMs as `model.language_model.*` where 4.4x saved `language_model.model.*`).
   */
  readonly namings?: readonly NamingScheme[];
  /** Tensor name suffixes of buffers older releases saved and newer ones ignore on load. */
  readonly legacyBuffers?: readonly string[];
}
