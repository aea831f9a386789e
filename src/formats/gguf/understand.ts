import { plural } from '../../shared/text.js';
import { readdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { storageType, storedBytes, type Checkpoint, type TensorInfo } from '../../core/checkpoint.js';
import type { Severity } from '../../core/problems.js';
import { readGgufHeader, readStringArrayItems, type GgufArray, type GgufHeader, type GgufValue } from './header.js';
import { ggufFilesOf } from './file.js';
import { expandParts, LLAMA_STYLE_ARCHITECTURES, LLAMA_STYLE_PARTS } from './naming.js';
import { ggmlTypeByName } from './types.js';

/**
 * What a GGUF file is, from its metadata and tensors: architecture and hyper-parameters, tokenizer
 * facts, quantisation-aware parameter counts, the llama-style layout check, and for CLIP projector
 * files (mmproj) the vision tower, projector and the width check against a language model.
 * Pure apart from reading the headers of a language model named as target or found beside.
 */
export interface GgufFinding {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly tensors?: readonly string[];
}

export interface GgufTypeRow {
  readonly type: string;
  readonly tensors: number;
  readonly parameters: number;
  readonly bytes: number;
  readonly bitsPerWeight: number;
}

export interface GgufSummary {
  readonly version: number;
  readonly architecture: string | null;
  readonly name: string | null;
  readonly fileType: string | null;
  readonly alignment: number;
  readonly model: {
    readonly contextLength?: number;
    readonly embeddingLength?: number;
    readonly blockCount?: number;
    readonly feedForwardLength?: number;
    readonly headCount?: number | string;
    readonly headCountKv?: number | string;
    readonly ropeDimensionCount?: number;
    readonly expertCount?: number;
  };
  readonly tokenizer: null | {
    readonly model: string | null;
    readonly vocabularySize: number | null;
    readonly merges: number | null;
    readonly specialTokens: Readonly<Record<string, { id: number; text: string | null }>>;
    readonly tokenTypes: Readonly<Record<string, number>> | null;
    readonly chatTemplate: boolean;
  };
  /** Quantisation-aware: parameters and bytes per stored type, and bits per weight. */
  readonly parameters: { readonly total: number; readonly bytes: number; readonly bitsPerWeight: number; readonly byType: readonly GgufTypeRow[]; readonly notDecodable: number };
  readonly layout: null | { readonly scheme: 'llama-style'; readonly blocks: number; readonly tiedOutput: boolean; readonly checked: number; readonly missing: readonly string[]; readonly mismatched: readonly string[] };
  readonly clip: null | {
    readonly hasVisionEncoder: boolean;
    readonly hasTextEncoder: boolean;
    readonly projectorType: string | null;
    readonly imageSize?: number;
    readonly patchSize?: number;
    readonly visionWidth?: number;
    readonly visionBlocks?: number;
    readonly visionTensors: number;
    readonly projectorTensors: number;
    readonly projectorOutputWidth: number | null;
    readonly languageModel: { readonly path: string; readonly architecture: string | null; readonly embeddingLength: number | null } | null;
  };
  readonly findings: readonly GgufFinding[];
}

const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'ALL_F32', 1: 'MOSTLY_F16', 2: 'MOSTLY_Q4_0', 3: 'MOSTLY_Q4_1', 7: 'MOSTLY_Q8_0', 8: 'MOSTLY_Q5_0', 9: 'MOSTLY_Q5_1', 10: 'MOSTLY_Q2_K',
  11: 'MOSTLY_Q3_K_S', 12: 'MOSTLY_Q3_K_M', 13: 'MOSTLY_Q3_K_L', 14: 'MOSTLY_Q4_K_S', 15: 'MOSTLY_Q4_K_M', 16: 'MOSTLY_Q5_K_S', 17: 'MOSTLY_Q5_K_M',
  18: 'MOSTLY_Q6_K', 19: 'MOSTLY_IQ2_XXS', 20: 'MOSTLY_IQ2_XS', 21: 'MOSTLY_Q2_K_S', 22: 'MOSTLY_IQ3_XS', 23: 'MOSTLY_IQ3_XXS', 24: 'MOSTLY_IQ1_S',
  25: 'MOSTLY_IQ4_NL', 26: 'MOSTLY_IQ3_S', 27: 'MOSTLY_IQ3_M', 28: 'MOSTLY_IQ2_S', 29: 'MOSTLY_IQ2_M', 30: 'MOSTLY_IQ4_XS', 31: 'MOSTLY_IQ1_M',
  32: 'MOSTLY_BF16', 36: 'MOSTLY_TQ1_0', 37: 'MOSTLY_TQ2_0', 38: 'MOSTLY_MXFP4_MOE',
};

