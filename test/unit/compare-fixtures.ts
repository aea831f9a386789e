/**
 * Tiny CLIP checkpoints for the comparison tests, written independently of src/layouts (from
 * the schema reference §1 and §9) so the tests check the mapping instead of restating it.
 * One set of random weights in OpenAI/open_clip layout, converted to timm and transformers.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../src/core/writeSafetensors.js';
import { xorshift32 } from '../../src/core/random.js';

export const D = 8; // vision width
export const T = 5; // (8/4)^2 + 1 tokens
export const E = 6; // joint embedding
export const DT = 8; // text width
export const LAYERS = 2;
const M = 4 * D;
const MT = 4 * DT;

export interface Tensor {
  readonly shape: number[];
  readonly values: Float32Array;
}
export type StateDict = Map<string, Tensor>;

function rng(seed: number): () => number {
  const next = xorshift32(seed);
  return () => next() - 0.5;
}

function rand(shape: number[], r: () => number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = r() * 0.2;
  return { shape, values: v };
}

const BLOCK: [string, (d: number, m: number) => number[]][] = [
  ['ln_1.weight', (d) => [d]],
  ['ln_1.bias', (d) => [d]],
  ['attn.in_proj_weight', (d) => [3 * d, d]],
  ['attn.in_proj_bias', (d) => [3 * d]],
  ['attn.out_proj.weight', (d) => [d, d]],
  ['attn.out_proj.bias', (d) => [d]],
  ['ln_2.weight', (d) => [d]],
  ['ln_2.bias', (d) => [d]],
  ['mlp.c_fc.weight', (d, m) => [m, d]],
  ['mlp.c_fc.bias', (_d, m) => [m]],
  ['mlp.c_proj.weight', (d, m) => [d, m]],
  ['mlp.c_proj.bias', (d) => [d]],
];

/** Full OpenAI-layout CLIP (ViT), real key order: text side, logit_scale, then visual. */
export function openClipDict(seed = 1): StateDict {
  const r = rng(seed);
  const sd: StateDict = new Map();
  const add = (name: string, shape: number[]) => sd.set(name, rand(shape, r));
  add('positional_embedding', [7, DT]);
  add('text_projection', [DT, E]);
  sd.set('logit_scale', { shape: [], values: Float32Array.of(4.6052) });
  add('visual.class_embedding', [D]);
  add('visual.positional_embedding', [T, D]);
  add('visual.proj', [D, E]);
  add('visual.conv1.weight', [D, 3, 4, 4]);
  add('visual.ln_pre.weight', [D]);
  add('visual.ln_pre.bias', [D]);
  for (let n = 0; n < LAYERS; n++) for (const [s, f] of BLOCK) add(`visual.transformer.resblocks.${n}.${s}`, f(D, M));
  add('visual.ln_post.weight', [D]);
  add('visual.ln_post.bias', [D]);
  for (let n = 0; n < LAYERS; n++) for (const [s, f] of BLOCK) add(`transformer.resblocks.${n}.${s}`, f(DT, MT));
  add('token_embedding.weight', [20, DT]);
  add('ln_final.weight', [DT]);
  add('ln_final.bias', [DT]);
  return sd;
}

export function transpose2d(t: Tensor): Tensor {
  const [r, c] = t.shape as [number, number];
  const out = new Float32Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.values[i * c + j]!;
  return { shape: [c, r], values: out };
}

function get(sd: StateDict, name: string): Tensor {
  const t = sd.get(name);
  if (!t) throw new Error(`fixture lacks ${name}`);
  return t;
}

const TIMM_BLOCK: Record<string, string> = {
  'ln_1.weight': 'norm1.weight',
  'ln_1.bias': 'norm1.bias',
  'attn.in_proj_weight': 'attn.qkv.weight',
  'attn.in_proj_bias': 'attn.qkv.bias',
  'attn.out_proj.weight': 'attn.proj.weight',
  'attn.out_proj.bias': 'attn.proj.bias',
  'ln_2.weight': 'norm2.weight',
  'ln_2.bias': 'norm2.bias',
  'mlp.c_fc.weight': 'mlp.fc1.weight',
  'mlp.c_fc.bias': 'mlp.fc1.bias',
  'mlp.c_proj.weight': 'mlp.fc2.weight',
  'mlp.c_proj.bias': 'mlp.fc2.bias',
};

/** timm `vit_*_clip_*` conversion: vision tower only, projection as head.weight (transposed) + zero head.bias. */
export function toTimm(sd: StateDict): StateDict {
  const out: StateDict = new Map();
  const cls = get(sd, 'visual.class_embedding');
  out.set('cls_token', { shape: [1, 1, D], values: cls.values });
  out.set('pos_embed', { shape: [1, T, D], values: get(sd, 'visual.positional_embedding').values });
  out.set('patch_embed.proj.weight', get(sd, 'visual.conv1.weight'));
  out.set('norm_pre.weight', get(sd, 'visual.ln_pre.weight'));
  out.set('norm_pre.bias', get(sd, 'visual.ln_pre.bias'));
  for (let n = 0; n < LAYERS; n++) for (const [s] of BLOCK) out.set(`blocks.${n}.${TIMM_BLOCK[s]}`, get(sd, `visual.transformer.resblocks.${n}.${s}`));
  out.set('norm.weight', get(sd, 'visual.ln_post.weight'));
  out.set('norm.bias', get(sd, 'visual.ln_post.bias'));
  out.set('head.weight', transpose2d(get(sd, 'visual.proj')));
  out.set('head.bias', { shape: [E], values: new Float32Array(E) });
  return out;
}

