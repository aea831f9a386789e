import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { normalizeNameList, isIgnorableName, stripWrapperPrefixes, type FamilyId } from '../layouts/canonical.js';
import { HF_SIGLIP_SECTIONS, MAP_IN_PROJ, OPENCLIP_SIGLIP_ROWS } from '../layouts/siglipNaming.js';
import { OPENCLIP_NAMES, openclipFacts, openclipTrunk, timmTower, type OpenClipFacts, type TimmTrunkFacts } from '../layouts/spec/clipTables.js';
import { expandOrThrow } from '../layouts/spec/expand.js';
import { blockTemplate, compileScheme, type CompiledRow } from '../layouts/spec/naming.js';
import { OPENCLIP_SPEC, openclipSpecConfig, trunkFields } from '../layouts/spec/openclip.js';
import type { CanonicalSource } from './canonicalSource.js';
import type { CanonicalWeight } from './canonicalWeights.js';
import type { ConfigHints, ConfigResult, ProbeModelConfig, SiglipVisionShape, TextShape } from './modelConfig.js';

/**
 * SigLIP for the probe: transformers `SiglipModel` and open_clip `ViT-*-SigLIP*` (timm ViT trunk
 * with a MAP attention-pool head, open_clip TextTransformer without causal mask, last-token
 * pooling, a Linear text projection with bias, `logit_scale` and `logit_bias`).
 *
 * Names: open_clip's own as OPENCLIP_SPEC generates them, the MAP head's q/kv packed into one
 * `in_proj` (src/layouts/siglipNaming.ts); transformers files are renamed onto them through the
 * rows there. The expected tensors are OPENCLIP_SPEC expanded for the model's shape: the spec is
 * the one description of what a SigLIP holds.
 */

export type SiglipSourceResult = { ok: true; source: CanonicalSource } | { ok: false; code: string; message: string };

const HF_TABLE = compileScheme({ id: 'hf-siglip-probe', sections: HF_SIGLIP_SECTIONS })!;
const OC_ROWS = new Map(OPENCLIP_SIGLIP_ROWS.map((r) => [r.local, r]));

/**
 * Does this file hold a SigLIP the probe reads (or a timm-trunk tower it must refuse, naming the
 * trunk)? transformers SigLIP, every open_clip timm-trunk model, and timm's own towers with a MAP head.
 */
export function isSiglipFamily(family: FamilyId, ckpt?: Checkpoint): boolean {
  if (family === 'hf-siglip' || family === 'openclip-timm') return true;
  if (family !== 'timm-vit' || ckpt === undefined) return false;
  // timm's SigLIP towers: a MAP head, or (the `_gap` variants, refused with a reason) no class token.
  const names = new Set(ckpt.tensors.map((t) => stripWrapperPrefixes(t.name)));
  return names.has('attn_pool.latent') || (names.has('pos_embed') && !names.has('cls_token'));
}

/**
 * The checkpoint's tensors under the probe's SigLIP names. open_clip files with a timm trunk that
 * is not a ViT with a MAP head (ConvNeXt, EVA, a class-token ViT …) or a transformers text tower
 * are `probe-unsupported-architecture`, naming the trunk (`trunkName` from open_clip_config.json).
 */
