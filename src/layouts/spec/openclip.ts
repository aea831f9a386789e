import { HF_TEXT_TOWERS, openclipTrunk, type OpenClipFacts, type TimmTrunkFacts } from './clipTables.js';
import { cocaAttnPoolPart, crossBlockOf, modifiedResNetParts, pair, RESBLOCK_TEMPLATE } from './clip.js';
import { byobParts, convnextParts, fastvitParts, hybridEmbedParts, swinParts } from './timmTrunks.js';
import { hfTextParts } from './hfText.js';
import { modernTextParts } from './modernText.js';
import { audioParts } from './audio.js';
import { fusedParts } from './fused.js';
import type { ArchitectureSpec, PartSpec, SpecConfig, TensorTemplate } from './types.js';

/**
 * Every open_clip model (CLIP, CustomTextCLIP, CoCa; native ViT / ModifiedResNet / timm trunk image
 * towers; native / transformers text towers) as ONE spec over the facts of its config
 * (clipTables.ts), in open_clip's own state-dict names. timm trunks use the timm ViT / EVA
 * templates below and the ConvNeXt / Swin / ResNet-CLIP / hybrid-embedding templates of
 * timmTrunks.ts (shared with timm's own CLIP towers, prefix `{$trunk}`); a trunk no table has facts
 * for (an open_clip_config.json naming another timm model) is an opaque part: present or absent.
 */


/** open_clip residual block with optional LayerScale (`ls_init_value`). */
const OC_BLOCK: readonly TensorTemplate[] = [...RESBLOCK_TEMPLATE, { name: 'ls_1.gamma', shape: ['D'], when: 'ls' }, { name: 'ls_2.gamma', shape: ['D'], when: 'ls' }];