const TOKEN_TYPES: Readonly<Record<number, string>> = { 1: 'normal', 2: 'unknown', 3: 'control', 4: 'user-defined', 5: 'unused', 6: 'byte' };

export interface UnderstandOptions {
  /** A language model GGUF to check a CLIP projector against (`--target`); default: one found beside. */
  readonly languageModel?: string;
  /** Look for a language model beside an mmproj file (default true). */
  readonly searchBeside?: boolean;
}

export async function understandGguf(c: Checkpoint, opts: UnderstandOptions = {}): Promise<GgufSummary> {
  const files = ggufFilesOf(c);
  const h = files?.[0]?.header;
  const kv = (k: string): GgufValue | undefined => h?.kvByKey.get(k)?.value;
  const num = (k: string): number | undefined => {
    const v = kv(k);
    return typeof v === 'number' ? v : undefined;
  };
  const str = (k: string): string | null => {
    const v = kv(k);
    return typeof v === 'string' ? v : null;
  };
  const arch = str('general.architecture');
  const findings: GgufFinding[] = [];
  const a = arch ?? '';
  const perLayer = (k: string): number | string | undefined => {
    const v = kv(k);
    if (typeof v === 'number') return v;
    if (v && typeof v === 'object' && v.histogram) return v.histogram.size === 1 ? [...v.histogram.keys()][0]! : `per layer: ${[...v.histogram.keys()].join('/')}`;
    return undefined;
  };
  const model = compact({
    contextLength: num(`${a}.context_length`),
    embeddingLength: num(`${a}.embedding_length`),
    blockCount: num(`${a}.block_count`),
    feedForwardLength: typeof kv(`${a}.feed_forward_length`) === 'number' ? num(`${a}.feed_forward_length`) : undefined,
    headCount: perLayer(`${a}.attention.head_count`),
    headCountKv: perLayer(`${a}.attention.head_count_kv`),
    ropeDimensionCount: num(`${a}.rope.dimension_count`),
    expertCount: num(`${a}.expert_count`),
  });
  const ft = num('general.file_type');
  const tokenizer = h && files ? await tokenizerFacts(h, files[0]!.path) : null;
  const parameters = countParameters(c.tensors);
  if (parameters.notDecodable > 0) {
    const names = c.tensors.filter((t) => t.encoding && !t.encoding.decodable).map((t) => t.name);
    const types = [...new Set(c.tensors.filter((t) => t.encoding && !t.encoding.decodable).map(storageType))];
    findings.push({ code: 'gguf-values-not-decodable', severity: 'info', message: `${plural(names.length, 'tensor')} of type ${types.join(', ')}: their layout and size are known but their values are not decodable yet (no statistics, value preview or value diff for them).`, tensors: names.slice(0, 100) });
  }

  let layout: GgufSummary['layout'] = null;
  if (arch && LLAMA_STYLE_ARCHITECTURES.includes(arch)) layout = checkLlamaLayout(c.tensors, c.unreadable.map((u) => u.name), model, tokenizer?.vocabularySize ?? undefined, findings);
  else if (arch && arch !== 'clip') findings.push({ code: 'gguf-layout-not-checked', severity: 'info', message: `Not checked: the expected tensor layout of architecture ${JSON.stringify(arch)} (only llama-style architectures are known: ${LLAMA_STYLE_ARCHITECTURES.join(', ')}).` });
  if (!arch) findings.push({ code: 'gguf-no-architecture', severity: 'warning', message: 'The file has no general.architecture key; llama.cpp cannot load it as a model.' });

  if (tokenizer?.vocabularySize != null) {
    const embd = c.tensors.find((t) => t.name === 'token_embd.weight');
    if (embd && embd.shape.length === 2 && embd.shape[0] !== tokenizer.vocabularySize) {
      findings.push({ code: 'gguf-vocab-mismatch', severity: 'warning', message: `The tokenizer has ${tokenizer.vocabularySize} tokens but token_embd.weight has ${embd.shape[0]} rows.`, tensors: ['token_embd.weight'] });
    }
  }

  const clip = arch === 'clip' && h ? await clipFacts(c, h, opts, findings) : null;
  return {
    version: h?.version ?? 0,
    architecture: arch,
    name: str('general.name'),
    fileType: ft === undefined ? null : (FILE_TYPES[ft] ?? `type ${ft}`),
    alignment: h?.alignment ?? 32,
    model,
    tokenizer,
    parameters,
    layout,
    clip,
    findings,
  };
}