export function siglipFromCheckpoint(ckpt: Checkpoint, family: FamilyId, trunkName?: string): SiglipSourceResult {
  const { names } = normalizeNameList(ckpt.tensors);
  const out = new Map<string, CanonicalWeight>();
  const unmapped: string[] = [];
  const parts = new Map<string, { row: { part?: number; parts?: number }; t: TensorInfo }[]>();
  ckpt.tensors.forEach((t, i) => {
    let name = names[i]!;
    if (isIgnorableName(name)) return;
    let canonical: string;
    let row: CompiledRow | { transform: 'identity' | 'concat0' | 'reshape' | 'transpose'; part?: number; parts?: number } | undefined;
    if (family === 'hf-siglip') {
      const { template, n } = blockTemplate(name);
      const r = (n !== undefined ? HF_TABLE.byLocal.get(template) : undefined) ?? HF_TABLE.byLocal.get(name);
      if (!r) return void unmapped.push(t.name);
      canonical = n !== undefined && r.canonicalT.includes('{N}') ? r.canonicalT.replace('{N}', String(n)) : r.canonicalT;
      row = r;
    } else {
      // timm's own SigLIP tower (`vit_*_siglip_*` saved by timm) is open_clip's trunk without the prefix.
      if (family === 'timm-vit') name = `visual.trunk.${name}`;
      const r = OC_ROWS.get(name);
      canonical = r ? r.canonical : name;
      row = r ?? { transform: 'identity' };
    }
    if (row.transform === 'concat0') {
      const list = parts.get(canonical) ?? [];
      list.push({ row, t });
      parts.set(canonical, list);
      return;
    }
    if (out.has(canonical)) return void unmapped.push(t.name);
    out.set(canonical, { name: canonical, shape: t.shape, sources: [t], transform: row.transform });
  });
  // transformers Siglip2: the patch embedding is a Linear over (row, column, channel)-flattened patches.
  const pe = out.get('visual.trunk.patch_embed.proj.weight');
  if (family === 'hf-siglip' && pe && pe.shape.length === 2) {
    const p = Math.round(Math.sqrt(pe.shape[1]! / 3));
    if (3 * p * p !== pe.shape[1]) return { ok: false, code: 'probe-unsupported-architecture', message: `the Siglip2 patch embedding takes ${pe.shape[1]} inputs per patch, not 3·p·p (RGB patches)` };
    out.set(pe.name, { ...pe, shape: [pe.shape[0]!, 3, p, p], transform: 'patch-hwc' });
  }
  const partial: string[] = [];
  for (const [canonical, list] of parts) {
    const n = list[0]!.row.parts ?? 3;
    const byPart: (TensorInfo | undefined)[] = new Array(n).fill(undefined);
    for (const { row, t } of list) {
      if (byPart[row.part!] === undefined) byPart[row.part!] = t;
      else unmapped.push(t.name);
    }
    const present = byPart.filter((t): t is TensorInfo => t !== undefined);
    const rest = present[0]!.shape.slice(1);
    if (present.length < n || !present.every((t) => t.shape.length === rest.length + 1 && t.shape.slice(1).every((d, k) => d === rest[k]))) {
      partial.push(canonical);
      continue;
    }
    out.set(canonical, { name: canonical, shape: [present.reduce((a, t) => a + t.shape[0]!, 0), ...rest], sources: present, transform: 'concat0' });
  }
  if (family === 'openclip-timm' || family === 'timm-vit') {
    const refusal = unsupportedOpenclipTower(out, trunkName);
    if (refusal) return { ok: false, code: 'probe-unsupported-architecture', message: refusal };
  }
  // Anything outside the two towers and the two scalars is not part of the forward pass.
  for (const k of [...out.keys()]) {
    // (A timm classifier head on the trunk is not part of the zero-shot forward.)
    if ((k.startsWith('visual.trunk.') && !k.startsWith('visual.trunk.head.')) || k.startsWith('text.') || k === 'logit_scale' || k === 'logit_bias') continue;
    unmapped.push(...out.get(k)!.sources.map((s) => s.name));
    out.delete(k);
  }
  return { ok: true, source: { family, familyId: family, tensors: out, unmapped, partial } };
}