/** timm ViT / EVA block (Block, EvaBlock): fused or split q/k/v, optional sub-LN, LayerScale, Mlp or SwiGLU. */
export const TIMM_BLOCK: readonly TensorTemplate[] = [
  ...pair('norm1', ['D']),
  { name: 'attn.q_bias', shape: ['D'], when: "qkv == 'fused' && qvBias" },
  { name: 'attn.v_bias', shape: ['D'], when: "qkv == 'fused' && qvBias" },
  { name: 'attn.qkv.weight', shape: ['3*D', 'D'], when: "qkv == 'fused'" },
  { name: 'attn.qkv.bias', shape: ['3*D'], when: "qkv == 'fused' && qkvBias" },
  { name: 'attn.q_proj.weight', shape: ['D', 'D'], when: "qkv == 'split'" },
  { name: 'attn.q_proj.bias', shape: ['D'], when: "qkv == 'split' && qkvBias" },
  { name: 'attn.k_proj.weight', shape: ['D', 'D'], when: "qkv == 'split'" },
  { name: 'attn.k_proj.bias', shape: ['D'], when: "qkv == 'split' && kBias" },
  { name: 'attn.v_proj.weight', shape: ['D', 'D'], when: "qkv == 'split'" },
  { name: 'attn.v_proj.bias', shape: ['D'], when: "qkv == 'split' && qkvBias" },
  ...pair('attn.q_norm', ['headDim'], 'qkNorm'),
  ...pair('attn.k_norm', ['headDim'], 'qkNorm'),
  ...pair('attn.norm', ['D'], 'attnNorm'),
  // attn_gated (NaFlexVit): a sigmoid output gate, a Linear with the qkv bias setting
  { name: 'attn.gate.weight', shape: ['D', 'D'], when: 'attnGate' },
  { name: 'attn.gate.bias', shape: ['D'], when: 'attnGate && qkvBias' },
  // vit_relpos_*: the relative-position MLP of the attention
  { name: 'attn.rel_pos.mlp.fc1.weight', shape: ['trunk.relpos.hidden', 'trunk.relpos.in'], when: 'defined(trunk.relpos.hidden)' },
  { name: 'attn.rel_pos.mlp.fc1.bias', shape: ['trunk.relpos.hidden'], when: 'defined(trunk.relpos.hidden)' },
  { name: 'attn.rel_pos.mlp.fc2.weight', shape: ['trunk.relpos.heads', 'trunk.relpos.hidden'], when: 'defined(trunk.relpos.hidden)' },
  { name: 'attn.rel_pos.mlp.fc2.bias', shape: ['trunk.relpos.heads'], when: 'defined(trunk.relpos.hidden)' },
  ...pair('attn.proj', ['D']).map((t) => (t.name.endsWith('weight') ? { ...t, shape: ['D', 'D'] } : t)),
  { name: 'ls1.gamma', shape: ['D'], when: "ls && lsName == 'ls'" },
  { name: 'gamma_1', shape: ['D'], when: "ls && lsName == 'gamma'" },
  ...pair('norm2', ['D']),
  // Mlp, or GluMlp (packed value + gate in fc1: fc2 reads half of it)
  { name: 'mlp.fc1.weight', shape: ['H', 'D'], when: "mlp == 'mlp' || mlp == 'glu'" },
  { name: 'mlp.fc1.bias', shape: ['H'], when: "mlp == 'mlp' || mlp == 'glu'" },
  { name: 'mlp.fc1_g.weight', shape: ['H', 'D'], when: "mlp == 'swiglu'" },
  { name: 'mlp.fc1_g.bias', shape: ['H'], when: "mlp == 'swiglu'" },
  { name: 'mlp.fc1_x.weight', shape: ['H', 'D'], when: "mlp == 'swiglu'" },
  { name: 'mlp.fc1_x.bias', shape: ['H'], when: "mlp == 'swiglu'" },
  // ViTamin's GeGLU MLP (LayerNorm over the input width, w0 / w1 gates, w2 out)
  ...pair('mlp.norm', ['D'], "mlpNorm && mlp == 'geglu'"),
  { name: 'mlp.w0.weight', shape: ['H', 'D'], when: "mlp == 'geglu'" },
  { name: 'mlp.w0.bias', shape: ['H'], when: "mlp == 'geglu'" },
  { name: 'mlp.w1.weight', shape: ['H', 'D'], when: "mlp == 'geglu'" },
  { name: 'mlp.w1.bias', shape: ['H'], when: "mlp == 'geglu'" },
  { name: 'mlp.w2.weight', shape: ['D', 'H'], when: "mlp == 'geglu'" },
  { name: 'mlp.w2.bias', shape: ['D'], when: "mlp == 'geglu'" },
  ...pair('mlp.norm', ["mlp == 'glu' ? H / 2 : H"], "mlpNorm && mlp != 'geglu'"),
  { name: 'mlp.fc2.weight', shape: ['D', "mlp == 'glu' ? H / 2 : H"], when: "mlp != 'geglu'" },
  { name: 'mlp.fc2.bias', shape: ['D'], when: "mlp != 'geglu'" },
  { name: 'ls2.gamma', shape: ['D'], when: "ls && lsName == 'ls'" },
  { name: 'gamma_2', shape: ['D'], when: "ls && lsName == 'gamma'" },
];

/**
 * A timm ViT / EVA trunk (fields `trunk.*`, see TimmTrunkFacts) under the prefix in `{$trunk}`.
 * `trunkOn` says when the trunk exists; `trunk.template` picks modelled vs opaque.
 */