function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

async function tokenizerFacts(h: GgufHeader, path: string): Promise<GgufSummary['tokenizer']> {
  const get = (k: string) => h.kvByKey.get(k)?.value;
  const model = get('tokenizer.ggml.model');
  const tokens = get('tokenizer.ggml.tokens');
  if (model === undefined && tokens === undefined) return null;
  const arr = (v: GgufValue | undefined): GgufArray | undefined => (v && typeof v === 'object' ? v : undefined);
  const tok = arr(tokens);
  const specialTokens: Record<string, { id: number; text: string | null }> = {};
  const ids: [string, number][] = [];
  for (const k of ['bos', 'eos', 'unknown', 'padding', 'separator', 'eot']) {
    const id = get(`tokenizer.ggml.${k}_token_id`);
    if (typeof id === 'number') ids.push([k, id]);
  }
  // Special tokens past the retained sample (llama 3's bos is 128000): one bounded pass over the array.
  const far = tok?.offset !== undefined ? await readStringArrayItems(path, tok.offset, tok.length, ids.map(([, id]) => id).filter((id) => id >= tok.sample.length)) : new Map<number, string>();
  for (const [k, id] of ids) {
    const text = tok && id < tok.sample.length && typeof tok.sample[id] === 'string' ? (tok.sample[id] as string) : (far.get(id) ?? null);
    specialTokens[k] = { id, text };
  }
  const types = arr(get('tokenizer.ggml.token_type'));
  let tokenTypes: Record<string, number> | null = null;
  if (types?.histogram) {
    tokenTypes = {};
    for (const [v, n] of types.histogram) tokenTypes[TOKEN_TYPES[v] ?? `type ${v}`] = n;
  }
  return {
    model: typeof model === 'string' ? model : null,
    vocabularySize: tok ? tok.length : null,
    merges: arr(get('tokenizer.ggml.merges'))?.length ?? null,
    specialTokens,
    tokenTypes,
    chatTemplate: typeof get('tokenizer.chat_template') === 'string',
  };
}

/** Parameters, bytes and bits per weight per stored type (Q4_K: 4.5 bits). */
export function countParameters(tensors: readonly TensorInfo[]): GgufSummary['parameters'] {
  const rows = new Map<string, { tensors: number; parameters: number; bytes: number }>();
  let total = 0;
  let bytes = 0;
  let notDecodable = 0;
  for (const t of tensors) {
    const type = storageType(t);
    const r = rows.get(type) ?? rows.set(type, { tensors: 0, parameters: 0, bytes: 0 }).get(type)!;
    r.tensors++;
    r.parameters += t.elementCount;
    r.bytes += storedBytes(t);
    total += t.elementCount;
    bytes += storedBytes(t);
    if (t.encoding && !t.encoding.decodable) notDecodable++;
  }
  const byType = [...rows].map(([type, r]) => {
    const g = ggmlTypeByName(type);
    return { type, ...r, bitsPerWeight: g ? (g.blockBytes * 8) / g.blockElements : r.parameters ? (r.bytes * 8) / r.parameters : 0 };
  });
  byType.sort((x, y) => y.parameters - x.parameters || (x.type < y.type ? -1 : 1));
  return { total, bytes, bitsPerWeight: total ? (bytes * 8) / total : 0, byType, notDecodable };
}

/**
 * The llama-style layout check: expected tensors from the naming scheme (naming.ts) and the config,
 * against the file's tensors (unreadable ones count as present: their own problem says why).
 */