/** The reason an open_clip timm-trunk file is not a SigLIP the probe builds, or undefined. */
function unsupportedOpenclipTower(t: ReadonlyMap<string, unknown>, trunkName?: string): string | undefined {
  const keys = [...t.keys()];
  const trunk = trunkName ? `timm trunk ${JSON.stringify(trunkName).slice(0, 80)}` : describeTrunk(keys);
  const hasTrunk = keys.some((k) => k.startsWith('visual.trunk.'));
  if (hasTrunk && !t.has('visual.trunk.blocks.0.attn.qkv.weight')) return `the image tower is a ${trunk}; the probe builds ViT trunks with a MAP head (SigLIP), OpenAI ViT and ModifiedResNet towers only`;
  if (hasTrunk && !t.has('visual.trunk.attn_pool.latent')) return `the image tower is a ${trunk} without a MAP attention-pool head (attn_pool.*); the probe builds the SigLIP form (MAP head, no class token) of timm ViT trunks only`;
  if (keys.some((k) => k.startsWith('visual.trunk.cls_token') || k.startsWith('visual.trunk.reg_token') || k.startsWith('visual.trunk.norm_pre') || k.startsWith('visual.head.'))) {
    return `the image tower is a ${trunk} with a class / register token, a pre-norm or an extra head; the probe builds the SigLIP form (patch tokens → blocks → norm → MAP head) only`;
  }
  if (keys.some((k) => k.startsWith('text.transformer.') && !k.startsWith('text.transformer.resblocks.'))) return 'the text tower is a transformers model (text.transformer.*); the probe builds open_clip TextTransformer text towers only';
  return undefined;
}

/** A trunk named by its tensor names when no config says which it is. */
function describeTrunk(keys: readonly string[]): string {
  const has = (p: string) => keys.some((k) => k.startsWith(`visual.trunk.${p}`));
  if (has('stages.') && has('stem.')) return 'timm ConvNeXt-style trunk (visual.trunk.stem / stages)';
  if (has('blocks.0.attn.q_proj.') || has('rope')) return 'timm EVA trunk (split q/k/v, rotary embeddings)';
  if (has('blocks.')) return 'timm transformer trunk';
  if (has('stages.')) return 'timm staged trunk (visual.trunk.stages)';
  return 'timm trunk';
}

const dimOf = (w: CanonicalSource, name: string, i: number): number | undefined => {
  const s = w.tensors.get(name)?.shape;
  return s ? s[i < 0 ? s.length + i : i] : undefined;
};

function countBlocks(w: CanonicalSource, prefix: string): number {
  let n = 0;
  while ([...w.tensors.keys()].some((k) => k.startsWith(`${prefix}${n}.`))) n++;
  return n;
}

/** An open_clip SigLIP config's shapes (a named config or open_clip_config.json), as probe towers. */
export interface SiglipFacts {
  readonly name?: string;
  readonly vision?: SiglipVisionShape;
  readonly text?: TextShape;
  readonly embedDim: number;
  /** open_clip `proj_type: none` (ViT-SO400M-16-SigLIP-i18n-256): the pooled text is the embedding. */
  readonly textProjNone?: boolean;
  /** The timm trunk the config names (`vision_cfg.timm_model_name`). */
  readonly trunk?: string;
}

/**
 * timm SigLIP trunks built with `act_layer='gelu_tanh'` (timm 1.0 `vision_transformer.py`; every
 * other MAP SigLIP trunk there keeps the default exact `nn.GELU`). Several are SigLIP 2's.
 */
const GELU_TANH_TRUNKS: ReadonlySet<string> = new Set([
  'vit_base_patch32_siglip_256',
  'vit_large_patch16_siglip_512',
  'vit_so400m_patch16_siglip_256',
  'vit_so400m_patch16_siglip_384',
  'vit_so400m_patch16_siglip_512',
  'vit_giantopt_patch16_siglip_256',
  'vit_giantopt_patch16_siglip_384',
]);

/** The image trunk's activation when timm builds it with tanh-GELU, else undefined (exact GELU). */
export function trunkActivation(trunk: string | undefined): { value: 'gelu_tanh'; source: string } | undefined {
  return trunk && GELU_TANH_TRUNKS.has(trunk) ? { value: 'gelu_tanh', source: `timm ${trunk} act_layer gelu_tanh` } : undefined;
}