export function timmTrunkParts(trunkOn: string, tower: 'vision' | 'audio' = 'vision'): PartSpec[] {
  const on = `(${trunkOn}) && (trunk.template == 'vit' || trunk.template == 'eva')`;
  const vars = { D: 'trunk.dim', H: 'trunk.hidden', headDim: 'trunk.headDim', qkv: 'trunk.qkv', qvBias: 'trunk.qvBias', qkvBias: 'trunk.qkvBias', kBias: 'trunk.kBias', qkNorm: 'trunk.qkNorm', attnNorm: 'trunk.attnNorm', attnGate: 'trunk.attnGate', ls: 'trunk.ls', lsName: 'trunk.lsName', mlp: 'trunk.mlp', mlpNorm: 'trunk.mlpNorm' };
  // Part ids follow the tower (`vision.blocks`, or `audio.blocks` for CLAP's NaFlex audio trunk).
  const id = (s: string) => `${tower}.${s}`;
  return [
    { id: id('trunk'), kind: 'tower', tower, prefix: '{$trunk}', when: `(${trunkOn}) && trunk.template == 'opaque'`, opaque: true, count: 'def(trunk.count, -1)', anchors: 'trunk.anchors', tensors: [] },
    {
      id: id('embeddings'),
      kind: 'embeddings',
      tower,
      prefix: '{$trunk}',
      when: on,
      vars: { D: 'trunk.dim', p: 'trunk.patch' },
      tensors: [
        { name: 'cls_token', shape: [1, 1, 'D'], when: "trunk.cls && trunk.pe != 'naflex'" },
        { name: 'reg_token', shape: [1, 'trunk.reg', 'D'], when: "trunk.reg > 0 && trunk.pe != 'naflex'" },
        { name: 'pos_embed', shape: [1, 'trunk.posRows', 'D'], when: 'trunk.posRows > 0' },
        { name: 'patch_embed.proj.weight', shape: ['D', 3, 'p', 'p'], when: "trunk.pe == 'conv'" },
        { name: 'patch_embed.proj.bias', shape: ['D'], when: "trunk.pe == 'conv' && trunk.patchBias" },
        ...pair('norm_pre', ['D'], 'trunk.normPre'),
      ],
    },
    ...hybridEmbedParts(on, tower),
    { id: id('blocks'), kind: 'blocks', tower, prefix: '{$trunk}blocks.{N}.', when: on, repeat: 'trunk.depth', vars, tensors: 'timmBlock' },
    {
      id: id('norm'),
      kind: 'norm',
      tower,
      prefix: '{$trunk}',
      when: on,
      vars: { D: 'trunk.dim' },
      tensors: [...pair('norm', ['D'], 'trunk.norm'), ...pair('fc_norm', ['D'], 'trunk.fcNorm')],
    },
    {
      // MAP head (attention pooling with a learned latent query): SigLIP, PE.
      id: id('attn_pool'),
      kind: 'head',
      tower,
      prefix: '{$trunk}attn_pool.',
      when: `${on} && defined(trunk.map.latent)`,
      vars: { D: 'trunk.dim', H: 'trunk.map.hidden' },
      tensors: [
        { name: 'latent', shape: [1, 'trunk.map.latent', 'D'] },
        ...pair('q', ['D']).map((t) => (t.name.endsWith('weight') ? { ...t, shape: ['D', 'D'] } : t)),
        { name: 'kv.weight', shape: ['2*D', 'D'] },
        { name: 'kv.bias', shape: ['2*D'] },
        ...pair('q_norm', ['trunk.headDim'], 'trunk.map.qNorm'),
        ...pair('k_norm', ['trunk.headDim'], 'trunk.map.qNorm'),
        { name: 'proj.weight', shape: ['D', 'D'] },
        { name: 'proj.bias', shape: ['D'] },
        ...pair('norm', ['D'], 'trunk.map.norm'),
        { name: 'mlp.fc1.weight', shape: ['H', 'D'] },
        { name: 'mlp.fc1.bias', shape: ['H'] },
        { name: 'mlp.fc2.weight', shape: ['D', 'H'] },
        { name: 'mlp.fc2.bias', shape: ['D'] },
      ],
    },
    {
      // The trunk's own classifier: open_clip puts its projection here when `timm_proj` is empty (EVA);
      // timm towers by name have their pretrained num_classes (a CLIP projection or a classifier).
      id: 'vision.trunk_head',
      kind: 'projector',
      tower: 'projection',
      prefix: '{$trunk}',
      when: `${on} && trunk.head != 0`,
      tensors: [
        { name: 'head.weight', shape: ['trunk.head', 'trunk.dim'] },
        { name: 'head.bias', shape: ['trunk.head'], when: 'trunk.headBias' },
      ],
    },
    ...(tower === 'vision' ? [...convnextParts(trunkOn), ...swinParts(trunkOn), ...byobParts(trunkOn), ...fastvitParts(trunkOn)] : []),
  ];
}