export function checkLlamaLayout(tensors: readonly TensorInfo[], unreadable: readonly string[], model: GgufSummary['model'], vocab: number | undefined, findings: GgufFinding[]): NonNullable<GgufSummary['layout']> {
  const byName = new Map<string, TensorInfo | undefined>(tensors.map((t) => [t.name, t]));
  for (const u of unreadable) if (!byName.has(u)) byName.set(u, undefined);
  const D = model.embeddingLength;
  const heads = typeof model.headCount === 'number' ? model.headCount : undefined;
  const kvHeads = typeof model.headCountKv === 'number' ? model.headCountKv : heads;
  const embd = tensors.find((t) => t.name === 'token_embd.weight');
  const V = vocab ?? (embd?.shape.length === 2 ? embd.shape[0] : undefined);
  const cfg = { D, F: model.feedForwardLength, V, L: model.blockCount, KV: D !== undefined && heads && kvHeads ? (D / heads) * kvHeads : undefined };
  const expected = expandParts(LLAMA_STYLE_PARTS, cfg);
  const missing: string[] = [];
  const mismatched: string[] = [];
  let tiedOutput = false;
  for (const e of expected) {
    if (!byName.has(e.name)) {
      if (e.role === 'tied') tiedOutput = true;
      else if (e.role === 'weight') missing.push(e.name);
      continue;
    }
    const t = byName.get(e.name);
    if (t && e.shape && (t.shape.length !== e.shape.length || t.shape.some((d, i) => d !== e.shape![i]))) mismatched.push(e.name);
  }
  if (model.blockCount === undefined) findings.push({ code: 'gguf-layout-not-checked', severity: 'info', message: 'Not checked: the block layout (no block_count key).' });
  if (missing.length) findings.push({ code: 'gguf-lm-tensor-missing', severity: 'error', message: `${plural(missing.length, 'tensor')} a llama-style model of this configuration needs ${missing.length === 1 ? 'is' : 'are'} missing; llama.cpp refuses to load it.`, tensors: missing.slice(0, 100) });
  if (mismatched.length) findings.push({ code: 'gguf-lm-shape-mismatch', severity: 'error', message: `${plural(mismatched.length, 'tensor')} ${mismatched.length === 1 ? 'does' : 'do'} not have the shape the metadata implies (embedding ${D}, feed-forward ${model.feedForwardLength}, heads ${model.headCount}/${model.headCountKv}).`, tensors: mismatched.slice(0, 100) });
  if (tiedOutput) findings.push({ code: 'gguf-output-tied', severity: 'info', message: 'No output.weight: the output layer is tied to token_embd.weight (llama.cpp uses the embedding matrix).' });
  return { scheme: 'llama-style', blocks: model.blockCount ?? 0, tiedOutput, checked: expected.length, missing, mismatched };
}

async function clipFacts(c: Checkpoint, h: GgufHeader, opts: UnderstandOptions, findings: GgufFinding[]): Promise<NonNullable<GgufSummary['clip']>> {
  const get = (k: string) => h.kvByKey.get(k)?.value;
  const bool = (k: string) => get(k) === true;
  const num = (k: string) => (typeof get(k) === 'number' ? (get(k) as number) : undefined);
  const vision = c.tensors.filter((t) => t.name.startsWith('v.'));
  const projector = c.tensors.filter((t) => t.name.startsWith('mm.') || t.name.startsWith('mm_'));
  const text = c.tensors.filter((t) => t.name.startsWith('t.'));
  const hasVision = bool('clip.has_vision_encoder') || vision.length > 0;
  const hasText = bool('clip.has_text_encoder') || text.length > 0;
  const projectorType = typeof get('clip.projector_type') === 'string' ? (get('clip.projector_type') as string) : bool('clip.has_llava_projector') ? 'mlp' : null;
  if (hasVision && vision.length === 0) findings.push({ code: 'gguf-mmproj-no-vision-tower', severity: 'error', message: 'The file says it has a vision encoder but holds no v.* tensors: the image tower is missing.' });
  if (!hasVision) findings.push({ code: 'gguf-mmproj-no-vision-tower', severity: 'error', message: 'No vision encoder (clip.has_vision_encoder is false and there are no v.* tensors): this projector file cannot encode images.' });
  if (projector.length === 0 && !hasText) findings.push({ code: 'gguf-mmproj-no-projector', severity: 'error', message: `No projector tensors (mm.*)${projectorType ? ` although clip.projector_type is ${JSON.stringify(projectorType)}` : ''}: image features cannot be mapped into the language model; llama.cpp's mtmd refuses the file.` });
  if (hasText) findings.push({ code: 'gguf-mmproj-text-tower', severity: 'info', message: `The file also holds a CLIP text tower (${text.length} t.* tensors); llama.cpp's multimodal path uses only the vision tower and projector.` });
  const outWidth = projectorOutputWidth(projector) ?? num('clip.vision.projection_dim') ?? null;
  const lm = await findLanguageModel(c.path, opts);
  if (lm && 'path' in lm) {
    if (lm.embeddingLength !== null && outWidth !== null && lm.embeddingLength !== outWidth) {
      findings.push({ code: 'gguf-mmproj-width-mismatch', severity: 'error', message: `The projector outputs width ${outWidth} but the language model ${basename(lm.path)} has embedding length ${lm.embeddingLength}: the pair cannot run together (wrong mmproj for this model).` });
    } else if (lm.embeddingLength !== null && outWidth !== null) {
      findings.push({ code: 'gguf-mmproj-width-ok', severity: 'info', message: `The projector's output width ${outWidth} matches ${basename(lm.path)}'s embedding length.` });
    }
  } else {
    findings.push({ code: 'gguf-mmproj-no-language-model', severity: 'info', message: `Not checked: the projector width against a language model (${lm?.why ?? 'none given with --target and none found beside this file'}).` });
  }
  return compact({
    hasVisionEncoder: hasVision,
    hasTextEncoder: hasText,
    projectorType,
    imageSize: num('clip.vision.image_size'),
    patchSize: num('clip.vision.patch_size'),
    visionWidth: num('clip.vision.embedding_length'),
    visionBlocks: num('clip.vision.block_count'),
    visionTensors: vision.length,
    projectorTensors: projector.length,
    projectorOutputWidth: outWidth,
    languageModel: lm && 'path' in lm ? lm : null,
  });
}