const HF_BLOCK: Record<string, string> = {
  'ln_1.weight': 'layer_norm1.weight',
  'ln_1.bias': 'layer_norm1.bias',
  'attn.out_proj.weight': 'self_attn.out_proj.weight',
  'attn.out_proj.bias': 'self_attn.out_proj.bias',
  'ln_2.weight': 'layer_norm2.weight',
  'ln_2.bias': 'layer_norm2.bias',
  'mlp.c_fc.weight': 'mlp.fc1.weight',
  'mlp.c_fc.bias': 'mlp.fc1.bias',
  'mlp.c_proj.weight': 'mlp.fc2.weight',
  'mlp.c_proj.bias': 'mlp.fc2.bias',
};

function hfBlock(out: StateDict, sd: StateDict, from: string, to: string, d: number): void {
  const w = get(sd, `${from}attn.in_proj_weight`);
  const b = get(sd, `${from}attn.in_proj_bias`);
  ['q', 'k', 'v'].forEach((p, i) => {
    out.set(`${to}self_attn.${p}_proj.weight`, { shape: [d, d], values: w.values.slice(i * d * d, (i + 1) * d * d) });
    out.set(`${to}self_attn.${p}_proj.bias`, { shape: [d], values: b.values.slice(i * d, (i + 1) * d) });
  });
  for (const [s, h] of Object.entries(HF_BLOCK)) out.set(`${to}${h}`, get(sd, `${from}${s}`));
}

/** transformers CLIPModel conversion: q/k/v split, projections as Linear weights (transposed). */
export function toHf(sd: StateDict): StateDict {
  const out: StateDict = new Map();
  out.set('text_model.embeddings.token_embedding.weight', get(sd, 'token_embedding.weight'));
  out.set('text_model.embeddings.position_embedding.weight', get(sd, 'positional_embedding'));
  for (let n = 0; n < LAYERS; n++) hfBlock(out, sd, `transformer.resblocks.${n}.`, `text_model.encoder.layers.${n}.`, DT);
  out.set('text_model.final_layer_norm.weight', get(sd, 'ln_final.weight'));
  out.set('text_model.final_layer_norm.bias', get(sd, 'ln_final.bias'));
  out.set('vision_model.embeddings.class_embedding', get(sd, 'visual.class_embedding'));
  out.set('vision_model.embeddings.patch_embedding.weight', get(sd, 'visual.conv1.weight'));
  out.set('vision_model.embeddings.position_embedding.weight', get(sd, 'visual.positional_embedding'));
  out.set('vision_model.pre_layrnorm.weight', get(sd, 'visual.ln_pre.weight'));
  out.set('vision_model.pre_layrnorm.bias', get(sd, 'visual.ln_pre.bias'));
  for (let n = 0; n < LAYERS; n++) hfBlock(out, sd, `visual.transformer.resblocks.${n}.`, `vision_model.encoder.layers.${n}.`, D);
  out.set('vision_model.post_layernorm.weight', get(sd, 'visual.ln_post.weight'));
  out.set('vision_model.post_layernorm.bias', get(sd, 'visual.ln_post.bias'));
  out.set('visual_projection.weight', transpose2d(get(sd, 'visual.proj')));
  out.set('text_projection.weight', transpose2d(get(sd, 'text_projection')));
  out.set('logit_scale', get(sd, 'logit_scale'));
  return out;
}

/** float32 → bfloat16 bits, round to nearest even (as torch does). */
export function bf16Bits(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0]!;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

export function toWrite(sd: StateDict, dtype: 'F32' | 'BF16' = 'F32'): TensorToWrite[] {
  return [...sd].map(([name, t]) => {
    if (dtype === 'F32') return { name, dtype, shape: t.shape, data: new Uint8Array(t.values.buffer.slice(t.values.byteOffset, t.values.byteOffset + t.values.byteLength)) };
    const bits = new Uint16Array(t.values.length);
    for (let i = 0; i < bits.length; i++) bits[i] = bf16Bits(t.values[i]!);
    return { name, dtype, shape: t.shape, data: new Uint8Array(bits.buffer) };
  });
}

/** A scratch directory with helpers to write fixtures; call cleanup() in an after hook. */
export async function scratch(): Promise<{ dir: string; write: (file: string, sd: StateDict, dtype?: 'F32' | 'BF16') => Promise<string>; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ckl-compare-'));
  return {
    dir,
    write: async (file, sd, dtype = 'F32') => {
      const p = join(dir, file);
      await writeSafetensors(p, toWrite(sd, dtype), { format: 'pt' });
      return p;
    },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Writes `sd` as two shards plus a `model.safetensors.index.json`; returns the index path. */
export async function writeSharded(dir: string, sd: StateDict): Promise<string> {
  const entries = [...sd];
  const half = Math.ceil(entries.length / 2);
  const shards = [entries.slice(0, half), entries.slice(half)];
  const weightMap: Record<string, string> = {};
  for (const [i, part] of shards.entries()) {
    const file = `model-0000${i + 1}-of-00002.safetensors`;
    await writeSafetensors(join(dir, file), toWrite(new Map(part)), { format: 'pt' });
    for (const [name] of part) weightMap[name] = file;
  }
  const index = join(dir, 'model.safetensors.index.json');
  await writeFile(index, JSON.stringify({ metadata: {}, weight_map: weightMap }));
  return index;
}

/** A copy of a state dict with one changed value. */
export function perturb(sd: StateDict, name: string, index: number, delta: number): StateDict {
  const out = new Map(sd);
  const t = get(sd, name);
  const v = t.values.slice();
  v[index] = v[index]! + delta;
  out.set(name, { shape: t.shape, values: v });
  return out;
}

export function without(sd: StateDict, keep: (name: string) => boolean): StateDict {
  return new Map([...sd].filter(([n]) => keep(n)));
}