const vitOn = "vision.kind == 'vit'";
const timmOn = "vision.kind == 'timm'";
const nativeText = "text.kind == 'native'";

export const OPENCLIP_SPEC: ArchitectureSpec = {
  id: 'open_clip',
  description: 'open_clip CLIP / CustomTextCLIP / CoCa from its model config',
  defaults: { logitBias: false, coca: false, trunk: 'visual.trunk.', 'audio.kind': 'none', 'fused.kind': 'none' },
  templates: { resblock: OC_BLOCK, crossblock: crossBlockOf(OC_BLOCK), timmBlock: TIMM_BLOCK },
  parts: [
    // (NaFlexGenLip / NaFlexGenLap are generative: no contrastive scale)
    { id: 'logit_scale', kind: 'scalar', tower: 'projection', prefix: '', when: "fused.kind == 'none'", tensors: [{ name: 'logit_scale', shape: [] }] },
    { id: 'logit_bias', kind: 'scalar', tower: 'projection', prefix: '', when: 'logitBias', tensors: [{ name: 'logit_bias', shape: [] }] },
    // --- open_clip VisionTransformer
    {
      id: 'vision.embeddings',
      kind: 'embeddings',
      tower: 'vision',
      prefix: 'visual.',
      when: vitOn,
      vars: { D: 'vision.width', g: 'vision.image / vision.patch' },
      tensors: [
        { name: 'class_embedding', shape: ['D'] },
        { name: 'positional_embedding', shape: ['g * g + 1', 'D'] },
        { name: 'conv1.weight', shape: ['D', 3, 'vision.patch', 'vision.patch'] },
        ...pair('ln_pre', ['D'], '!vision.noLnPre'),
      ],
    },
    { id: 'vision.blocks', kind: 'blocks', tower: 'vision', prefix: 'visual.transformer.resblocks.{N}.', when: vitOn, repeat: 'vision.layers', vars: { D: 'vision.width', M: 'vision.mlp', ls: 'vision.lsInit' }, tensors: 'resblock' },
    cocaAttnPoolPart(`${vitOn} && vision.attnPool`, 'vision.poolQueries'),
    {
      id: 'vision.norm',
      kind: 'norm',
      tower: 'vision',
      prefix: 'visual.',
      when: vitOn,
      vars: { P: 'vision.attnPool ? embed : vision.width' },
      tensors: pair('ln_post', ['P']),
    },
    { id: 'vision.proj', kind: 'projector', tower: 'projection', prefix: 'visual.', when: vitOn, tensors: [{ name: 'proj', shape: ['vision.attnPool ? embed : vision.width', 'embed'] }] },
    // --- ModifiedResNet
    ...modifiedResNetParts("vision.kind == 'resnet'"),
    // --- timm trunk (open_clip TimmModel: trunk + head)
    ...timmTrunkParts(timmOn),
    {
      id: 'vision.proj',
      kind: 'projector',
      tower: 'projection',
      prefix: 'visual.head.',
      when: timmOn,
      vars: { nf: 'trunk.features', E: 'embed' },
      tensors: [
        { name: 'proj.weight', shape: ['E', 'nf'], when: "vision.proj == 'linear'" },
        { name: 'proj.bias', shape: ['E'], when: "vision.proj == 'linear' && vision.projBias" },
        { name: 'mlp.fc1.weight', shape: ['2*E', 'nf'], when: "vision.proj == 'mlp'" },
        { name: 'mlp.fc1.bias', shape: ['2*E'], when: "vision.proj == 'mlp'" },
        { name: 'mlp.fc2.weight', shape: ['E', '2*E'], when: "vision.proj == 'mlp'" },
        { name: 'mlp.fc2.bias', shape: ['E'], when: "vision.proj == 'mlp' && vision.projBias" },
      ],
    },
    // --- CLAP's audio tower (no image tower): HTSAT / Whisper (audio.ts) or a timm NaFlexVit over mel patches
    ...timmTrunkParts("audio.kind == 'naflex'", 'audio'),
    ...audioParts(),
    // --- open_clip TextTransformer (top level for CLIP, under `text.` for CustomTextCLIP / CoCa)
    {
      id: 'text.embeddings',
      kind: 'embeddings',
      tower: 'text',
      prefix: '{$tp}',
      when: nativeText,
      tensors: [
        { name: 'cls_emb', shape: ['text.width'], when: 'text.embedCls' },
        { name: 'token_embedding.weight', shape: ['text.vocab', 'text.width'] },
        { name: 'positional_embedding', shape: ['text.context + (text.embedCls ? 1 : 0)', 'text.width'] },
      ],
    },
    { id: 'text.blocks', kind: 'blocks', tower: 'text', prefix: '{$tp}transformer.resblocks.{N}.', when: nativeText, repeat: 'text.layers', vars: { D: 'text.width', M: 'text.mlp', ls: 'text.lsInit' }, tensors: 'resblock' },
    { id: 'text.norm', kind: 'norm', tower: 'text', prefix: '{$tp}', when: nativeText, tensors: pair('ln_final', ['text.width']) },
    {
      id: 'text.proj',
      kind: 'projector',
      tower: 'projection',
      prefix: '{$tp}',
      when: `${nativeText} && !text.projNone`,
      tensors: [
        { name: 'text_projection', shape: ['text.width', 'embed'], when: '!text.projBias' },
        { name: 'text_projection.weight', shape: ['embed', 'text.width'], when: 'text.projBias' },
        { name: 'text_projection.bias', shape: ['embed'], when: 'text.projBias' },
      ],
    },
    // --- transformers text tower (open_clip HFTextEncoder, `text.transformer.`): BERT-like (roberta,
    // xlm-roberta), the T5 encoder stack (mT5) or the M2M100 encoder (NLLB); a model not in
    // HF_TEXT_TOWERS (an open_clip_config.json naming another hub model) stays opaque.
    { id: 'text.encoder', kind: 'tower', tower: 'text', prefix: 'text.transformer.', when: "text.kind == 'hf' && text.hfType == 'unknown'", opaque: true, count: 'def(text.count, -1)', anchors: 'text.anchors', tensors: [] },
    ...hfTextParts("text.kind == 'hf'"),
    {
      id: 'text.proj',
      kind: 'projector',
      tower: 'projection',
      prefix: 'text.proj.',
      when: "text.kind == 'hf'",
      vars: { d: 'text.hidden', m: '(text.hidden + embed) // 2' },
      tensors: [
        { name: '0.weight', shape: ['m', 'd'], when: "text.projType == 'mlp'" },
        { name: '2.weight', shape: ['embed', 'm'], when: "text.projType == 'mlp'" },
        { name: 'weight', shape: ['embed', 'd'], when: "text.projType == 'linear'" },
        // CLAP's clap_mlp: Linear(d, embed), ReLU, Linear(embed, embed), both with biases
        { name: '0.weight', shape: ['embed', 'd'], when: "text.projType == 'clap_mlp'" },
        { name: '0.bias', shape: ['embed'], when: "text.projType == 'clap_mlp'" },
        { name: '2.weight', shape: ['embed', 'embed'], when: "text.projType == 'clap_mlp'" },
        { name: '2.bias', shape: ['embed'], when: "text.projType == 'clap_mlp'" },
      ],
    },
    // --- open_clip ModernTextTransformer (development configs: `text_arch: "modern"`)
    ...modernTextParts("text.kind == 'modern'"),
    // --- NaFlexGenLip / NaFlexGenLap: one fused transformer over patch and text tokens (fused.ts)
    ...fusedParts(),
    // --- CoCa multimodal decoder
    { id: 'decoder.blocks', kind: 'blocks', tower: 'decoder', prefix: 'text_decoder.resblocks.{N}.', when: 'coca', repeat: 'coca.layers', vars: { D: 'coca.width', M: 'coca.mlp', ls: 'false' }, tensors: 'resblock' },
    { id: 'decoder.cross', kind: 'blocks', tower: 'decoder', prefix: 'text_decoder.cross_attn.{N}.', when: 'coca', repeat: 'coca.layers', vars: { D: 'coca.width', M: 'coca.mlp', ls: 'false' }, tensors: 'crossblock' },
    { id: 'decoder.head', kind: 'head', tower: 'decoder', prefix: 'text_decoder.', when: 'coca', tensors: [...pair('ln_final', ['coca.width']), { name: 'text_projection', shape: ['coca.width', 'coca.vocab'] }] },
  ],
};