/** Output width of the projector: rows of its last numbered linear layer (mm.N.weight), or of a known final layer. */
function projectorOutputWidth(projector: readonly TensorInfo[]): number | undefined {
  let best: { n: number; t: TensorInfo } | undefined;
  for (const t of projector) {
    const m = /^mm\.(\d+)\.weight$/.exec(t.name);
    if (m && t.shape.length === 2 && (!best || Number(m[1]) > best.n)) best = { n: Number(m[1]), t };
  }
  if (best) return best.t.shape[0];
  for (const n of ['mm.model.fc.weight', 'mm.input_projection.weight', 'mm.model.mlp.3.weight', 'mm.2.weight']) {
    const t = projector.find((x) => x.name === n);
    if (t && t.shape.length === 2) return n === 'mm.input_projection.weight' ? t.shape[1] : t.shape[0];
  }
  return undefined;
}

type LmFound = { path: string; architecture: string | null; embeddingLength: number | null } | { why: string } | null;

async function lmFacts(path: string): Promise<LmFound> {
  const h = await readGgufHeader(path, basename(path));
  if (!h.ok) return { why: `${basename(path)} is unreadable [${h.error.code}]` };
  const arch = h.value.kvByKey.get('general.architecture')?.value;
  const a = typeof arch === 'string' ? arch : null;
  const w = a ? h.value.kvByKey.get(`${a}.embedding_length`)?.value : undefined;
  return { path, architecture: a, embeddingLength: typeof w === 'number' ? w : null };
}

async function findLanguageModel(mmproj: string, opts: UnderstandOptions): Promise<LmFound> {
  if (opts.languageModel) return lmFacts(resolve(opts.languageModel));
  if (opts.searchBeside === false) return null;
  let names: string[];
  try {
    names = (await readdir(dirname(mmproj))).filter((n) => /\.gguf$/i.test(n) && join(dirname(mmproj), n) !== resolve(mmproj) && !/mmproj/i.test(n));
  } catch {
    return null;
  }
  const found: Exclude<LmFound, null | { why: string }>[] = [];
  for (const n of names.sort().slice(0, 32)) {
    const f = await lmFacts(join(dirname(mmproj), n));
    if (f && 'path' in f && f.architecture && f.architecture !== 'clip' && f.embeddingLength !== null) found.push(f);
  }
  const widths = new Set(found.map((f) => f.embeddingLength));
  if (found.length === 0) return null;
  if (widths.size > 1) return { why: `${found.length} language models beside it with different widths; name one with --target` };
  return found[0]!;
}