/** open_clip facts (+ their timm trunk) → probe shapes; undefined when it is not a SigLIP the probe builds. */
export function siglipFactsFrom(f: OpenClipFacts, name?: string): SiglipFacts | undefined {
  if (!f.logitBias || f.vision.kind !== 'timm' || f.text.kind !== 'native') return undefined;
  const trunk = openclipTrunk(f.vision.trunkKey) ?? timmTower(f.vision.trunk);
  const vision = trunk ? visionFromTrunk(trunk) : undefined;
  const t = f.text;
  const text: TextShape = { width: t.width, layers: t.layers, heads: t.heads, mlp: Math.round(t.width * t.mlpRatio), contextLength: t.context, vocabSize: t.vocab, layerScale: false, causal: false };
  return { ...(name ? { name } : {}), ...(vision ? { vision } : {}), text, embedDim: f.embed, ...(t.projNone ? { textProjNone: true } : {}), trunk: f.vision.trunk };
}

function visionFromTrunk(t: TimmTrunkFacts): SiglipVisionShape | undefined {
  // Staged trunks give per-stage MLP widths; a ViT's is one number.
  if (t.template !== 'vit' || !t.map || t.cls || (t.reg ?? 0) > 0 || t.normPre || (t.pe ?? 'conv') !== 'conv' || t.relpos || (t.mlp ?? 'mlp') !== 'mlp' || !t.dim || !t.depth || !t.patch || !t.posRows || !t.headDim || typeof t.hidden !== 'number') return undefined;
  const grid = Math.round(Math.sqrt(t.posRows));
  return { kind: 'siglip', width: t.dim, layers: t.depth, heads: t.dim / t.headDim, mlp: t.hidden, mapMlp: t.map.hidden, patch: t.patch, imageSize: grid * t.patch, tokens: t.posRows };
}

/** The open_clip SigLIP config whose shapes agree with the file's (heads are not in a state dict). */
export function matchSiglipConfig(w: CanonicalSource): SiglipFacts | undefined {
  const D = dimOf(w, 'visual.trunk.patch_embed.proj.weight', 0);
  const patch = dimOf(w, 'visual.trunk.patch_embed.proj.weight', -1);
  const T = posRows(w);
  const depth = countBlocks(w, 'visual.trunk.blocks.');
  const W = dimOf(w, 'text.token_embedding.weight', 1);
  const vocab = dimOf(w, 'text.token_embedding.weight', 0);
  const ctx = dimOf(w, 'text.positional_embedding', 0);
  const tl = countBlocks(w, 'text.transformer.resblocks.');
  if (D === undefined && W === undefined) return undefined;
  for (const n of OPENCLIP_NAMES) {
    const f = openclipFacts(n);
    const s = f && siglipFactsFrom(f, n);
    if (!s?.vision || !s.text) continue;
    const v = s.vision;
    if (D !== undefined && (v.width !== D || v.patch !== patch || v.tokens !== T || v.layers !== depth)) continue;
    if (W !== undefined && (s.text.width !== W || s.text.vocabSize !== vocab || s.text.contextLength !== ctx || s.text.layers !== tl)) continue;
    return s;
  }
  return undefined;
}

function posRows(w: CanonicalSource): number | undefined {
  const s = w.tensors.get('visual.trunk.pos_embed')?.shape;
  if (!s) return undefined;
  return s.length === 3 ? s[1] : s[0];
}

/**
 * The SigLIP forward's shape from the file's tensors (widths, depths, grid), with head counts from
 * `hints` (config files) or the matching open_clip config, else width / 64. A tower the file lacks
 * is taken from `named` (a matched or `--target` config); without one it cannot be sized.
 */