/** Flattens a trunk's facts into `trunk.*` fields. */
export function trunkFields(t: TimmTrunkFacts | undefined): Record<string, SpecConfig[string]> {
  if (!t) return { 'trunk.template': 'opaque', 'trunk.features': -1 };
  const f: Record<string, SpecConfig[string]> = {};
  for (const [k, v] of Object.entries(t)) {
    if (k === 'kwargs') continue;
    // Nested facts (map, mb, relpos, attnPool) become dotted fields: `trunk.mb.dims`.
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [mk, mv] of Object.entries(v as Record<string, unknown>)) f[`trunk.${k}.${mk}`] = mv as SpecConfig[string];
    else f[`trunk.${k}`] = v as SpecConfig[string];
  }
  if (f['trunk.pe'] === undefined) f['trunk.pe'] = 'conv';
  for (const k of ['cls', 'patchBias', 'normPre', 'norm', 'fcNorm', 'headBias', 'qkvBias', 'qvBias', 'kBias', 'qkNorm', 'attnNorm', 'attnGate', 'ls', 'mlpNorm']) if (f[`trunk.${k}`] === undefined) f[`trunk.${k}`] = false;
  for (const k of ['reg', 'posRows', 'head', 'headDim']) if (f[`trunk.${k}`] === undefined) f[`trunk.${k}`] = 0;
  return f;
}