export function deriveSiglipConfig(
  w: CanonicalSource,
  hints: ConfigHints,
  named: SiglipFacts | undefined,
  activation: { value: ProbeModelConfig['activation']; source: string },
  textActivation?: { value: ProbeModelConfig['activation']; source: string },
): ConfigResult {
  const hasVision = [...w.tensors.keys()].some((k) => k.startsWith('visual.trunk.'));
  const hasText = [...w.tensors.keys()].some((k) => k.startsWith('text.'));
  if (!hasVision && !hasText) return { ok: false, code: 'probe-no-clip-tower', message: 'No SigLIP image or text tower was found in this checkpoint.' };
  let vision: SiglipVisionShape;
  if (hasVision) {
    const D = dimOf(w, 'visual.trunk.patch_embed.proj.weight', 0);
    const patch = dimOf(w, 'visual.trunk.patch_embed.proj.weight', -1);
    const T = posRows(w);
    if (D === undefined || patch === undefined || T === undefined) return { ok: false, code: 'probe-incomplete-tower', message: 'the SigLIP image tower lacks its patch embedding or position embedding, so its width / image size is unknown.' };
    const grid = Math.round(Math.sqrt(T));
    if (grid * grid !== T) return { ok: false, code: 'probe-unsupported-architecture', message: `the position embedding has ${T} rows, not a square patch grid (SigLIP has no class token).` };
    const heads = hints.visionHeads ?? (named?.vision?.width === D ? named.vision.heads : undefined) ?? Math.max(1, Math.floor(D / 64));
    vision = {
      kind: 'siglip',
      width: D,
      layers: countBlocks(w, 'visual.trunk.blocks.'),
      heads,
      mlp: dimOf(w, 'visual.trunk.blocks.0.mlp.fc1.weight', 0) ?? 4 * D,
      mapMlp: dimOf(w, 'visual.trunk.attn_pool.mlp.fc1.weight', 0) ?? dimOf(w, 'visual.trunk.blocks.0.mlp.fc1.weight', 0) ?? 4 * D,
      patch,
      imageSize: grid * patch,
      tokens: T,
    };
  } else if (named?.vision) {
    vision = hints.visionHeads ? { ...named.vision, heads: hints.visionHeads } : named.vision;
  } else {
    return { ok: false, code: 'probe-incomplete-tower', message: 'this SigLIP file has no image tower and no open_clip config names its shape: pass --target (e.g. ViT-B-16-SigLIP).' };
  }
  let text: TextShape;
  if (hasText) {
    const W = dimOf(w, 'text.token_embedding.weight', 1) ?? dimOf(w, 'text.ln_final.weight', 0);
    if (W === undefined) return { ok: false, code: 'probe-incomplete-tower', message: 'the SigLIP text tower lacks text.token_embedding.weight and text.ln_final.weight, so its width is unknown.' };
    const heads = hints.textHeads ?? (named?.text?.width === W ? named.text.heads : undefined) ?? Math.max(1, Math.floor(W / 64));
    text = {
      width: W,
      layers: countBlocks(w, 'text.transformer.resblocks.'),
      heads,
      mlp: dimOf(w, 'text.transformer.resblocks.0.mlp.c_fc.weight', 0) ?? 4 * W,
      contextLength: dimOf(w, 'text.positional_embedding', 0) ?? named?.text?.contextLength ?? 64,
      vocabSize: dimOf(w, 'text.token_embedding.weight', 0) ?? named?.text?.vocabSize ?? 32000,
      layerScale: false,
      causal: false,
    };
  } else if (named?.text) {
    text = hints.textHeads ? { ...named.text, heads: hints.textHeads } : named.text;
  } else {
    return { ok: false, code: 'probe-incomplete-tower', message: 'this SigLIP file has no text tower and no open_clip config names its shape: pass --target (e.g. ViT-B-16-SigLIP).' };
  }
  // No projection in the file: open_clip's proj_type 'none' when the config says so, else a dropped projection (random, reported).
  const projNone = !w.tensors.has('text.text_projection.weight') && named?.textProjNone === true;
  const embedDim = dimOf(w, 'text.text_projection.weight', 0) ?? (projNone ? text.width : undefined) ?? named?.embedDim ?? vision.width;
  // The image embedding is the MAP head's output (no projection): it must live in the text's space.
  if (embedDim !== vision.width) return { ok: false, code: 'probe-shape-mismatch', message: `the image tower's MAP head gives ${vision.width}-wide embeddings but the text projection gives ${embedDim}: the towers do not share a space (towers from different models?).` };
  for (const [label, width, heads, layers] of [['image', vision.width, vision.heads, vision.layers], ['text', text.width, text.heads, text.layers]] as const) {
    if (!(heads >= 1) || width % heads !== 0) return { ok: false, code: 'probe-bad-heads', message: `${label} width ${width} is not divisible by ${heads} attention heads.` };
    if (layers === 0) return { ok: false, code: 'probe-incomplete-tower', message: `the ${label} tower has no transformer blocks.` };
  }
  return {
    ok: true,
    config: {
      architecture: 'siglip',
      vision,
      text,
      embedDim,
      activation: activation.value,
      activationSource: textActivation && textActivation.value !== activation.value ? `${activation.source}; text tower ${textActivation.value} (${textActivation.source})` : activation.source,
      ...(textActivation && textActivation.value !== activation.value ? { textActivation: textActivation.value } : {}),
      pooling: { kind: 'last' },
      layerNormEps: 1e-6,
      scoring: 'sigmoid',
      ...(projNone ? { textProjection: 'none' as const } : {}),
      ...(named?.name ? { namedConfig: named.name } : {}),
    },
  };
}