/** An open_clip config's facts as the flat fields OPENCLIP_SPEC reads. */
export function openclipSpecConfig(c: OpenClipFacts): SpecConfig {
  const f: Record<string, SpecConfig[string]> = { embed: c.embed, logitBias: Boolean(c.logitBias), coca: Boolean(c.coca), tp: c.customText ? 'text.' : '', trunk: 'visual.trunk.' };
  const v = c.vision;
  f['vision.kind'] = v.kind;
  if (v.kind === 'vit') {
    Object.assign(f, {
      'vision.width': v.width,
      'vision.layers': v.layers,
      'vision.mlp': Math.floor(v.width * v.mlpRatio),
      'vision.patch': v.patch,
      'vision.image': v.image,
      'vision.lsInit': Boolean(v.lsInit),
      'vision.noLnPre': Boolean(v.noLnPre),
      'vision.attnPool': Boolean(v.attnPool),
      'vision.poolQueries': v.poolQueries ?? 0,
    });
  } else if (v.kind === 'none') {
    // CLAP: the audio tower instead
  } else if (v.kind === 'resnet') {
    Object.assign(f, { 'vision.width': v.width, 'vision.layers': v.layers, 'vision.image': v.image });
  } else {
    Object.assign(f, { 'vision.proj': v.proj ?? '', 'vision.projBias': Boolean(v.projBias) }, trunkFields(openclipTrunk(v.trunkKey)));
  }
  const a = c.audio;
  if (a) {
    f['audio.kind'] = a.kind;
    if (a.kind === 'htsat') Object.assign(f, { 'audio.dim': a.dim, 'audio.depths': a.depths, 'audio.heads': a.heads, 'audio.window': a.window, 'audio.patch': a.patch, 'audio.spec': a.spec, 'audio.mels': a.mels, 'audio.nfft': a.nfft, 'audio.classes': a.classes, 'audio.fusion': a.fusion ?? '', 'audio.out': a.dim * 2 ** (a.depths.length - 1) });
    else if (a.kind === 'whisper') Object.assign(f, { 'audio.width': a.width, 'audio.layers': a.layers, 'audio.mels': a.mels, 'audio.ctx': a.ctx, 'audio.out': c.embed });
    else {
      // The NaFlex audio trunk uses the timm ViT template's `trunk.*` fields (a CLAP model has no image trunk).
      const tf = trunkFields(openclipTrunk(a.trunkKey));
      Object.assign(f, tf, { trunk: 'audio.encoder.vit.', 'audio.out': tf['trunk.features'] });
    }
  }
  if (c.fused) {
    const u = c.fused;
    Object.assign(f, {
      'fused.kind': u.kind,
      'fused.width': u.width,
      'fused.depth': u.depth,
      'fused.heads': u.heads,
      'fused.hidden': u.hidden,
      'fused.textEmbed': u.textEmbed,
      'fused.vocab': u.vocab,
      'fused.norm': u.norm,
      'fused.patchIn': u.patchIn,
    });
    for (const k of ['gated', 'swiglu', 'ls', 'qkNorm', 'attnBias', 'mlpBias', 'patchBias', 'inputNorm', 'preNorm', 'textPreNorm'] as const) f[`fused.${k}`] = Boolean(u[k]);
  }
  const t = c.text;
  f['text.kind'] = t.kind;
  if (t.kind === 'none') {
    // NaFlexGenLip / NaFlexGenLap: the fused trunk's token embedding and LM head instead
  } else if (t.kind === 'native') {
    Object.assign(f, {
      'text.width': t.width,
      'text.layers': t.layers,
      'text.mlp': Math.floor(t.width * t.mlpRatio),
      'text.context': t.context,
      'text.vocab': t.vocab,
      'text.embedCls': Boolean(t.embedCls),
      'text.projBias': Boolean(t.projBias),
      'text.projNone': Boolean(t.projNone),
      'text.lsInit': Boolean(t.lsInit),
    });
  } else if (t.kind === 'modern') {
    Object.assign(f, {
      'text.width': t.width,
      'text.heads': t.heads,
      'text.layers': t.layers,
      'text.hidden': t.hidden,
      'text.vocab': t.vocab,
      'text.mlpType': t.mlpType,
      'text.norm': t.norm,
      'text.qkNorm': Boolean(t.qkNorm),
      'text.gated': Boolean(t.gated),
      'text.pool': t.pool,
      'text.attnBias': Boolean(t.attnBias),
      'text.gateBias': Boolean(t.gateBias),
      'text.mlpBias': Boolean(t.mlpBias),
      'text.projBias': Boolean(t.projBias),
      'text.projNone': Boolean(t.projNone),
      'text.reg': t.reg ?? 0,
      'text.preNorm': Boolean(t.preNorm),
      'text.sandwich': Boolean(t.sandwich),
      'text.lsInit': Boolean(t.lsInit),
      'text.valueResidual': Boolean(t.valueResidual),
    });
  } else {
    const hf = HF_TEXT_TOWERS[t.model];
    const hfType = !hf ? 'unknown' : hf.modelType === 'mt5' ? 't5' : hf.modelType === 'm2m_100' ? 'm2m' : hf.modelType === 'modernbert' ? 'modernbert' : 'bert';
    Object.assign(f, { 'text.hidden': hf?.hidden ?? -1, 'text.projType': t.projType === 'mlp' || t.projType === 'linear' || t.projType === 'clap_mlp' ? t.projType : 'none', 'text.hfType': hfType, 'text.pooler': t.pooler });
    if (hf) Object.assign(f, { 'text.layers': hf.layers, 'text.vocab': hf.vocab, 'text.ffn': hf.ffn, 'text.positions': hf.positions ?? 0, 'text.typeVocab': hf.typeVocab ?? 0, 'text.inner': hf.inner ?? 0, 'text.heads': hf.heads ?? 0, 'text.buckets': hf.buckets ?? 0 });
  }
  if (c.coca) Object.assign(f, { 'coca.width': c.coca.width, 'coca.layers': c.coca.layers, 'coca.mlp': Math.floor(c.coca.width * c.coca.mlpRatio), 'coca.vocab': c.coca.vocab });
  return f;
}