/**
 * Every tensor the SigLIP forward reads: OPENCLIP_SPEC expanded for this shape (open_clip's names),
 * with the MAP head's q/kv folded into `in_proj` through the same rows that rename a file.
 */
export function siglipExpectedTensors(c: ProbeModelConfig): { name: string; shape: number[]; tower: 'vision' | 'text' | 'shared' }[] {
  const v = c.vision;
  const t = c.text;
  if (v.kind !== 'siglip') throw new Error('internal: not a SigLIP config');
  const facts: OpenClipFacts = {
    embed: c.embedDim,
    logitBias: true,
    customText: true,
    vision: { kind: 'timm', trunk: 'probe', trunkKey: '', image: v.imageSize, pool: 'map', proj: 'none' },
    text: { kind: 'native', width: t.width, heads: t.heads, layers: t.layers, mlpRatio: t.mlp / t.width, context: t.contextLength, vocab: t.vocabSize, ...(c.textProjection === 'none' ? { projNone: true } : { projBias: true }), noCausalMask: true, pool: 'last' },
  };
  const trunk: TimmTrunkFacts = {
    class: 'VisionTransformer',
    features: v.width,
    template: 'vit',
    dim: v.width,
    depth: v.layers,
    patch: v.patch,
    posRows: v.tokens,
    cls: false,
    reg: 0,
    patchBias: true,
    norm: true,
    headDim: v.width / v.heads,
    head: 0,
    qkv: 'fused',
    qkvBias: true,
    mlp: 'mlp',
    hidden: v.mlp,
    map: { latent: 1, hidden: v.mapMlp, norm: true, qNorm: false },
  };
  const fields = { ...openclipSpecConfig(facts), ...trunkFields(trunk), 'text.mlp': t.mlp };
  const out: { name: string; shape: number[]; tower: 'vision' | 'text' | 'shared' }[] = [];
  const folded = new Map<string, { name: string; shape: number[]; tower: 'vision' }>();
  for (const e of expandOrThrow(OPENCLIP_SPEC, fields)) {
    const row = OC_ROWS.get(e.name);
    if (row?.transform === 'concat0') {
      const have = folded.get(row.canonical);
      if (have) have.shape[0]! += e.shape[0]!;
      else {
        const f = { name: row.canonical, shape: [...e.shape], tower: 'vision' as const };
        folded.set(row.canonical, f);
        out.push(f);
      }
      continue;
    }
    const tower = e.name.startsWith('visual.') ? 'vision' : e.name.startsWith('text.') ? 'text' : 'shared';
    out.push({ name: e.name, shape: [...e.shape], tower });
  }
  if (!folded.has(`${MAP_IN_PROJ}.weight`)) throw new Error('internal: OPENCLIP_SPEC gave no MAP head');
  return out;
}
